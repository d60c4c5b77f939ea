// Worker: attaches to an aligned allocation made by the main thread (by its id), fills it
// with a byte pattern, and reports the byte length it saw.
import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeAddon } from '../../src/io/native-addon.js';

const { id, fill } = workerData as { id: number; fill: number };
const addon = loadNativeAddon().addon!;
const view = new Uint8Array(addon.attachAligned(id));
view.fill(fill);
const length = view.byteLength;
addon.releaseAligned(view.buffer as ArrayBuffer);
parentPort?.postMessage(length);
