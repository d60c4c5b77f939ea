// `mqstore verify --master <dir> --slave <dir>` as a real process, on store directories written
// in this test: the same puts with a ManualClock give byte-identical logs (see
// test/store/tsp-identical.test.ts), then one copy is damaged or extended.
//   identical                 -> exit 0, "identical up to offset <max offset>"
//   one byte flipped          -> exit 1, that exact offset, segment file and position
//   two bytes flipped         -> the earlier one, whatever order the pool finishes chunks in
//   a record header broken in the last segment (the log "ends" early there) -> still that offset
//   one log longer            -> exit 0, identical up to the shorter end, says which is longer;
//                                exit 1 with --same-length
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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

  it('different lengths: identical up to the shorter end, says which is longer; --same-length makes it exit 1', async () => {
    const r = await runCli(['verify', '--master', longer.dir, '--slave', a.dir, ...CHUNK]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`identical up to offset ${a.maxPhyOffset}`);
    expect(r.stdout).toContain(`master is longer by ${longer.maxPhyOffset - a.maxPhyOffset} bytes (ends at ${longer.maxPhyOffset})`);
    const j = await verifyJson(a.dir, longer.dir);
    expect(j.code).toBe(0);
    expect(j.report).toMatchObject({ result: 'identical', identicalUpTo: a.maxPhyOffset, longer: 'slave', lengthDifferenceBytes: longer.maxPhyOffset - a.maxPhyOffset });
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
