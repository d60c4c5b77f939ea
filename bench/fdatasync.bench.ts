// fdatasync through the addon against fs.fdatasyncSync: after a 4 KiB write (the SYNC_FLUSH
// case) and on a clean file (the floor the device sets).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { loadNativeAddon } from '../src/io/native-addon.js';
import { formatTable, measure, type BenchCase, type BenchTiming } from './lib/harness.js';

export async function fdatasyncSuite(timing: BenchTiming, dir: string): Promise<string> {
  const addon = loadNativeAddon().addon;
  const page = randomBytes(4096);
  const fd = fs.openSync(join(dir, 'fdatasync'), 'w+');
  fs.ftruncateSync(fd, 1 << 20);
  let pos = 0;
  const nextPos = (): number => (pos = (pos + 4096) % (1 << 20));
  const cases: BenchCase[] = [
    { name: 'fs.fdatasyncSync, clean', callsPerSample: 1, sample: () => fs.fdatasyncSync(fd) },
    {
      name: 'fs 4 KiB write + fs.fdatasyncSync',
      callsPerSample: 1,
      sample: () => {
        fs.writeSync(fd, page, 0, 4096, nextPos());
        fs.fdatasyncSync(fd);
      },
    },
  ];
  if (addon) {
    cases.push(
      { name: 'addon fdatasync, clean', callsPerSample: 1, sample: () => addon.fdatasync(fd) },
      {
        name: 'addon 4 KiB pwrite + fdatasync',
        callsPerSample: 1,
        sample: () => {
          addon.pwrite(fd, page, nextPos());
          addon.fdatasync(fd);
        },
      },
    );
  }
  try {
    const rows = await measure(cases, timing);
    return formatTable('fdatasync (the device sets the cost)', rows, 'fs 4 KiB write + fs.fdatasyncSync');
  } finally {
    fs.closeSync(fd);
  }
}
