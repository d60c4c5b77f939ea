// Worker-thread entry of the sendfile HA sender (ha/ha-sendfile-sender.ts). Thin: loads, then
// waits for its one start message (SendfileWorkerData: a worker may be booted ahead of need, see
// ha/ha-sendfile-spare.ts), attaches the shared positions, says 'ready' and waits for `go` (the
// main thread keeps the slave alive with heartbeats until then), runs the transfer loop
// (ha/ha-sendfile-loop.ts) until the stop flag or a failure, then releases its descriptors (the
// socket dup it owns, the segment it had open) and posts one final event: 'stopped' or 'failed'.
// Then it waits for the next start message: the main thread reuses workers for later
// connections (ha/ha-sendfile-spare.ts) and terminates them when no longer needed.
import { parentPort } from 'node:worker_threads';
import { SENDFILE_POSITIONS, type SendfilePosition, type SendfileWorkerData, type SendfileWorkerEvent } from '../ha/ha-sendfile-layout.js';
import { POLL_SLICE_MS, SendfileLoop, type CommittedPosition } from '../ha/ha-sendfile-loop.js';
import { loadNativeAddon } from '../io/native-addon.js';
import { systemClock } from '../util/clock.js';
import { ControlBlock } from '../util/control-block.js';

/** Longest wait for the main thread's `go` after 'ready' (it answers at once unless stopping). */
const HANDOVER_LIMIT_MS = 60_000;

const load = loadNativeAddon();

function committedPosition(buffer: SharedArrayBuffer, index: number): CommittedPosition {
  const slots = new BigInt64Array(buffer);
  return {
    load: () => Number(Atomics.load(slots, index)),
    wait: (seen, timeoutMs) => void Atomics.wait(slots, index, BigInt(seen), timeoutMs),
  };
}

/** Wait until the socket is this thread's; false when stopped first. */
function awaitHandover(positions: ControlBlock<SendfilePosition>): boolean {
  parentPort!.postMessage({ type: 'ready' } satisfies SendfileWorkerEvent);
  const rounds = Math.ceil(HANDOVER_LIMIT_MS / POLL_SLICE_MS);
  for (let round = 0; round < rounds; round++) {
    if (positions.loadFlag('stop') !== 0) return false;
    if (positions.loadFlag('go') !== 0) return true;
    positions.waitChange('go', 0, POLL_SLICE_MS);
  }
  throw Object.assign(new Error(`the main thread did not hand the socket over within ${HANDOVER_LIMIT_MS} ms`), { code: 'ERR_HA_TRANSFER' });
}

function run(data: SendfileWorkerData, positions: ControlBlock<SendfilePosition>): SendfileWorkerEvent {
  const addon = load.addon;
  if (!addon) return { type: 'failed', code: 'ERR_STORE_NATIVE_UNAVAILABLE', message: `the sendfile worker cannot load the native addon: ${load.error}` };
  const committed = committedPosition(data.source.buffer, data.source.committedIndex);
  const loop = new SendfileLoop(addon, data.socketFd, committed, positions, { ...data, segmentDir: data.source.segmentDir }, () => systemClock.monotonicMs());
  try {
    if (awaitHandover(positions)) loop.run();
    return { type: 'stopped' };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { type: 'failed', code: typeof code === 'string' ? code : 'ERR_HA_TRANSFER', message: (err as Error).message ?? String(err) };
  } finally {
    loop.close();
  }
}

parentPort!.on('message', (data: SendfileWorkerData) => {
  const positions = ControlBlock.attach(data.positions, SENDFILE_POSITIONS);
  const event = run(data, positions);
  if (load.addon) {
    // `released` first: if this thread dies between the two steps, one fd leaks instead of the
    // main thread closing a descriptor number that may already belong to another file.
    positions.store('released', 1);
    load.addon.close(data.socketFd);
  }
  parentPort!.postMessage(event);
  // the listener stays: this thread waits for its next transfer until the main thread ends it
});
