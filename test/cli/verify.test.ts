// `mqstore verify --master <dir> --slave <dir>` as a real process, on store directories written
// in this test: the same puts with a ManualClock give byte-identical logs (see
// test/store/tsp-identical.test.ts), then one copy is damaged or extended.
//   identical                 -> exit 0, "identical up to offset <max offset>"
//   one byte flipped          -> exit 1, that exact offset, segment file and position
//   two bytes flipped         -> the earlier one, whatever order the pool finishes chunks in
//   a record header broken in the last segment (the log "ends" early there) -> still that offset
//   one log longer            -> exit 0, "slave is a prefix of master up to X (master is N bytes
//                                ahead ...)" or the reverse; exit 1 with --same-length
//   (issue 14) an empty preallocated segment after the data is not log, neither in the end found
//   nor in the comparison; a prefix with such a segment on both sides is still a prefix, not
//   "DIFFERENT ... slave byte 0x00"; a last record cut short (zeros from some byte on) is the end
//   of that log; a real divergence after a common prefix is still DIFFERENT at its first byte.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekRecordHeader } from '../../src/codec/read-record.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import type { VerifyReport } from '../../src/cli/verify-command.js';
import { bodyOf, putOk, SMALL_SEGMENT_BYTES, smallConfig, waitCommitted, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { runCli } from './node-harness.js';

const newDir = tempDirs('mqstore-verify-');
const CHUNK = ['--chunk-bytes', '8192', '--threads', '2'];

/** Write `puts` messages (deterministic bodies and timestamps) into a new store; return its dir and end. */
async function writeStore(puts: number): Promise<{ dir: string; maxPhyOffset: number }> {
  const dir = newDir();
  const clock = new ManualClock(1_700_000_000_000);
  let maxPhyOffset = 0;
  await withStore(
    smallConfig(dir, 'node'),
    async (store) => {
      for (let i = 0; i < puts; i++) {
        await putOk(store, { topic: i % 4 === 0 ? 'Other' : 'Main', queueId: i % 3, body: bodyOf(i, 300 + ((i * 977) % 2500)), tags: `t${i % 5}` });
        clock.advance(1 + (i % 5));
      }
      await waitCommitted(store, { flushed: true });
      maxPhyOffset = store.getMaxPhyOffset();
    },
    { clock, logger: memoryLogger() },
  );
  return { dir, maxPhyOffset };
}

function copyStore(from: string): string {
  const to = newDir();
  cpSync(from, to, { recursive: true });
  return to;
}

/** XOR one byte of the CommitLog at `offset` (in whichever segment holds it). */
function flipByte(storeDir: string, offset: number): { file: string; position: number } {
  const base = Math.floor(offset / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES;
  const file = String(base).padStart(20, '0');
  const path = join(storeDir, 'commitlog', file);
  const bytes = readFileSync(path);
  bytes[offset - base] = bytes[offset - base]! ^ 0x5a;
  writeFileSync(path, bytes);
  return { file, position: offset - base };
}

async function verifyJson(master: string, slave: string, ...extra: string[]): Promise<{ code: number | null; report: VerifyReport; stderr: string }> {
  const r = await runCli(['verify', '--master', master, '--slave', slave, '--json', ...CHUNK, ...extra]);
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  return { code: r.code, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
}

describe('mqstore verify --master <dir> --slave <dir>', () => {
  let a: { dir: string; maxPhyOffset: number };
  let b: { dir: string; maxPhyOffset: number };
  let longer: { dir: string; maxPhyOffset: number };

  beforeAll(async () => {
    a = await writeStore(160);
    b = await writeStore(160);
    longer = await writeStore(200);
  }, 60_000);

  it('the test logs span several segments and the same puts end at the same offset', () => {
    expect(a.maxPhyOffset).toBeGreaterThan(3 * SMALL_SEGMENT_BYTES);
    expect(b.maxPhyOffset).toBe(a.maxPhyOffset);
    expect(longer.maxPhyOffset).toBeGreaterThan(a.maxPhyOffset);
  });

  it('identical logs: exit 0, identical up to the max offset, neither longer', async () => {
    const r = await runCli(['verify', '--master', a.dir, '--slave', b.dir, ...CHUNK]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`identical up to offset ${a.maxPhyOffset}`);
    expect(r.stdout).toContain('both logs end there');
    const j = await verifyJson(a.dir, join(b.dir, 'commitlog')); // a CommitLog directory works as well as a store root
    expect(j.code).toBe(0);
    expect(j.report).toMatchObject({ result: 'identical', identicalUpTo: a.maxPhyOffset, from: 0, longer: null, firstDifference: null });
    expect(j.report.master).toMatchObject({ endOffset: a.maxPhyOffset, endKind: 'zeros', minOffset: 0 });
    expect(j.report.chunks).toBeGreaterThan(a.maxPhyOffset / 8192);
  });

  it('one flipped byte: exit 1 and exactly that offset, with the segment file and position', async () => {
    const damaged = copyStore(b.dir);
    const offset = 2 * SMALL_SEGMENT_BYTES + 12_345;
    const where = flipByte(damaged, offset);
    const r = await runCli(['verify', '--master', a.dir, '--slave', damaged, ...CHUNK]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`DIFFERENT at offset ${offset}: master ${where.file} position ${where.position}, slave ${where.file} position ${where.position}`);
    expect(r.stdout).toContain(`identical up to offset ${offset}`);
    const j = await verifyJson(a.dir, damaged);
    expect(j.code).toBe(1);
    expect(j.report.result).toBe('different');
    expect(j.report.firstDifference).toMatchObject({ offset, kind: 'bytes', master: { file: where.file, position: where.position }, slave: { file: where.file, position: where.position } });
    const d = j.report.firstDifference!;
    expect(d.master!.byte! ^ d.slave!.byte!).toBe(0x5a);
    expect(d.chunk.masterCrc).not.toBe(d.chunk.slaveCrc);
  });

  it('two flipped bytes far apart: the earlier one is reported', async () => {
    const damaged = copyStore(b.dir);
    const early = SMALL_SEGMENT_BYTES + 40_001;
    flipByte(damaged, early);
    flipByte(damaged, 3 * SMALL_SEGMENT_BYTES + 999);
    const j = await verifyJson(damaged, a.dir, '--threads', '4');
    expect(j.code).toBe(1);
    expect(j.report.firstDifference!.offset).toBe(early);
  });

  it('a broken record header in the last segment (where the end is found): still the exact offset', async () => {
    const damaged = copyStore(b.dir);
    const lastBase = Math.floor(a.maxPhyOffset / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES;
    // the magic code (bytes 4..7) of the first record of the last segment
    const offset = lastBase + 5;
    flipByte(damaged, offset);
    const j = await verifyJson(a.dir, damaged);
    expect(j.code).toBe(1);
    expect(j.report.slave.endKind).toBe('corrupt');
    expect(j.report.firstDifference!.offset).toBe(offset);
  });

  it('different lengths: a prefix, says which is ahead and by how much (exit 0); --same-length makes it exit 1', async () => {
    const r = await runCli(['verify', '--master', longer.dir, '--slave', a.dir, ...CHUNK]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`identical up to offset ${a.maxPhyOffset}`);
    expect(r.stdout).toContain(`slave is a prefix of master up to ${a.maxPhyOffset} (master is ${longer.maxPhyOffset - a.maxPhyOffset} bytes ahead, ends at ${longer.maxPhyOffset})`);
    expect(r.stdout).not.toContain('DIFFERENT');
    const j = await verifyJson(a.dir, longer.dir);
    expect(j.code).toBe(0);
    expect(j.report).toMatchObject({ result: 'prefix', identicalUpTo: a.maxPhyOffset, longer: 'slave', lengthDifferenceBytes: longer.maxPhyOffset - a.maxPhyOffset });
    const strict = await verifyJson(a.dir, longer.dir, '--same-length');
    expect(strict.code).toBe(1);
  });

  it('--progress reports on stderr (large logs get it without asking)', async () => {
    const j = await verifyJson(a.dir, b.dir, '--progress');
    expect(j.code).toBe(0);
    expect(j.stderr).toMatch(/^verify: .* MiB \(100\.0%\).*done$/m);
  });

  it('usage errors exit 2; a directory that is not a CommitLog exits 1 with a clear code', async () => {
    const noSlave = await runCli(['verify', '--master', a.dir]);
    expect(noSlave.code).toBe(2);
    expect(noSlave.stderr).toMatch(/--slave <dir> are required/);
    const badChunk = await runCli(['verify', '--master', a.dir, '--slave', b.dir, '--chunk-bytes', '7']);
    expect(badChunk.code).toBe(2);
    const oneAddr = await runCli(['verify', '--master-addr', '127.0.0.1:1']);
    expect(oneAddr.code).toBe(2);
    const notALog = await runCli(['verify', '--master', a.dir, '--slave', newDir()]);
    expect(notALog.code).toBe(1);
    expect(notALog.stderr).toMatch(/ERR_ADMIN_BAD_LOG_DIR/);
  });
});

/** The segment file name holding `offset`. */
function segmentName(offset: number): string {
  return String(Math.floor(offset / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES).padStart(20, '0');
}

/** What a running (or killed) node leaves: the next segment file, preallocated, all zeros. */
function preallocateNext(storeDir: string, maxPhyOffset: number): string {
  const next = String((Math.floor(maxPhyOffset / SMALL_SEGMENT_BYTES) + 1) * SMALL_SEGMENT_BYTES).padStart(20, '0');
  writeFileSync(join(storeDir, 'commitlog', next), new Uint8Array(SMALL_SEGMENT_BYTES));
  return next;
}

/** The start of the first message record at or after `offset` in its segment (walking records from the segment start). */
function recordStartAtOrAfter(storeDir: string, offset: number): number {
  const base = Math.floor(offset / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES;
  const bytes = new Uint8Array(readFileSync(join(storeDir, 'commitlog', segmentName(offset))));
  let position = 0;
  for (let n = 0; n < 10_000 && position < bytes.length; n++) {
    const r = peekRecordHeader(bytes, position);
    if (r.kind !== 'message') break;
    if (base + position >= offset) return base + position;
    position += r.size;
  }
  throw new Error(`no message record at or after ${offset}`);
}

/** Zero the CommitLog from `offset` to the end of its segment and remove later segments: a record cut short. */
function cutShortAt(storeDir: string, offset: number): void {
  const name = segmentName(offset);
  const path = join(storeDir, 'commitlog', name);
  const bytes = readFileSync(path);
  bytes.fill(0, offset - Number(name));
  writeFileSync(path, bytes);
  for (let o = Number(name) + SMALL_SEGMENT_BYTES; o < 100 * SMALL_SEGMENT_BYTES; o += SMALL_SEGMENT_BYTES) {
    rmSync(join(storeDir, 'commitlog', String(o).padStart(20, '0')), { force: true });
  }
}

/** The first offset >= `offset` where the store's CommitLog holds a non-zero byte. */
function firstNonZeroFrom(storeDir: string, offset: number): number {
  const name = segmentName(offset);
  const bytes = readFileSync(join(storeDir, 'commitlog', name));
  for (let p = offset - Number(name); p < bytes.length; p++) if (bytes[p] !== 0) return Number(name) + p;
  throw new Error('only zeros');
}

describe('mqstore verify: the real end of each log (issue 14)', () => {
  let short: { dir: string; maxPhyOffset: number };
  let long: { dir: string; maxPhyOffset: number };

  beforeAll(async () => {
    short = await writeStore(160);
    long = await writeStore(200);
  }, 60_000);

  it('an empty preallocated segment after the data is not log: the end is the last record, not that segment start', async () => {
    const withSpare = copyStore(short.dir);
    const spare = preallocateNext(withSpare, short.maxPhyOffset);
    const j = await verifyJson(short.dir, withSpare);
    expect(j.code).toBe(0);
    expect(j.report.slave).toMatchObject({ endOffset: short.maxPhyOffset, endKind: 'zeros', emptyTailSegments: 1 });
    expect(j.report).toMatchObject({ result: 'identical', identicalUpTo: short.maxPhyOffset, longer: null });
    const r = await runCli(['verify', '--master', withSpare, '--slave', withSpare, ...CHUNK]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`identical up to offset ${short.maxPhyOffset} `);
    expect(r.stdout).not.toContain(`identical up to offset ${Number(spare)}`);
    expect(r.stdout).toContain('1 empty (preallocated) segment file(s), not log');
  });

  it('a slave that is a strict prefix, both sides with a preallocated segment: prefix, exit 0, not DIFFERENT', async () => {
    const master = copyStore(long.dir);
    const slave = copyStore(short.dir);
    preallocateNext(master, long.maxPhyOffset);
    preallocateNext(slave, short.maxPhyOffset);
    const ahead = long.maxPhyOffset - short.maxPhyOffset;
    const r = await runCli(['verify', '--master', master, '--slave', slave, ...CHUNK]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('DIFFERENT');
    expect(r.stdout).toContain(`slave is a prefix of master up to ${short.maxPhyOffset} (master is ${ahead} bytes ahead, ends at ${long.maxPhyOffset})`);
    const j = await verifyJson(master, slave);
    expect(j.report).toMatchObject({ result: 'prefix', longer: 'master', identicalUpTo: short.maxPhyOffset, lengthDifferenceBytes: ahead, firstDifference: null });
    expect(j.report.master.endOffset).toBe(long.maxPhyOffset);
    expect(j.report.slave.endOffset).toBe(short.maxPhyOffset);
  });

  it('the reverse (the master is the prefix): says the slave is ahead, exit 0; --same-length exit 1', async () => {
    const master = copyStore(short.dir);
    preallocateNext(master, short.maxPhyOffset);
    const r = await runCli(['verify', '--master', master, '--slave', long.dir, ...CHUNK]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`master is a prefix of slave up to ${short.maxPhyOffset} (slave is ${long.maxPhyOffset - short.maxPhyOffset} bytes ahead`);
    expect(r.stdout).toContain('the slave holds bytes the master does not');
    const strict = await runCli(['verify', '--master', master, '--slave', long.dir, '--same-length', ...CHUNK]);
    expect(strict.code).toBe(1);
  });

  it('a last record cut short (zeros from inside its body on): that log ends there, a prefix, not DIFFERENT', async () => {
    const slave = copyStore(long.dir);
    const last = recordStartAtOrAfter(long.dir, short.maxPhyOffset);
    const cut = last + 150; // inside the body (bodies are >= 300 bytes): the header still reads as valid
    cutShortAt(slave, cut);
    const realEnd = firstNonZeroFrom(long.dir, cut);
    const j = await verifyJson(long.dir, slave);
    expect(j.code, JSON.stringify(j.report)).toBe(0);
    expect(j.report).toMatchObject({ result: 'prefix', longer: 'master', identicalUpTo: realEnd, firstDifference: null });
    expect(j.report.slave).toMatchObject({ endOffset: realEnd, endKind: 'torn' });
  });

  it('a record header cut short (zeros from inside its magic code on): also the end of that log', async () => {
    const slave = copyStore(long.dir);
    const last = recordStartAtOrAfter(long.dir, short.maxPhyOffset);
    cutShortAt(slave, last + 6);
    const j = await verifyJson(long.dir, slave);
    expect(j.code, JSON.stringify(j.report)).toBe(0);
    expect(j.report.result).toBe('prefix');
    expect(j.report.identicalUpTo).toBe(firstNonZeroFrom(long.dir, last + 6));
  });

  it('a real divergence after a common prefix is DIFFERENT at its first byte, even with a preallocated segment', async () => {
    const slave = copyStore(long.dir);
    preallocateNext(slave, long.maxPhyOffset);
    const offset = recordStartAtOrAfter(long.dir, short.maxPhyOffset) + 200;
    flipByte(slave, offset);
    const j = await verifyJson(long.dir, slave);
    expect(j.code).toBe(1);
    expect(j.report.result).toBe('different');
    expect(j.report.firstDifference!.offset).toBe(offset);
    // zeroing one byte in the middle (non-zero bytes follow) is a difference too, not an end
    const zeroed = copyStore(long.dir);
    const at = firstNonZeroFrom(long.dir, short.maxPhyOffset + 300);
    const path = join(zeroed, 'commitlog', segmentName(at));
    const bytes = readFileSync(path);
    bytes[at - Number(segmentName(at))] = 0;
    writeFileSync(path, bytes);
    const z = await verifyJson(long.dir, zeroed);
    expect(z.code).toBe(1);
    expect(z.report.firstDifference).toMatchObject({ offset: at, slave: { byte: 0 } });
  });
});
