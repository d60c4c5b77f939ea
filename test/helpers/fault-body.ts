// Self-verifying message bodies for the fault tests, and a seeded PRNG.
//
// Body layout (big-endian):
// | off   | field      | width    | notes                                          |
// |-------|------------|----------|------------------------------------------------|
// |     0 | seq        | 8 bytes  | uint64 as two uint32 (hi, lo)                  |
// |     8 | padLength  | 4 bytes  | n                                               |
// |    12 | pad        | n bytes  | pseudo-random, derived from seq                 |
// |  12+n | sha256     | 32 bytes | over bytes [0, 12+n)                            |
// A body that is torn, shifted or swapped with another message's fails `decodeBody`.
// keys of a message = `s<seq>`; queueId = queueOfSeq(seq, queues).
import { createHash } from 'node:crypto';

export const BODY_OVERHEAD_BYTES = 12 + 32;

/** mulberry32: small, seedable, good enough to pick kill points and sizes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from FAULT_SEED (to replay a failure) or a fresh random one. */
export function faultSeed(): number {
  const fromEnv = Number.parseInt(process.env.FAULT_SEED ?? '', 10);
  return Number.isInteger(fromEnv) ? fromEnv >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** Skewed queue choice: ~60% of messages on queue 0, the rest spread over 1..queues-1. */
export function queueOfSeq(seq: number, queues: number): number {
  if (queues <= 1) return 0;
  const h = Math.imul(seq ^ (seq >>> 16), 0x45d9f3b) >>> 0;
  return h % 100 < 60 ? 0 : 1 + (h % (queues - 1));
}

export function keysOfSeq(seq: number): string {
  return `s${seq}`;
}

export function encodeBody(seq: number, maxPadBytes: number): Uint8Array {
  const rand = prng(seq ^ 0x9e3779b9);
  const n = Math.floor(rand() * (maxPadBytes + 1));
  const body = new Uint8Array(BODY_OVERHEAD_BYTES + n);
  const view = new DataView(body.buffer);
  view.setUint32(0, Math.floor(seq / 2 ** 32));
  view.setUint32(4, seq >>> 0);
  view.setUint32(8, n);
  for (let i = 0; i < n; i++) body[12 + i] = (rand() * 256) | 0;
  body.set(createHash('sha256').update(body.subarray(0, 12 + n)).digest(), 12 + n);
  return body;
}

/** The seq of a valid body, or a string saying why the body is not valid. */
export function decodeBody(body: Uint8Array | null): number | string {
  if (!body) return 'no body';
  if (body.byteLength < BODY_OVERHEAD_BYTES) return `body of ${body.byteLength} bytes is shorter than ${BODY_OVERHEAD_BYTES}`;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const n = view.getUint32(8);
  if (body.byteLength !== BODY_OVERHEAD_BYTES + n) return `body length ${body.byteLength} does not match pad length ${n}`;
  const want = createHash('sha256').update(body.subarray(0, 12 + n)).digest();
  const got = body.subarray(12 + n);
  for (let i = 0; i < 32; i++) if (want[i] !== got[i]) return 'body hash mismatch';
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4);
}
