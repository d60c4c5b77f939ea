// Piscina task: increment a shared Float64 counter `times` times, each read-modify-write
// under the SabMutex (or without it when `locked` is false).
import { SabMutex } from '../../src/util/mutex.js';

export default function increment(task: { lock: SharedArrayBuffer; counter: SharedArrayBuffer; times: number; locked: boolean }): number {
  const mutex = new SabMutex(task.lock);
  const counter = new Float64Array(task.counter);
  for (let i = 0; i < task.times; i++) {
    if (task.locked) mutex.lock();
    counter[0] = counter[0]! + 1;
    if (task.locked) mutex.unlock();
  }
  return task.times;
}
