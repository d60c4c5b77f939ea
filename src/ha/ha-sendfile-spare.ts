// One sendfile worker thread booted ahead of need. A worker takes a while to start (hundreds of
// ms when it loads TypeScript through tsx on a busy machine): while a master that uses sendfile
// senders listens, one spare worker waits, booted, for its start data, so a slave that connects
// is streamed to at once instead of after a boot (SYNC_MASTER puts at its first bytes would
// otherwise wait out the boot, past a short slaveTimeout).
//
// Bounds: at most one spare per process. It exists only while at least one holder (a listening
// HaServer whose sender factory warms up) has not released it; the last release terminates it.
// A taken spare is replaced at once (the next connection, e.g. a reconnect, is fast too). A spare
// that dies unused (it failed to load) is forgotten: the next sender spawns a fresh worker and
// reports that worker's failure itself. The spare is unref'd: it never keeps a process alive.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../util/spawn-worker.js';

let holders = 0;
let spare: { worker: Worker; forget: () => void } | null = null;

function boot(): Worker {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = spawnWorker(new URL(`../workers/ha-sendfile-worker${extension}`, import.meta.url));
  worker.unref();
  return worker;
}

function refill(): void {
  if (holders === 0 || spare !== null) return;
  const worker = boot();
  const entry = {
    worker,
    forget: (): void => {
      if (spare === entry) spare = null;
    },
  };
  // a spare that fails to load is dropped here; a fresh worker reports the failure (see header)
  worker.once('error', entry.forget);
  worker.once('exit', entry.forget);
  spare = entry;
}

/** Keep a spare booted until the returned release is called (once per hold). */
export function holdSendfileSpare(): () => void {
  holders++;
  refill();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders--;
    if (holders === 0 && spare !== null) {
      const { worker } = spare;
      spare = null;
      void worker.terminate();
    }
  };
}

/** A worker for one sender: the spare when there is one (replaced at once), else a new one. The
 * worker waits for its SendfileWorkerData message. */
export function takeSendfileWorker(): Worker {
  const taken = spare;
  spare = null;
  refill();
  if (taken === null) return boot();
  taken.worker.off('error', taken.forget);
  taken.worker.off('exit', taken.forget);
  return taken.worker;
}

/** Whether a spare is waiting (booted or booting; tests and status). */
export function sendfileSpareReady(): boolean {
  return spare !== null;
}
