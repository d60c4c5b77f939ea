// The simulator's only source of randomness: a seeded PRNG (xoshiro128**, seeded through
// splitmix32), our own code, with the helpers the simulator needs.
//
// Invariants:
//   - the same seed gives the same sequence on every machine and Node version (32-bit integer
//     arithmetic only, via Math.imul and >>> 0; no Math.random, no floats in the state);
//   - fork(label) derives a stream from this stream's *key* (seed + fork path) and the label, not
//     from its current position: drawing more numbers from one stream never shifts another, so
//     adding a random choice in the network does not change the fault schedule of a seed.
import { assert } from '../../src/util/assert.js';

const TWO_POW_32 = 4_294_967_296;

/** FNV-1a over the UTF-16 code units of a string (labels are ASCII). */
function hashLabel(label: string, basis: number): number {
  let h = (basis ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** splitmix32: spreads one 32-bit seed over the four words of xoshiro's state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `key` names this stream: the seed for a root stream, a hash of the fork path otherwise. */
  private constructor(private readonly key: number) {
    const sm = { s: key >>> 0 };
    this.a = splitmix32(sm);
    this.b = splitmix32(sm);
    this.c = splitmix32(sm);
    this.d = splitmix32(sm);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  static fromSeed(seed: number): Rng {
    assert(Number.isSafeInteger(seed) && seed >= 0, `seed must be a non-negative safe integer, got ${seed}`);
    // Fold the high bits in so seeds above 2^32 still differ.
    return new Rng((seed >>> 0) ^ Math.floor(seed / TWO_POW_32));
  }

  /** An independent stream named by `label` (see the header: position-independent). */
  fork(label: string): Rng {
    return new Rng(hashLabel(label, this.key));
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c = (this.c ^ this.a) >>> 0;
    this.d = (this.d ^ this.b) >>> 0;
    this.b = (this.b ^ this.c) >>> 0;
    this.a = (this.a ^ this.d) >>> 0;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** An integer in [min, max] (both inclusive). Ranges up to 2^32 values. */
  int(min: number, max: number): number {
    assert(Number.isInteger(min) && Number.isInteger(max) && min <= max, `bad int range [${min}, ${max}]`);
    const span = max - min + 1;
    assert(span <= TWO_POW_32, `int range too wide: ${span}`);
    // Rejection sampling: no modulo bias.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return min + (x % span);
    }
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Pick by weight: `[[weight, value], ...]`, weights >= 0, at least one > 0. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of choices) total += w;
    assert(total > 0, 'weighted pick with no positive weight');
    let x = this.float() * total;
    for (const [w, v] of choices) {
      if (x < w) return v;
      x -= w;
    }
    return (choices[choices.length - 1] as readonly [number, T])[1];
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Random bytes (test payloads). */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      let x = this.nextU32();
      for (let k = 0; k < 4 && i + k < length; k++, x >>>= 8) out[i + k] = x & 0xff;
    }
    return out;
  }
}
