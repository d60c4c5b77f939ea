// Worker: waits until the main thread says it is waiting (position 'ready' >= 1), then advances
// position 'flushed' to the requested value in steps, as a flush service would.
import { workerData, parentPort } from 'node:worker_threads';
import { ControlBlock } from '../../src/util/control-block.js';

const { buffer, target, steps } = workerData as { buffer: SharedArrayBuffer; target: number; steps: number };
const block = ControlBlock.attach(buffer, ['ready', 'flushed'] as const);
const outcome = block.waitAtLeast('ready', 1, 10_000);
for (let i = 1; i <= steps; i++) block.advance('flushed', Math.round((target * i) / steps));
parentPort?.postMessage(outcome);
