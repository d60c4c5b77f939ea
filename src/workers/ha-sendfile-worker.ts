// Worker-thread entry of the sendfile HA sender (ha/ha-sendfile-sender.ts). Thin: attaches the
// shared positions, runs the transfer loop (ha/ha-sendfile-loop.ts) until the stop flag or a
// failure, then releases its descriptors (the socket dup it owns, the segment it had open) and
// posts one final event: 'stopped' or 'failed'.
import { parentPort, workerData } from 'node:worker_threads';
import { SENDFILE_POSITIONS, type SendfileWorkerData, type SendfileWorkerEvent } from '../ha/ha-sendfile-layout.js';
import { SendfileLoop, type CommittedPosition } from '../ha/ha-sendfile-loop.js';
import { loadNativeAddon } from '../io/native-addon.js';
import { systemClock } from '../util/clock.js';
import { ControlBlock } from '../util/control-block.js';

const data = workerData as SendfileWorkerData;
const positions = ControlBlock.attach(data.positions, SENDFILE_POSITIONS);
const load = loadNativeAddon();

function committedPosition(buffer: SharedArrayBuffer, index: number): CommittedPosition {
  const slots = new BigInt64Array(buffer);
  return {
    load: () => Number(Atomics.load(slots, index)),
    wait: (seen, timeoutMs) => void Atomics.wait(slots, index, BigInt(seen), timeoutMs),
  };
}

function run(): SendfileWorkerEvent {
  const addon = load.addon;
  if (!addon) return { type: 'failed', code: 'ERR_STORE_NATIVE_UNAVAILABLE', message: `the sendfile worker cannot load the native addon: ${load.error}` };
  const committed = committedPosition(data.source.buffer, data.source.committedIndex);
  const loop = new SendfileLoop(addon, data.socketFd, committed, positions, { ...data, segmentDir: data.source.segmentDir }, () => systemClock.monotonicMs());
  try {
    loop.run();
    return { type: 'stopped' };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { type: 'failed', code: typeof code === 'string' ? code : 'ERR_HA_TRANSFER', message: (err as Error).message ?? String(err) };
  } finally {
    loop.close();
  }
}

const event = run();
if (load.addon) {
  // `released` first: if this thread dies between the two steps, one fd leaks instead of the
  // main thread closing a descriptor number that may already belong to another file.
  positions.store('released', 1);
  load.addon.close(data.socketFd);
}
parentPort!.postMessage(event);
