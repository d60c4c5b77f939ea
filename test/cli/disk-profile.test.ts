// `mqstore disk-profile` run as a real process (--quick), and its recommendation rules on
// synthetic measurements of an HDD-like and an NVMe-like device.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER_CONF_HEADER } from '../../src/cli/disk-profile/format-text.js';
import { estimateModes } from '../../src/cli/disk-profile/estimates.js';
import { recommend } from '../../src/cli/disk-profile/recommend.js';
import { SCRATCH_PREFIX, withScratchDir } from '../../src/cli/disk-profile/scratch-dir.js';
import type { DiskMeasurements, DiskProfileReport, Recommendation, SequentialWrite } from '../../src/cli/disk-profile/report-types.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { STORE_CONFIG_KEYS } from '../../src/config/store-config.js';
import { probeDirectIo } from '../../src/io/direct-io-probe.js';
import { selectFileIO } from '../../src/io/select-io.js';
import { memoryLogger } from '../../src/util/logger.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-disk-profile-');
const RUN_TIMEOUT_MS = 60_000;

function mqstore(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Load broker.conf text as a user would after pasting it; returns the config and any warnings. */
function loadPasted(text: string): { config: ReturnType<typeof loadStoreConfig>; warnings: string[] } {
  const file = join(newDir(), 'broker.conf');
  writeFileSync(file, text);
  const warnings: string[] = [];
  const config = loadStoreConfig({ configFile: file }, { warn: (m) => warnings.push(m) });
  return { config, warnings };
}

function confText(recommendations: readonly Recommendation[]): string {
  return recommendations.map((r) => `${r.key}=${r.value}`).join('\n') + '\n';
}

function valueOf(recommendations: readonly Recommendation[], key: string): string | undefined {
  return recommendations.find((r) => r.key === key)?.value;
}

function expectPositive(values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) expect(v, name).toBeGreaterThan(0);
}

