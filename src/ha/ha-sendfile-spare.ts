// The sendfile senders' worker threads: booted ahead of need and reused. A worker takes a while
// to start (hundreds of ms when it loads TypeScript through tsx on a busy machine): while a master
// that uses sendfile senders listens, at least one idle worker waits, booted, for its start data,
// so a slave that connects is streamed to at once. A sender whose transfer ended cleanly (the
// worker posted its final event after releasing its descriptors) gives its worker back, and the
// next connection takes it instead of booting a new thread.
// Why reuse: every thread started and ended costs memory the process does not get back (the
// addon and the module graph loaded per thread; measured ~12-16 KB of RSS per HA connection
// opened and closed, no plateau, issue 14 case 8). With reuse, connections that come and go use
// the same few threads.
//
// Bounds: at most MAX_IDLE_WORKERS idle workers per process (more given back are terminated);
// idle workers exist only while at least one holder (a listening HaServer whose sender factory
// warms up) has not released; the last release terminates every idle worker. A taken spare is
// replaced at once, unless a sender that is closing will give its worker back (a slave that
// reconnects takes the one its old connection used: no thread is booted per reconnect).
// A worker that dies idle (it failed to load) is forgotten: the next sender
// boots a fresh one and reports that worker's failure itself. Workers are unref'd: they never
// keep a process alive.
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../util/spawn-worker.js';

/** Idle workers kept for reuse (the spare included). */
export const MAX_IDLE_WORKERS = 4;

let holders = 0;
const idle: Worker[] = [];
let alive = 0;
let booted = 0;
/** Workers of closing senders that will come back (returnSendfileWorker) or exit. */
let pendingReturns = 0;

function forget(worker: Worker): void {
  const at = idle.indexOf(worker);
  if (at >= 0) idle.splice(at, 1);
}

function boot(): Worker {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = spawnWorker(new URL(`../workers/ha-sendfile-worker${extension}`, import.meta.url));
  alive++;
  booted++;
  worker.once('exit', () => {
    alive--;
    forget(worker);
  });
  // an idle worker that fails to load is dropped here; a fresh worker reports the failure (see header)
  worker.on('error', () => forget(worker));
  worker.unref();
  return worker;
}

function refill(): void {
  if (holders > 0 && idle.length === 0 && pendingReturns === 0) idle.push(boot());
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
    if (holders === 0) for (const worker of idle.splice(0)) void worker.terminate();
  };
}

/** A worker for one sender: an idle one when there is one (the spare is replaced at once), else
 * a new one. The worker waits for its SendfileWorkerData message. */
export function takeSendfileWorker(): Worker {
  const taken = idle.pop() ?? boot();
  refill();
  return taken;
}

/** A sender is closing its running worker: it will come back (returnSendfileWorker) or not
 * (settleSendfileReturn with null, when it exited instead). Counted so that no spare is booted meanwhile. */
export function expectSendfileReturn(): void {
  pendingReturns++;
}

/** A sender that announced a return (expectSendfileReturn) is done with its worker: `worker` is
 * given back (its run ended and it released its descriptors), or null when it exited. */
export function settleSendfileReturn(worker: Worker | null, announced: boolean): void {
  if (announced) pendingReturns = Math.max(0, pendingReturns - 1);
  if (worker !== null) returnSendfileWorker(worker);
  else refill();
}

/** Keep `worker` for the next sender, or terminate it when none may come (no holder) or enough
 * are idle. */
export function returnSendfileWorker(worker: Worker): void {
  if (holders > 0 && idle.length < MAX_IDLE_WORKERS && !idle.includes(worker)) idle.push(worker);
  else void worker.terminate();
}

/** Whether a spare is waiting (booted or booting; tests and status). */
export function sendfileSpareReady(): boolean {
  return idle.length > 0;
}

/** Sendfile worker threads of this process that have not exited (idle or in use). */
export function sendfileThreads(): number {
  return alive;
}

/** Sendfile worker threads started by this process so far. */
export function sendfileThreadsBooted(): number {
  return booted;
}
