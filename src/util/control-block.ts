// The SharedArrayBuffer control block: named 64-bit positions (wrote, committed, flushed, acked
// offsets, wake-up counters) shared between the writer thread and service worker threads.
//
// Layout: one BigInt64 slot per name, each on its own 64-byte line to avoid false sharing.
//   byte offset = index(name) * 64; value = signed 64-bit, read and written with Atomics.
// Positions only move forward through `advance` (a CAS loop keeping the maximum); every change
// notifies waiters. Values are exposed as JS numbers, exact up to 2^53 bytes (8 PiB).
import { assert } from './assert.js';
import { systemClock } from './clock.js';
import type { LocalWaits } from './local-waits.js';

const SLOT_STRIDE_BYTES = 64;
const SLOT_STRIDE = SLOT_STRIDE_BYTES / BigInt64Array.BYTES_PER_ELEMENT;

export type WaitOutcome = 'ok' | 'timed-out';

export class ControlBlock<Name extends string = string> {
  readonly buffer: SharedArrayBuffer;
  readonly names: readonly Name[];
  private readonly slots: BigInt64Array;
  private readonly words: Int32Array;
  private readonly indexOf: Map<Name, number>;
  /** Set by serveWaitsLocally: async waits are served on this thread (local-waits.ts). */
  private local: LocalWaits | null = null;

