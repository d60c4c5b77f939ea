// CRC entry points for the whole store. crc32 is CRC-32/IEEE (RocketMQ's body CRC, same as
// java.util.zip.CRC32 and Node's zlib.crc32); crc32c is CRC-32C (Castagnoli). Both use the
// addon's hardware paths when it loaded, else zlib.crc32 and a table-driven CRC-32C.
import * as zlib from 'node:zlib';
import { loadNativeAddon } from './native-addon.js';

export type CrcFunction = (data: Uint8Array, initial?: number) => number;

const addon = loadNativeAddon().addon;

export const crc32: CrcFunction = addon
  ? (data, initial = 0) => addon.crc32(data, initial)
  : (data, initial = 0) => zlib.crc32(data, initial);

export const crc32c: CrcFunction = addon ? (data, initial = 0) => addon.crc32c(data, initial) : crc32cTable;

/** Which implementation each CRC uses here, for `doctor` and benchmarks. */
export function crcImplementation(): { crc32: string; crc32c: string } {
  if (!addon) return { crc32: 'zlib', crc32c: 'js-table' };
  const cpu = addon.cpuFeatures();
  return {
    crc32: cpu.crc32Hardware ? 'native-pclmulqdq' : 'native-table',
    crc32c: cpu.crc32cHardware ? 'native-sse4.2' : 'native-table',
  };
}

let castagnoliTable: Uint32Array | undefined;

/** Byte-at-a-time CRC-32C, the fallback when the addon is missing. */
export function crc32cTable(data: Uint8Array, initial = 0): number {
  const table = (castagnoliTable ??= makeTable(0x82f63b78));
  let crc = ~initial >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Byte-at-a-time CRC-32/IEEE in plain JS (benchmark baseline). */
export function crc32Table(data: Uint8Array, initial = 0): number {
  const table = (ieeeTable ??= makeTable(0xedb88320));
  let crc = ~initial >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

let ieeeTable: Uint32Array | undefined;

function makeTable(reflectedPoly: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? reflectedPoly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}
