// Smoke run of the TPS table (issue 5) so it cannot rot: tiny cases, real stores, the report
// renders every row, and the JSON row has the documented keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureDiskLimits } from '../../bench/lib/disk-limits.js';
import { measurePlainTps, measureTps } from '../../bench/tps/measure.js';
import { markdownTable, svgChart, writeResults, type TpsReport } from '../../bench/tps/report.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

describe('TPS table smoke', () => {
  it('measures the single-node modes and writes JSON, table and SVG', async () => {
    const dir = newDir();
    const base = { payloadBytes: 256, concurrency: 8, durationMs: 150, segmentBytes: 8 << 20, transientStorePoolEnable: false, brokerRole: null, emulateDevice: 'none' as const };
    const rows = [
      await measureTps({ ...base, modeId: 'async-flush', flushDiskType: 'ASYNC_FLUSH' }, dir, null),
      await measureTps({ ...base, modeId: 'sync-flush', flushDiskType: 'SYNC_FLUSH', emulateDevice: 'hdd' }, dir, null),
    ];
    for (const r of rows) {
      expect(r.tps).toBeGreaterThan(0);
      expect(r.notOk).toBe(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    }
    expect(rows[1]!.p50Ms).toBeGreaterThanOrEqual(7.5); // emulated HDD flush latency
    const plain = await measurePlainTps({ flushDiskType: 'ASYNC_FLUSH', payloadBytes: 256, concurrency: 8, durationMs: 150 }, dir);
    expect(plain.tps).toBeGreaterThan(0);
    const report: TpsReport = {
      startedAt: new Date().toISOString(),
      preset: 'smoke',
      device: { dir: 'temporary directory', emulated: 'none' },
      node: process.version,
      ioBackend: 'test',
      disk: measureDiskLimits(dir, { writeBytes: 4 << 20, syncSamples: 5 }),
      rows,
      baselines: [plain],
    };
    const table = markdownTable(report);
    expect(table).toMatch(/ASYNC_FLUSH \(single node\).*10,000–50,000/);
    expect(table).toMatch(/SYNC_FLUSH \(single node\).*1,000–3,000/);
    // the ASYNC row has a ratio to the plain log of the same setting; the emulated SYNC row has none
    expect(table).toMatch(/ASYNC_FLUSH \(single node\) \| this disk \|[^\n]*\| \d+\.\d\dx \| 10,000/);
    expect(table).toMatch(/Plain append log in the same run[\s\S]*\| ASYNC_FLUSH \| 256 \| 8 \|/);
    expect(svgChart(report)).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const files = writeResults(report, join(dir, 'results'));
    const saved = JSON.parse(readFileSync(files.latest, 'utf8')) as TpsReport;
    for (const key of ['flushDiskType', 'brokerRole', 'transientStorePoolEnable', 'payloadBytes', 'concurrency', 'tps', 'mbps', 'p50Ms', 'p99Ms']) {
      expect(saved.rows[0]).toHaveProperty(key);
    }
  });
});
