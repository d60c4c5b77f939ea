// Appending 1 KiB records: a copy into an mmap'd file (the addon) against fs.writeSync at
// the position and the addon's pwrite. The file is preallocated; writes wrap around in it.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { selectFileIO } from '../src/io/select-io.js';
import { formatTable, measure, type BenchCase, type BenchTiming } from './lib/harness.js';

const RECORD_BYTES = 1024;
const CALLS = 1000;

export async function appendSuite(timing: BenchTiming, dir: string, fileBytes: number): Promise<string> {
  const record = randomBytes(RECORD_BYTES);
  const io = selectFileIO('auto');
  const open = (name: string): number => {
    const fd = fs.openSync(join(dir, name), 'w+');
    fs.ftruncateSync(fd, fileBytes);
    return fd;
  };
  const fdNode = open('append-node');
  const fdPwrite = open('append-pwrite');
  let posNode = 0;
  let posPwrite = 0;
  const cases: BenchCase[] = [
    {
      name: 'fs.writeSync',
      callsPerSample: CALLS,
      bytesPerCall: RECORD_BYTES,
      sample: () => {
        for (let i = 0; i < CALLS; i++) {
          if (posNode + RECORD_BYTES > fileBytes) posNode = 0;
          fs.writeSync(fdNode, record, 0, RECORD_BYTES, posNode);
          posNode += RECORD_BYTES;
        }
      },
    },
  ];
  const cleanups: Array<() => void> = [];
  if (io.backend === 'native') {
    cases.push({
      name: 'addon pwrite',
      callsPerSample: CALLS,
      bytesPerCall: RECORD_BYTES,
      sample: () => {
        for (let i = 0; i < CALLS; i++) {
          if (posPwrite + RECORD_BYTES > fileBytes) posPwrite = 0;
          io.pwrite(fdPwrite, record, posPwrite);
          posPwrite += RECORD_BYTES;
        }
      },
    });
    const fdMap = open('append-mmap');
    const region = io.mmap(fdMap, 0, fileBytes, true);
    const bytes = region.bytes;
    let posMap = 0;
    cases.push({
      name: 'mmap copy',
      callsPerSample: CALLS,
      bytesPerCall: RECORD_BYTES,
      sample: () => {
        for (let i = 0; i < CALLS; i++) {
          if (posMap + RECORD_BYTES > fileBytes) posMap = 0;
          bytes.set(record, posMap);
          posMap += RECORD_BYTES;
        }
      },
    });
    cleanups.push(() => region.unmap(), () => fs.closeSync(fdMap));
  }
  try {
    const rows = await measure(cases, timing);
    return formatTable(`Append 1 KiB records into a ${fileBytes >> 20} MiB file (page cache, no flush)`, rows, 'fs.writeSync');
  } finally {
    for (const c of cleanups) c();
    fs.closeSync(fdNode);
    fs.closeSync(fdPwrite);
  }
}
