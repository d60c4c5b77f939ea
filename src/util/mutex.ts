// A mutex over one Int32 slot of a SharedArrayBuffer, usable from any thread that holds the
// buffer (the npm package `sharedarraybuffer-lock` does not exist; this is our own).
//
// States of the slot: 0 = unlocked, 1 = locked, 2 = locked and a thread may be waiting.
// `lock` blocks with Atomics.wait: call it from worker threads, never on the event loop of a
// server. `tryLock` never blocks. Not re-entrant: locking twice from one thread deadlocks.
import { assert } from './assert.js';

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

export class SabMutex {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  private readonly cell: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4), byteOffset = 0) {
    assert(byteOffset % 4 === 0, 'mutex byteOffset must be 4-byte aligned');
    this.buffer = buffer;
    this.byteOffset = byteOffset;
    this.cell = new Int32Array(buffer, byteOffset, 1);
  }

  tryLock(): boolean {
    return Atomics.compareExchange(this.cell, 0, UNLOCKED, LOCKED) === UNLOCKED;
  }

  lock(): void {
    let state = Atomics.compareExchange(this.cell, 0, UNLOCKED, LOCKED);
    if (state === UNLOCKED) return;
    // Mark contended, then sleep until the holder releases; the loop ends once we take the lock.
    if (state !== CONTENDED) state = Atomics.exchange(this.cell, 0, CONTENDED);
    while (state !== UNLOCKED) {
      Atomics.wait(this.cell, 0, CONTENDED);
      state = Atomics.exchange(this.cell, 0, CONTENDED);
    }
  }

  unlock(): void {
    const previous = Atomics.exchange(this.cell, 0, UNLOCKED);
    assert(previous !== UNLOCKED, 'unlock of a mutex that is not locked');
    if (previous === CONTENDED) Atomics.notify(this.cell, 0, 1);
  }

  withLock<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}