  private constructor(buffer: SharedArrayBuffer, names: readonly Name[]) {
    assert(new Set(names).size === names.length, 'control block names must be unique');
    assert(buffer.byteLength >= names.length * SLOT_STRIDE_BYTES, 'control block buffer too small for its names');
    this.buffer = buffer;
    this.names = names;
    this.slots = new BigInt64Array(buffer);
    this.words = new Int32Array(buffer);
    assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'control block flags assume a little-endian CPU');
    this.indexOf = new Map(names.map((n, i) => [n, i * SLOT_STRIDE]));
  }

  /** A new block with every position at 0. */
  static create<N extends string>(names: readonly N[]): ControlBlock<N> {
    return new ControlBlock(new SharedArrayBuffer(names.length * SLOT_STRIDE_BYTES), names);
  }

  /** A view of a block created elsewhere (another thread); `names` must be the same list. */
  static attach<N extends string>(buffer: SharedArrayBuffer, names: readonly N[]): ControlBlock<N> {
    return new ControlBlock(buffer, names);
  }

  /** Every change of this block happens on this thread from now on (an in-thread service): serve
   * waitAtLeastAsync / waitChangeAsync with listeners and `waits`' scheduler instead of
   * Atomics.waitAsync (deterministic under a manual scheduler). */
  serveWaitsLocally(waits: LocalWaits): void {
    this.local = waits;
  }

  load(name: Name): number {
    return Number(Atomics.load(this.slots, this.slot(name)));
  }

  /** Set a value unconditionally (initialisation, truncation) and wake waiters. */
  store(name: Name, value: number): void {
    const i = this.slot(name);
    Atomics.store(this.slots, i, toBig(value));
    Atomics.notify(this.slots, i);
    this.local?.notified(i, Atomics.load(this.slots, i));
  }

  /** A small flag value (0..2^31) read as the slot's low 32-bit word: no BigInt on hot paths.
   * Slots written with `store`/`bump` keep such values exact (little-endian layout). */
  loadFlag(name: Name): number {
    return Atomics.load(this.words, this.slot(name) * 2);
  }

  /** The slot index of `name`, for `publish` on hot paths. */
  slotOf(name: Name): number {
    return this.slot(name);
  }

  /** Set the value at a slot from `slotOf` without waking anyone: for a single writer whose
   * readers poll or are woken separately (the put path). `value` must be a safe integer. */
  publish(slot: number, value: number): void {
    Atomics.store(this.slots, slot, BigInt(value));
  }

  /** Raise the position to `value` if it is higher; returns whether it moved. Wakes waiters when it did. */
  advance(name: Name, value: number): boolean {
    const i = this.slot(name);
    const target = toBig(value);
    for (;;) {
      const current = Atomics.load(this.slots, i);
      if (current >= target) return false;
      if (Atomics.compareExchange(this.slots, i, current, target) === current) {
        Atomics.notify(this.slots, i);
        this.local?.notified(i, target);
        return true;
      }
    }
  }

  /** Add `delta` (a wake-up counter) and wake waiters; returns the new value. */
  bump(name: Name, delta = 1): number {
    const i = this.slot(name);
    const next = Atomics.add(this.slots, i, toBig(delta)) + toBig(delta);
    Atomics.notify(this.slots, i);
    this.local?.notified(i, next);
    return Number(next);
  }

  /** Wake every waiter on `name` without changing it (they re-check their own conditions). */
  notify(name: Name): void {
    const i = this.slot(name);
    Atomics.notify(this.slots, i);
    this.local?.notified(i, Atomics.load(this.slots, i));
  }

  /** Block this thread until `name >= target` or the timeout passes. For worker threads only. */
  waitAtLeast(name: Name, target: number, timeoutMs: number): WaitOutcome {
    const i = this.slot(name);
    const deadline = systemClock.monotonicMs() + timeoutMs;
    for (;;) {
      const current = Atomics.load(this.slots, i);
      if (current >= toBig(target)) return 'ok';
      const remaining = deadline - systemClock.monotonicMs();
      if (remaining <= 0) return 'timed-out';
      Atomics.wait(this.slots, i, current, remaining);
    }
  }

  /** Block this thread until `name` differs from `seen` or the timeout passes. For worker threads only. */
  waitChange(name: Name, seen: number, timeoutMs: number): WaitOutcome {
    const result = Atomics.wait(this.slots, this.slot(name), toBig(seen), timeoutMs);
    return result === 'timed-out' ? 'timed-out' : 'ok';
  }

  /** Resolve when `name >= target`, or with 'timed-out'; never blocks the event loop. */
  async waitAtLeastAsync(name: Name, target: number, timeoutMs: number): Promise<WaitOutcome> {
    const i = this.slot(name);
    if (this.local !== null) {
      const wanted = toBig(target);
      return Atomics.load(this.slots, i) >= wanted ? 'ok' : this.local.waitAtLeast(i, wanted, timeoutMs);
    }
    const deadline = systemClock.monotonicMs() + timeoutMs;
    for (;;) {
      const current = Atomics.load(this.slots, i);
      if (current >= toBig(target)) return 'ok';
      const remaining = deadline - systemClock.monotonicMs();
      if (remaining <= 0) return 'timed-out';
      const waited = Atomics.waitAsync(this.slots, i, current, remaining);
      if (waited.async) await waited.value;
    }
  }

  /** Resolve when `name` differs from `seen` or is notified, or with 'timed-out'. */
  async waitChangeAsync(name: Name, seen: number, timeoutMs: number): Promise<WaitOutcome> {
    if (this.local !== null) {
      const i = this.slot(name);
      return Atomics.load(this.slots, i) !== toBig(seen) ? 'ok' : this.local.waitNotify(i, timeoutMs);
    }
    const waited = Atomics.waitAsync(this.slots, this.slot(name), toBig(seen), timeoutMs);
    const result = waited.async ? await waited.value : waited.value;
    return result === 'timed-out' ? 'timed-out' : 'ok';
  }

  /** A plain object of every position, for status output. */
  snapshot(): Record<Name, number> {
    const out = {} as Record<Name, number>;
    for (const name of this.names) out[name] = this.load(name);
    return out;
  }

  private slot(name: Name): number {
    const i = this.indexOf.get(name);
    assert(i !== undefined, `unknown control block position '${name}'`);
    return i;
  }
}

function toBig(value: number): bigint {
  assert(Number.isSafeInteger(value), `control block value must be a safe integer, got ${value}`);
  return BigInt(value);
}