describe('mqstore disk-profile (process)', () => {
  it('--quick --json measures, recommends valid keys, cleans up, and the lines load as broker.conf', { timeout: RUN_TIMEOUT_MS }, () => {
    const dir = newDir();
    const r = mqstore('disk-profile', dir, '--quick', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DiskProfileReport;
    expect(report.dir).toBe(dir);
    expect(report.filesystem.type).toMatch(/\w/);

    const m = report.measurements;
    expectPositive({
      seqMiBPerS: m.sequentialWrite.mibPerS,
      seqBytes: m.sequentialWrite.bytes,
      fdatasyncSamples: m.fdatasync.samples,
      fdatasyncP50: m.fdatasync.p50Ms,
      fdatasyncP99: m.fdatasync.p99Ms,
      fdatasyncMax: m.fdatasync.maxMs,
      allocBytes: m.allocation.fileBytes,
      createPre: m.allocation.createPreallocatedMs,
      createSparse: m.allocation.createSparseMs,
      firstPre: m.allocation.firstWritePreallocated.mibPerS,
      firstSparse: m.allocation.firstWriteSparse.mibPerS,
      overwrite: m.allocation.overwrite.mibPerS,
      putRate: m.putRate.msgPerS,
      recordBytes: m.putRate.recordBytes,
      memory: m.memoryBytes,
    });
    expect(m.fdatasync.p50Ms).toBeLessThanOrEqual(m.fdatasync.p99Ms);
    expect(m.fdatasync.p99Ms).toBeLessThanOrEqual(m.fdatasync.maxMs);
    expect(m.putRate.recordBytes).toBeGreaterThan(m.putRate.payloadBytes);
    if (m.directIo.works) expect(m.directIo.write?.mibPerS).toBeGreaterThan(0);
    else expect(m.directIo.reason).toMatch(/\w/);

    expect(report.recommendations.length).toBeGreaterThan(0);
    for (const rec of report.recommendations) {
      expect(STORE_CONFIG_KEYS, rec.key).toContain(rec.key);
      expect(rec.value).toMatch(/\S/);
      expect(rec.reason.length, rec.key).toBeGreaterThan(20);
    }
    // O_DIRECT as the store itself would find it in this directory
    const direct = probeDirectIo(selectFileIO('auto', memoryLogger()), dir).works;
    expect(m.directIo.works).toBe(direct);
    if (valueOf(report.recommendations, 'commitMode') === 'direct') expect(direct).toBe(true);

    for (const e of report.estimates.modes) expect(e.msgPerS, e.mode).toBeGreaterThan(0);
    expect(report.estimates.note).toMatch(/estimate/);

    const { config, warnings } = loadPasted(confText(report.recommendations));
    expect(warnings).toEqual([]);
    for (const rec of report.recommendations) expect(String(config[rec.key]), rec.key).toBe(rec.value);

    expect(readdirSync(dir)).toEqual([]);
  });

  it('text mode prints a broker.conf block that loads as pasted', { timeout: RUN_TIMEOUT_MS }, () => {
    const dir = newDir();
    const r = mqstore('disk-profile', dir, '--quick');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sequential write\s+[\d.]+ MiB\/s/);
    expect(r.stdout).toMatch(/ESTIMATES/);
    const block = r.stdout.slice(r.stdout.indexOf(BROKER_CONF_HEADER));
    expect(block.startsWith(BROKER_CONF_HEADER)).toBe(true);
    const { config, warnings } = loadPasted(block);
    expect(warnings).toEqual([]);
    expect(block).toContain(`flushDiskType=${config.flushDiskType}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a missing or non-directory path is exit 1 with a clear message', () => {
    const missing = join(newDir(), 'no-such-dir');
    const r = mqstore('disk-profile', missing, '--quick');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`directory '${missing}' does not exist`);
    const file = join(newDir(), 'a-file');
    writeFileSync(file, 'x');
    const f = mqstore('disk-profile', file, '--quick');
    expect(f.status).toBe(1);
    expect(f.stderr).toContain('is not a directory');
  });

  it('SIGINT while measuring removes the scratch directory and exits 130', { timeout: RUN_TIMEOUT_MS }, async () => {
    const dir = newDir();
    const watcher = watch(dir);
    const scratchSeen = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no scratch directory appeared within 20 s')), 20_000);
      watcher.on('change', (_event, name) => {
        if (String(name).startsWith(SCRATCH_PREFIX)) {
          clearTimeout(deadline);
          resolve();
        }
      });
    });
    // the full plan (not --quick): its phases outlast the signal
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'disk-profile', dir, '--json'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await scratchSeen;
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      watcher.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a failing measurement still removes every file it made', async () => {
    const dir = newDir();
    await expect(
      withScratchDir(dir, async (scratch) => {
        writeFileSync(join(scratch, 'partial.tmp'), 'x');
        throw new Error('measurement failed');
      }),
    ).rejects.toThrow('measurement failed');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('usage errors are exit 2', () => {
    expect(mqstore('disk-profile').status).toBe(2);
    const bogus = mqstore('disk-profile', newDir(), '--bogus');
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/bogus/);
    expect(mqstore('disk-profile', newDir(), newDir()).status).toBe(2);
  });
});

const write = (mibPerS: number): SequentialWrite => ({ bytes: 64 * 2 ** 20, elapsedMs: (64 / mibPerS) * 1000, mibPerS });

function device(o: { mibPerS: number; fdatasyncMs: number; directMiBPerS: number | null; putMsgPerS?: number; firstWriteMiBPerS?: number }): DiskMeasurements {
  return {
    ioBackend: 'native',
    sequentialWrite: write(o.mibPerS),
    fdatasync: { samples: 300, p50Ms: o.fdatasyncMs, p99Ms: o.fdatasyncMs * 1.5, maxMs: o.fdatasyncMs * 3 },
    directIo: o.directMiBPerS === null ? { works: false, reason: 'open: EINVAL', write: null } : { works: true, reason: null, write: write(o.directMiBPerS) },
    allocation: {
      fileBytes: 64 * 2 ** 20,
      fallocateSupported: true,
      createPreallocatedMs: 0.2,
      createSparseMs: 0.01,
      firstWritePreallocated: write(o.firstWriteMiBPerS ?? o.mibPerS),
      firstWriteSparse: write((o.firstWriteMiBPerS ?? o.mibPerS) * 0.9),
      overwrite: write(o.mibPerS),
    },
    putRate: { payloadBytes: 1024, recordBytes: 1126, inFlight: 256, puts: 100_000, elapsedMs: 1000, msgPerS: o.putMsgPerS ?? 160_000 },
    memoryBytes: 24 * 2 ** 30,
  };
}

function profile(m: DiskMeasurements): { recs: Recommendation[]; est: ReturnType<typeof estimateModes> } {
  const est = estimateModes(m);
  return { recs: recommend(m, est), est };
}

describe('disk-profile recommendations (synthetic devices)', () => {
  const hdd = device({ mibPerS: 150, fdatasyncMs: 8, directMiBPerS: null, firstWriteMiBPerS: 60 });
  const nvme = device({ mibPerS: 2000, fdatasyncMs: 0.05, directMiBPerS: 1900 });

  it('HDD: ASYNC_FLUSH, no O_DIRECT pool, buffer writes, and SYNC_FLUSH group commit far above one in flight', () => {
    const { recs, est } = profile(hdd);
    expect(valueOf(recs, 'flushDiskType')).toBe('ASYNC_FLUSH');
    expect(valueOf(recs, 'commitMode')).toBe('pwrite');
    expect(valueOf(recs, 'transientStorePoolEnable')).toBe('false');
    expect(valueOf(recs, 'writeWithoutMmap')).toBe('true');
    const sync = est.modes.find((e) => e.mode === 'SYNC_FLUSH')!;
    const one = est.modes.find((e) => e.mode === 'SYNC_FLUSH, 1 in flight')!;
    expect(sync.msgPerS).toBeGreaterThan(20 * one.msgPerS);
    expect(est.modes.find((e) => e.mode === 'ASYNC_FLUSH')!.boundBy).toBe('disk bandwidth');
    expect(Number(valueOf(recs, 'flushCommitLogLeastPages'))).toBeGreaterThan(4);
    expect(loadPasted(confText(recs)).warnings).toEqual([]);
  });

  it('NVMe with working O_DIRECT: SYNC_FLUSH, direct commits from the pool, few puts in flight needed', () => {
    const { recs, est } = profile(nvme);
    expect(valueOf(recs, 'flushDiskType')).toBe('SYNC_FLUSH');
    expect(valueOf(recs, 'transientStorePoolEnable')).toBe('true');
    expect(valueOf(recs, 'commitMode')).toBe('direct');
    expect(est.groupCommit.inFlightForTarget).not.toBeNull();
    expect(est.groupCommit.inFlightForTarget!).toBeLessThan(256);
    for (const r of recs) expect(r.reason, r.key).toMatch(/\d/); // every reason quotes a measured figure
    expect(loadPasted(confText(recs)).warnings).toEqual([]);
  });

  it('O_DIRECT that works but is slow: no pool, pwrite; no warm-up while nothing writes through mmap', () => {
    const slowDirect = device({ mibPerS: 1000, fdatasyncMs: 8, directMiBPerS: 300, firstWriteMiBPerS: 300 });
    const { recs } = profile(slowDirect);
    expect(valueOf(recs, 'commitMode')).toBe('pwrite');
    expect(valueOf(recs, 'transientStorePoolEnable')).toBe('false');
    expect(valueOf(recs, 'flushDiskType')).toBe('ASYNC_FLUSH');
    expect(valueOf(recs, 'writeWithoutMmap')).toBe('true');
    expect(valueOf(recs, 'warmMapedFileEnable')).toBe('false');
    expect(recs.find((r) => r.key === 'warmMapedFileEnable')!.reason).toMatch(/with mmap writes: enable it/);
    expect(loadPasted(confText(recs)).warnings).toEqual([]);
  });

  it('node IO backend (no addon): nothing that needs O_DIRECT or mmap', () => {
    const { recs } = profile({ ...nvme, ioBackend: 'node', directIo: { works: false, reason: 'the node IO backend cannot align memory', write: null } });
    expect(valueOf(recs, 'commitMode')).toBe('pwrite');
    expect(valueOf(recs, 'transientStorePoolEnable')).toBe('false');
    expect(valueOf(recs, 'writeWithoutMmap')).toBe('false');
    expect(valueOf(recs, 'warmMapedFileEnable')).toBe('false');
    expect(loadPasted(confText(recs)).warnings).toEqual([]);
  });
});
