// Output of the TPS run: the markdown table (our figure beside the RocketMQ articles' range and
// the ratio to the top of that range, with the disk's limits from the same run), the JSON
// results file, and an SVG chart (throughput per mode on a log scale, latency percentiles).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiskLimits } from '../lib/disk-limits.js';
import { plainKey, type PlainRow, type TpsRow } from './measure.js';
import { TPS_MODES } from './modes.js';

export interface TpsReport {
  startedAt: string;
  preset: string;
  device: { dir: string; emulated: string };
  node: string;
  ioBackend: string;
  disk: DiskLimits;
  rows: TpsRow[];
  /** The plain append log (bench/lib/plain-append-log.ts) measured in the same run. */
  baselines: PlainRow[];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

export function markdownTable(report: TpsReport): string {
  const emulated = report.device.emulated !== 'none' ? ` — EMULATED ${report.device.emulated.toUpperCase()} (flush cost modelled, see src/flush/device-emulation.ts)` : '';
  const lines = [
    `### mqstore TPS per mode (${report.preset} preset, ${report.ioBackend} IO, ${report.device.dir}${emulated})`,
    '',
    `Disk measured in the same run: sequential write ${fmt(report.disk.seqWriteMBps)} MB/s, 4 KiB write + fdatasync p50 ${report.disk.fdatasyncP50Ms.toFixed(3)} ms, p99 ${report.disk.fdatasyncP99Ms.toFixed(3)} ms.`,
    '',
    '| mode | device | TSP | body | in flight | msg/s (PUT_OK) | MB/s | p50 ms | p99 ms | p999 ms | not PUT_OK | slave lag bytes | vs plain append log | RocketMQ articles | vs top of range |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  const plain = new Map(report.baselines.map((b) => [plainKey(b), b]));
  for (const r of report.rows) {
    const mode = TPS_MODES.find((m) => m.id === r.modeId)!;
    const range = mode.articleRange;
    lines.push(
      `| ${mode.label} | ${r.emulateDevice === 'none' ? 'this disk' : `EMULATED ${r.emulateDevice}`} | ${r.transientStorePoolEnable ? 'on' : 'off'} | ${r.payloadBytes} | ${r.concurrency} | ${fmt(r.tps)} | ${r.mbps.toFixed(1)} | ` +
        `${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.p999Ms.toFixed(3)} | ${fmt(r.notOk)} | ${r.slaveLagBytes === null ? '-' : fmt(r.slaveLagBytes)} | ` +
        `${r.emulateDevice === 'none' && plain.has(plainKey(r)) ? `${(r.tps / plain.get(plainKey(r))!.tps).toFixed(2)}x` : '-'} | ` +
        `${range ? `${fmt(range[0])}–${fmt(range[1])}` : '-'} | ${range ? `${(r.tps / range[1]).toFixed(1)}x` : '-'} |`,
    );
  }
  if (report.baselines.length > 0) {
    lines.push('', 'Plain append log in the same run (bench/lib/plain-append-log.ts: RocketMQ record layout, zlib CRC, 8 MiB buffers written with fs.write; SYNC_FLUSH: one write + fdatasync round at a time):', '');
    lines.push('| flush | body | in flight | msg/s | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|---:|');
    for (const b of report.baselines) lines.push(`| ${b.flushDiskType} | ${b.payloadBytes} | ${b.concurrency} | ${fmt(b.tps)} | ${b.p50Ms.toFixed(3)} | ${b.p99Ms.toFixed(3)} |`);
  }
  return lines.join('\n');
}

/** msg/s and p99 of each mode on each device, side by side (rows of one body size/in-flight/TSP setting). */
export function deviceComparison(rows: readonly TpsRow[]): string {
  const devices = [...new Set(rows.map((r) => r.emulateDevice))];
  const label = (d: string): string => (d === 'none' ? 'this disk' : `${d} (EMULATED)`);
  const setting = (r: TpsRow): string => `${r.payloadBytes}B x${r.concurrency}${r.transientStorePoolEnable ? ' TSP' : ''}`;
  const keys = [...new Set(rows.map((r) => `${r.modeId}|${setting(r)}`))];
  const lines = [
    '### Each mode from device to device (msg/s, p99 ms)',
    '',
    `| mode | setting | ${devices.map(label).join(' | ')} |`,
    `|---|---|${devices.map(() => '---:').join('|')}|`,
  ];
  for (const key of keys) {
    const [modeId, set] = key.split('|') as [string, string];
    const mode = TPS_MODES.find((m) => m.id === modeId)!;
    const cells = devices.map((d) => {
      const r = rows.find((x) => x.modeId === modeId && setting(x) === set && x.emulateDevice === d);
      return r ? `${fmt(r.tps)} (${r.p99Ms.toFixed(1)})` : '-';
    });
    lines.push(`| ${mode.label} | ${set} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function writeResults(report: TpsReport, dir: string): { json: string; latest: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = join(dir, `${stamp}.json`);
  const latest = join(dir, 'latest.json');
  const svg = join(dir, `${stamp}.svg`);
  const text = JSON.stringify(report, null, 2) + '\n';
  writeFileSync(json, text);
  writeFileSync(latest, text);
  writeFileSync(svg, svgChart(report));
  writeFileSync(join(dir, 'latest.svg'), svgChart(report));
  return { json, latest, svg };
}

/** Two panels: msg/s per row (log scale, with the articles' range as a grey band) and p50/p99/p999. */
export function svgChart(report: TpsReport): string {
  const rows = report.rows;
  const rowH = 26;
  const left = 380; // room for the longest label (mode +TSP size x in-flight [EMULATED device])
  const width = 1120;
  const plotW = width - left - 170; // room right of the longest bar for its value text
  const top1 = 50;
  const h1 = rows.length * rowH;
  const top2 = top1 + h1 + 70;
  const h2 = rows.length * rowH;
  const height = top2 + h2 + 40;
  const maxTps = Math.max(...rows.map((r) => r.tps), ...rows.map((r) => TPS_MODES.find((m) => m.id === r.modeId)!.articleRange?.[1] ?? 0), 10);
  const logX = (v: number): number => left + (Math.log10(Math.max(1, v)) / Math.log10(maxTps * 1.5)) * plotW;
  const maxLat = Math.max(...rows.map((r) => r.p999Ms), 0.001);
  const linX = (v: number): number => left + (v / maxLat) * plotW;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const label = (r: TpsRow): string =>
    `${TPS_MODES.find((m) => m.id === r.modeId)!.label}${r.transientStorePoolEnable ? ' +TSP' : ''} ${r.payloadBytes}B x${r.concurrency}${r.emulateDevice === 'none' ? '' : ` [EMULATED ${r.emulateDevice}]`}`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(`mqstore msg/s per mode (log scale; grey: RocketMQ articles' range)${report.device.emulated !== 'none' ? ` — EMULATED ${report.device.emulated}` : ''}`)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top1 + i * rowH;
    const range = TPS_MODES.find((m) => m.id === r.modeId)!.articleRange;
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(label(r))}</text>`);
    if (range) parts.push(`<rect x="${logX(range[0])}" y="${y + 2}" width="${Math.max(1, logX(range[1]) - logX(range[0]))}" height="${rowH - 6}" fill="#ddd"/>`);
    parts.push(`<rect x="${left}" y="${y + 7}" width="${Math.max(1, logX(r.tps) - left)}" height="${rowH - 16}" fill="#2b7bb9"/>`);
    parts.push(`<text x="${logX(r.tps) + 4}" y="${y + 16}">${fmt(r.tps)}</text>`);
  });
  parts.push(`<text x="10" y="${top2 - 20}" font-size="15" font-weight="bold">Put latency, ms (p50 / p99 / p999)</text>`);
  const colors = ['#4caf50', '#ff9800', '#e53935'];
  rows.forEach((r, i) => {
    const y = top2 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(label(r))}</text>`);
    [r.p999Ms, r.p99Ms, r.p50Ms].forEach((v, k) => {
      parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, linX(v) - left)}" height="${rowH - 10}" fill="${colors[2 - k]}"/>`);
    });
    parts.push(`<text x="${linX(r.p999Ms) + 4}" y="${y + 16}">${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} / ${r.p999Ms.toFixed(2)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
