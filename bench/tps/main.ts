// `npm start` / `npm run tps -- [options]`: the TPS table per flush/replication mode on this
// machine, beside the RocketMQ articles' figures and the disk's own limits from the same run.
// Writes bench/results/<timestamp>.json, latest.json and an SVG chart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectFileIO } from '../../src/io/select-io.js';
import { memoryLogger } from '../../src/util/logger.js';
import { measureDiskLimits } from '../lib/disk-limits.js';
import { measurePlainTps, measureTps, plainKey, type PlainRow, type SlaveFactory, type TpsCase, type TpsRow } from './measure.js';
import { TPS_MODES, type TpsMode } from './modes.js';
import { deviceComparison, markdownTable, writeResults, type TpsReport } from './report.js';
import { loadSlaveFactory } from './slave.js';

const HELP = `usage: npm start            (quick preset, temporary directory)
       npm run tps -- [options]

  --preset quick|full     quick (default, under two minutes): 1 KiB bodies, 256 in flight, 2 s per mode.
                          full: 128 B and 1 KiB at 1/16/64/256 in flight, a body sweep to 64 KiB,
                          TransientStorePool off and on; takes several minutes.
  --device <dir>          run on this directory (a real disk); default: a new temp dir
  --emulate <devices>     hdd | sata-ssd | nvme (or a comma list, e.g. none,nvme,sata-ssd,hdd): every
                          flush costs what it would on that device class (fdatasync latency +
                          bytes / bandwidth); outputs say EMULATED. With several, the report adds a
                          device-by-device comparison of each mode.
  --modes <ids>           comma-separated subset of: ${TPS_MODES.map((m) => m.id).join(', ')}
  --seconds <n>           seconds per case (default: 2 quick, 3 full)
  --concurrency <list>    quick preset: puts in flight, comma-separated (default 256), e.g. 1,256
  --results <dir>         where JSON and SVG go (default bench/results)
  --help                  this text`;

const EMULATED = ['hdd', 'sata-ssd', 'nvme'] as const;

function cases(preset: 'quick' | 'full', modes: readonly TpsMode[], durationMs: number, emulate: TpsCase['emulateDevice'], inFlight: readonly number[]): TpsCase[] {
  const base = { durationMs, segmentBytes: 256 << 20, emulateDevice: emulate };
  const out: TpsCase[] = [];
  for (const m of modes) {
    const mode = { modeId: m.id, flushDiskType: m.flushDiskType, brokerRole: m.brokerRole, dledgerMembers: m.dledgerMembers ?? 0 };
    if (preset === 'quick') {
      for (const concurrency of inFlight) out.push({ ...base, ...mode, transientStorePoolEnable: false, payloadBytes: 1024, concurrency });
      continue;
    }
    for (const tsp of [false, true]) {
      for (const payloadBytes of [128, 1024]) for (const concurrency of [1, 16, 64, 256]) out.push({ ...base, ...mode, transientStorePoolEnable: tsp, payloadBytes, concurrency });
      for (const payloadBytes of [4096, 16384, 65536]) out.push({ ...base, ...mode, transientStorePoolEnable: tsp, payloadBytes, concurrency: 64 });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'quick' },
      device: { type: 'string' },
      emulate: { type: 'string' },
      modes: { type: 'string' },
      seconds: { type: 'string' },
      concurrency: { type: 'string', default: '256' },
      results: { type: 'string', default: join('bench', 'results') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const preset = values.preset;
  if (preset !== 'quick' && preset !== 'full') throw new Error(`--preset must be quick or full, got '${preset}'`);
  const devices = (values.emulate ?? 'none').split(',');
  for (const d of devices) {
    if (d !== 'none' && !EMULATED.includes(d as (typeof EMULATED)[number])) throw new Error(`--emulate must list none, ${EMULATED.join(', ')}; got '${d}'`);
  }
  const emulate = devices.join(',');
  const wanted = values.modes ? values.modes.split(',') : TPS_MODES.map((m) => m.id);
  const unknown = wanted.filter((id) => !TPS_MODES.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`unknown mode(s) ${unknown.join(', ')}; allowed: ${TPS_MODES.map((m) => m.id).join(', ')}`);
  const seconds = Number(values.seconds ?? (preset === 'quick' ? 2 : 3));
  if (!(seconds > 0 && seconds <= 600)) throw new Error(`--seconds must be in (0, 600], got '${values.seconds}'`);

  const inFlight = values.concurrency.split(',').map(Number);
  if (inFlight.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) throw new Error(`--concurrency must list integers in 1..4096, got '${values.concurrency}'`);
  const dir = values.device ? mkdtempSync(join(values.device, 'mqstore-tps-')) : mkdtempSync(join(tmpdir(), 'mqstore-tps-'));
  const slaves: SlaveFactory | { unavailable: string } = await loadSlaveFactory();
  const modes = TPS_MODES.filter((m) => wanted.includes(m.id));
  const runnable = modes.filter((m) => m.brokerRole === null || typeof slaves === 'function');
  for (const m of modes) if (!runnable.includes(m)) console.error(`tps: skipping ${m.label}: ${(slaves as { unavailable: string }).unavailable}`);
  const list = devices.flatMap((d) => cases(preset, runnable, seconds * 1000, d as TpsCase['emulateDevice'], inFlight));
  const startedAt = new Date().toISOString();
  const rows: TpsRow[] = [];
  const baselines: PlainRow[] = [];
  try {
    console.error(`tps: measuring the disk in ${dir} ...`);
    const disk = measureDiskLimits(dir, { writeBytes: 256 << 20, syncSamples: 200 });
    for (const [i, c] of list.entries()) {
      // The plain append log runs just before the first engine case it is the ratio for (same
      // flush type, body and in-flight count; not under device emulation, which it cannot model).
      if (c.emulateDevice === 'none' && !baselines.some((b) => plainKey(b) === plainKey(c))) {
        const b = await measurePlainTps({ flushDiskType: c.flushDiskType, payloadBytes: c.payloadBytes, concurrency: c.concurrency, durationMs: c.durationMs }, dir);
        baselines.push(b);
        console.error(`tps: plain append log ${c.flushDiskType} ${c.payloadBytes}B x${c.concurrency}: ${Math.round(b.tps).toLocaleString('en-US')} msg/s, p99 ${b.p99Ms.toFixed(2)} ms`);
      }
      const row = await measureTps(c, dir, typeof slaves === 'function' ? slaves : null);
      rows.push(row);
      const device = c.emulateDevice === 'none' ? '' : ` [EMULATED ${c.emulateDevice}]`;
      console.error(`tps: [${i + 1}/${list.length}] ${c.modeId} ${c.payloadBytes}B x${c.concurrency}${c.transientStorePoolEnable ? ' TSP' : ''}${device}: ${Math.round(row.tps).toLocaleString('en-US')} msg/s, p99 ${row.p99Ms.toFixed(2)} ms`);
    }
    const report: TpsReport = {
      startedAt,
      preset,
      device: { dir: values.device ?? 'temporary directory', emulated: emulate },
      node: process.version,
      ioBackend: selectFileIO('auto', memoryLogger()).backend,
      disk,
      rows,
      baselines,
    };
    console.log(markdownTable(report));
    if (devices.length > 1) console.log(`\n${deviceComparison(rows)}`);
    const files = writeResults(report, values.results);
    console.log(`\nresults: ${files.json} (and latest.json); chart: ${files.svg}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
