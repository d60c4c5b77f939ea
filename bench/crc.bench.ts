// CRC throughput: the addon's CRC-32 (PCLMULQDQ) against zlib.crc32 and a JS table, plus the
// addon's CRC-32C, at 128 B, 1 KiB and 1 MiB. Each implementation has its own sample loop so
// every call site stays monomorphic.
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32Table } from '../src/io/crc.js';
import { loadNativeAddon } from '../src/io/native-addon.js';
import { formatTable, measure, type BenchCase, type BenchTiming } from './lib/harness.js';

export async function crcSuite(timing: BenchTiming): Promise<string> {
  const addon = loadNativeAddon().addon;
  const out: string[] = [];
  for (const size of [128, 1024, 1 << 20]) {
    const data = randomBytes(size);
    const calls = size >= 1 << 20 ? 4 : 1000;
    let sink = 0;
    const cases: BenchCase[] = [
      {
        name: 'zlib.crc32',
        callsPerSample: calls,
        bytesPerCall: size,
        sample: () => {
          for (let i = 0; i < calls; i++) sink ^= zlib.crc32(data);
        },
      },
      {
        name: 'js table crc32',
        callsPerSample: size >= 1 << 20 ? 1 : calls,
        bytesPerCall: size,
        sample: () => {
          for (let i = 0, n = size >= 1 << 20 ? 1 : calls; i < n; i++) sink ^= crc32Table(data);
        },
      },
    ];
    if (addon) {
      cases.push(
        {
          name: 'addon crc32',
          callsPerSample: calls,
          bytesPerCall: size,
          sample: () => {
            for (let i = 0; i < calls; i++) sink ^= addon.crc32(data);
          },
        },
        {
          name: 'addon crc32c',
          callsPerSample: calls,
          bytesPerCall: size,
          sample: () => {
            for (let i = 0; i < calls; i++) sink ^= addon.crc32c(data);
          },
        },
      );
    }
    const rows = await measure(cases, timing);
    out.push(formatTable(`CRC, ${size} B input${addon ? '' : ' (addon not loaded)'}`, rows, 'zlib.crc32'));
    if (sink === 0.5) out.push('unreachable'); // keeps `sink` alive
  }
  return out.join('\n\n');
}
