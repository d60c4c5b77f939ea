// Smoke runs of the read, recovery and batch bench suites (issue 12) so they cannot rot: tiny
// sizes, real stores; every row renders with a positive rate (a recovery that found damage in a
// clean log, or a put that was not PUT_OK, throws inside the suite).
import { describe, expect, it } from 'vitest';
import { batchSuite } from '../../bench/batch.bench.js';
import { readSuite } from '../../bench/read.bench.js';
import { recoverySuite } from '../../bench/recovery.bench.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

/** The numbers in the first column after the name of each table row. */
function rates(table: string): number[] {
  return table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| read |') && !l.startsWith('| scan |') && !l.startsWith('| case |'))
    .map((l) => Number(l.split('|')[2]!.trim().replace(/,/g, '')));
}

describe('perf bench suites (smoke)', () => {
  it('read: getMessage and getMessageRaw rows', async () => {
    const table = await readSuite({ dir: newDir(), putMs: 100, rounds: 1, oneQueueMessages: 500, segmentBytes: 8 << 20 });
    expect(table).toMatch(/getMessageRaw, one queue/);
    const r = rates(table);
    expect(r).toHaveLength(4);
    for (const x of r) expect(x).toBeGreaterThan(0);
  });

  it('recovery: scan rows', async () => {
    const table = await recoverySuite({ dir: newDir(), segmentBytes: 8 << 20, segments: 4, rounds: 1 });
    const r = rates(table);
    expect(r).toHaveLength(4);
    for (const x of r) expect(x).toBeGreaterThan(0);
  });

  it('batch: plain, single and batch rows', async () => {
    const table = await batchSuite({ dir: newDir(), timeMs: 100, rounds: 1, segmentBytes: 8 << 20 });
    const r = rates(table);
    expect(r).toHaveLength(4);
    for (const x of r) expect(x).toBeGreaterThan(0);
  });
});
