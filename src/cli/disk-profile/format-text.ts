// The text form of a disk profile: the measurements, the estimates (labelled as such), and the
// recommendations as a `# recommended broker.conf lines` block of `# reason` + `key=value`
// lines that can be pasted into a broker.conf as they are.
import { fmtCount, fmtGiB, fmtMiB, fmtMiBPerS, fmtMs, fmtPercent } from './format-units.js';
import type { DiskMeasurements, DiskProfileReport, Estimates, Recommendation } from './report-types.js';

export const BROKER_CONF_HEADER = '# recommended broker.conf lines';

export function formatDiskProfile(r: DiskProfileReport): string {
  const fs = r.filesystem;
  return [
    `disk profile of ${r.dir}: ${fs.type} on ${fs.device ?? '?'} (mounted at ${fs.mountPoint ?? '?'}), block ${fs.blockSize} B, ${fmtGiB(fs.freeBytes)} free; io backend ${r.measurements.ioBackend}`,
    ...(r.quick ? ['(--quick: tiny measurements, the figures are rough)'] : []),
    '',
    ...formatMeasurements(r.measurements),
    '',
    ...formatEstimates(r.estimates),
    '',
    ...brokerConfLines(r.recommendations),
  ].join('\n');
}

const LABEL_WIDTH = 22;
const row = (label: string, text: string): string => `  ${label.padEnd(LABEL_WIDTH)} ${text}`;

function formatMeasurements(m: DiskMeasurements): string[] {
  const a = m.allocation;
  const d = m.directIo;
  const p = m.putRate;
  const pre = a.fallocateSupported ? 'fallocate' : `zero-fill (no fallocate ${m.ioBackend === 'native' ? 'on this file system' : 'on the node backend'})`;
  const seq = m.sequentialWrite;
  return [
    'measurements',
    row('sequential write', `${fmtMiBPerS(seq.mibPerS)}: ${fmtMiB(seq.bytes)} in 1 MiB writes + one fdatasync, ${fmtMs(seq.elapsedMs)} ms`),
    row('fdatasync', `p50 ${fmtMs(m.fdatasync.p50Ms)} ms, p99 ${fmtMs(m.fdatasync.p99Ms)} ms, max ${fmtMs(m.fdatasync.maxMs)} ms: ${m.fdatasync.samples} x (4 KiB append + fdatasync), preallocated file`),
    row('O_DIRECT', d.works && d.write ? `works: ${fmtMiBPerS(d.write.mibPerS)} (${fmtMiB(d.write.bytes)} in aligned 1 MiB writes + fdatasync)` : `no (${d.reason})`),
    row(`new file (${fmtMiB(a.fileBytes)})`, `create: ${pre} ${fmtMs(a.createPreallocatedMs)} ms, ftruncate (sparse) ${fmtMs(a.createSparseMs)} ms`),
    row('', `first write: preallocated ${fmtMiBPerS(a.firstWritePreallocated.mibPerS)}, sparse ${fmtMiBPerS(a.firstWriteSparse.mibPerS)}; overwrite ${fmtMiBPerS(a.overwrite.mibPerS)}`),
    row('store put rate', `${fmtCount(p.msgPerS)} msg/s: ASYNC_FLUSH in-process (CPU bound), ${p.payloadBytes} B bodies (${fmtCount(p.recordBytes)} B records), ${p.inFlight} in flight, ${fmtCount(p.puts)} puts`),
    row('memory', fmtGiB(m.memoryBytes)),
  ];
}

function formatEstimates(e: Estimates): string[] {
  const width = Math.max(...e.modes.map((r) => r.mode.length));
  const g = e.groupCommit;
  const sizing =
    g.inFlightForTarget === null
      ? `the disk bandwidth keeps SYNC_FLUSH below ${fmtPercent(g.targetFraction)} of ASYNC_FLUSH at any number in flight`
      : `~${fmtCount(g.inFlightForTarget)} puts in flight reach ${fmtPercent(g.targetFraction)} of ASYNC_FLUSH under SYNC_FLUSH`;
  return [
    'estimates (ESTIMATES computed from the figures above, not measured per mode)',
    ...e.modes.map((r) => `  ${r.mode.padEnd(width)}  ${fmtCount(r.msgPerS).padStart(11)} msg/s  (${r.inFlight} in flight; bound by ${r.boundBy})`),
    `  group commit: one group of 256 puts costs ~${fmtMs(g.groupCommitMsAt256)} ms (fdatasync p50 + transfer); ${sizing}`,
    `  ${e.note}`,
    `  ${e.assumptions.note}`,
  ];
}

export function brokerConfLines(recommendations: readonly Recommendation[]): string[] {
  return [BROKER_CONF_HEADER, ...recommendations.flatMap((r) => [`# ${r.reason}`, `${r.key}=${r.value}`])];
}
