// relateLogs (src/cli/verify/log-relation.ts), the core of `mqstore verify`, over a group of N
// logs as a DLedger group check will use it: every member is related to logs[0] in one call
// (identical, prefix = behind, ahead, different at the first differing byte), in process; and
// `mqstore verify --group <dirs> [--up-to N]` as a process over the same logs.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLogExtent } from '../../src/cli/verify/commit-log-dir.js';
import { relateLogs } from '../../src/cli/verify/log-relation.js';
import type { GroupVerifyReport } from '../../src/cli/verify/verify-group.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { bodyOf, putOk, SMALL_SEGMENT_BYTES, smallConfig, waitCommitted, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { runCli } from './node-harness.js';

const newDir = tempDirs('mqstore-verify-group-');
const OPTIONS = { chunkBytes: 8192, threads: 2 };

async function writeStore(puts: number): Promise<{ dir: string; end: number }> {
  const dir = newDir();
  const clock = new ManualClock(1_700_000_000_000);
  let end = 0;
  await withStore(
    smallConfig(dir, 'node'),
    async (store) => {
      for (let i = 0; i < puts; i++) {
        await putOk(store, { topic: 'G', queueId: i % 2, body: bodyOf(i, 400 + ((i * 131) % 900)) });
        clock.advance(1);
      }
      await waitCommitted(store, { flushed: true });
      end = store.getMaxPhyOffset();
    },
    { clock, logger: memoryLogger() },
  );
  return { dir, end };
}

describe('relateLogs over a group', () => {
  let short: { dir: string; end: number };
  let long: { dir: string; end: number };

  beforeAll(async () => {
    short = await writeStore(60);
    long = await writeStore(100);
  }, 60_000);

  let copy: string;
  let flipped: string;
  let at: number;

  beforeAll(() => {
    copy = newDir();
    cpSync(long.dir, copy, { recursive: true });
    flipped = newDir();
    cpSync(long.dir, flipped, { recursive: true });
    at = short.end + 123;
    const name = String(Math.floor(at / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES).padStart(20, '0');
    const path = join(flipped, 'commitlog', name);
    const bytes = readFileSync(path);
    bytes[at - Number(name)] = bytes[at - Number(name)]! ^ 0x01;
    writeFileSync(path, bytes);
  });

  it('relates each member to the reference in one call', async () => {
    const verdicts = await relateLogs([readLogExtent(long.dir), readLogExtent(copy), readLogExtent(short.dir), readLogExtent(flipped)], OPTIONS);
    expect(verdicts.map((v) => v.relation)).toEqual(['identical', 'prefix', 'different']);
    expect(verdicts[0]).toMatchObject({ identicalUpTo: long.end, referenceEnd: long.end, memberEnd: long.end, aheadBytes: 0 });
    expect(verdicts[1]).toMatchObject({ identicalUpTo: short.end, memberEnd: short.end, aheadBytes: long.end - short.end, difference: null });
    expect(verdicts[2]!.difference).toMatchObject({ offset: at, kind: 'bytes' });
    expect(verdicts[2]!.identicalUpTo).toBe(at);

    const [ahead] = await relateLogs([readLogExtent(short.dir), readLogExtent(long.dir)], OPTIONS);
    expect(ahead).toMatchObject({ relation: 'ahead', identicalUpTo: short.end, aheadBytes: long.end - short.end });
  });

  it('mqstore verify --group: identical with a member behind; the first difference of a member that differs; --up-to bounds it', async () => {
    const report = async (args: string[], code: number): Promise<GroupVerifyReport> => {
      const r = await runCli(['verify', ...args, '--json', '--threads', '2']);
      expect(r.code, r.stderr + r.stdout).toBe(code);
      return JSON.parse(r.stdout) as GroupVerifyReport;
    };
    const same = await report(['--group', `${long.dir},${copy},${short.dir}`], 0);
    expect(same).toMatchObject({ mode: 'group', result: 'identical', upTo: null, upToSource: 'log-ends', reference: 0, identicalUpTo: short.end });
    expect(same.members.map((m) => m.relation)).toEqual(['identical', 'identical', 'prefix']);

    const differs = await report(['--group', `${long.dir},${copy},${flipped}`], 1);
    expect(differs.result).toBe('different');
    expect(differs.members[2]).toMatchObject({ relation: 'different', identicalUpTo: at, firstDifference: { offset: at, kind: 'bytes' } });
    expect(differs.identicalUpTo).toBe(at);

    const below = await report(['--group', `${long.dir},${flipped}`, '--up-to', String(at)], 0);
    expect(below).toMatchObject({ result: 'identical', upTo: at, upToSource: 'given', identicalUpTo: at });
    // a member that does not hold the whole bound differs (its bytes there are zeros)
    const past = await report(['--group', `${long.dir},${short.dir}`, '--up-to', String(long.end)], 1);
    expect(past.members[1]!.relation).toBe('different');
    // the first non-zero byte of the record at short.end (its size field starts with zero bytes)
    expect(past.members[1]!.firstDifference!.offset - short.end).toBeGreaterThanOrEqual(0);
    expect(past.members[1]!.firstDifference!.offset - short.end).toBeLessThan(4);

    const text = await runCli(['verify', '--group', `${long.dir},${copy}`]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^group: identical up to offset ${long.end} on all 2 members; compared each log to its end`, 'm'));
  }, 60_000);

  it('mqstore verify --group usage errors: exit 2, nothing compared', async () => {
    for (const args of [
      ['--group', short.dir],
      ['--group', `${short.dir},`],
      ['--group', `${short.dir},${long.dir}`, '--master', short.dir],
      ['--group', `${short.dir},${long.dir}`, '--group-addr', '127.0.0.1:1,127.0.0.1:2'],
      ['--group', `${short.dir},${long.dir}`, '--up-to', '12abc'],
      ['--master', short.dir, '--slave', long.dir, '--up-to', '5'],
    ]) {
      const r = await runCli(['verify', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/verify: /);
    }
  }, 60_000);

  it('needs a reference and at least one member', async () => {
    await expect(relateLogs([readLogExtent(short.dir)], OPTIONS)).rejects.toThrow(/at least one member/);
  });
});
