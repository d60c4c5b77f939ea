// Big-endian integer reads and writes on a plain Uint8Array (no DataView, no Buffer), for the
// record and ConsumeQueue codecs. Writers assume the caller checked the bounds (they are on the
// hot path); readers return garbage, never throw, on short input — callers check bounds first.
// int64 values are JS numbers: exact for |v| <= 2^53 - 1; writeInt64 asserts that.
import { assert } from '../util/assert.js';

const TWO_POW_32 = 0x1_0000_0000;

export function writeInt32(target: Uint8Array, position: number, value: number): void {
  target[position] = value >>> 24;
  target[position + 1] = value >>> 16;
  target[position + 2] = value >>> 8;
  target[position + 3] = value;
}

export function writeInt16(target: Uint8Array, position: number, value: number): void {
  target[position] = value >>> 8;
  target[position + 1] = value;
}

/** Writes a safe integer as int64 (two's complement for negatives). */
export function writeInt64(target: Uint8Array, position: number, value: number): void {
  if (!Number.isSafeInteger(value)) assert(false, `int64 field value ${value} is not a safe integer`);
  const high = Math.floor(value / TWO_POW_32);
  writeInt32(target, position, high);
  writeInt32(target, position + 4, value - high * TWO_POW_32);
}

export function readInt32(source: Uint8Array, position: number): number {
  return (
    (source[position]! << 24) | (source[position + 1]! << 16) | (source[position + 2]! << 8) | source[position + 3]!
  );
}

export function readUint32(source: Uint8Array, position: number): number {
  return readInt32(source, position) >>> 0;
}

export function readInt16(source: Uint8Array, position: number): number {
  return (((source[position]! << 8) | source[position + 1]!) << 16) >> 16;
}

export function readInt8(source: Uint8Array, position: number): number {
  return (source[position]! << 24) >> 24;
}

/** Reads an int64; exact when the value is within ±(2^53 - 1), rounded beyond. */
export function readInt64(source: Uint8Array, position: number): number {
  return readInt32(source, position) * TWO_POW_32 + readUint32(source, position + 4);
}
