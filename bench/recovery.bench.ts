// The recovery scan rate (issue 12, item 8): a store of 1 KiB records is filled and closed
// cleanly, then normal recovery (recoverCommitLog: the last three segments, every record's
// structure and, with checkCRCOnRecover, its body CRC) runs on it again and again from the page
// cache, alternating CRC on / off, beside the floor the scan cannot beat: preading the same bytes
// in the scanner's chunk size and doing nothing with them, and the scan as it was before it
// stopped decoding records (every record decoded by readRecord, then ignored). MB/s = scanned bytes / wall time;
// medians of the rounds. Recovery here changes nothing (a clean log ends in zeros).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { recoverCommitLog } from '../src/commitlog/recovery.js';
import { scanSegment } from '../src/commitlog/segment-scanner.js';
import { crcImplementation } from '../src/io/crc.js';
import { selectFileIO } from '../src/io/select-io.js';
import { SegmentList } from '../src/segment/segment-list.js';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';

export interface RecoverySuiteOptions {
  dir: string;
  segmentBytes: number;
  /** Segments to fill (normal recovery scans the last three). */
  segments: number;
  rounds: number;
  onProgress?: (line: string) => void;
}

const BODY_BYTES = 1024;
const MAX_MESSAGE_BYTES = 4 << 20;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function fill(root: string, o: RecoverySuiteOptions): Promise<void> {
  const store = await MessageStore.open({ storePathRootDir: root, mappedFileSizeCommitLog: o.segmentBytes, logLevel: 'error' }, { logger: memoryLogger(100) });
  try {
    const body = new Uint8Array(BODY_BYTES).map((_, i) => (i * 31) & 0xff);
    const batch = Array.from({ length: 32 }, () => ({ topic: 'RecoveryBench', queueId: 0, body }));
    const target = o.segments * o.segmentBytes - o.segmentBytes / 2;
    for (let guard = 0; store.getMaxPhyOffset() < target && guard < 10_000_000; guard++) {
      const pending: Promise<unknown>[] = [];
      for (let k = 0; k < 64; k++) pending.push(store.putMessages(batch));
      await Promise.all(pending);
    }
  } finally {
    await store.close();
  }
}

/** Bytes per second of wall time, and per second of this process's CPU time (the machine is
 * shared: CPU time is the steadier figure). */
interface Rate {
  wall: number;
  cpu: number;
}

function timed(run: () => number): Rate {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const bytes = run();
  const s = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall: bytes / s, cpu: bytes / ((cpu.user + cpu.system) / 1e6) };
}

/** One normal recovery of the store's CommitLog; the bytes it scanned. */
function recoverOnce(root: string, segmentBytes: number, checkCrc: boolean): number {
  const io = selectFileIO('auto');
  const segments = new SegmentList(io, join(root, 'commitlog'), segmentBytes, true);
  const logger = memoryLogger(100);
  segments.load(logger);
  try {
    const r = recoverCommitLog({ io, segments, abnormal: false, checkpointMinTimestamp: 0, scan: { checkCrc, maxMessageBytes: MAX_MESSAGE_BYTES }, logger, storeRoot: root });
    if (r.corruption !== null || r.holes.length > 0) throw new Error(`recovery found damage in a clean log: ${JSON.stringify(r.corruption ?? r.holes[0])}`);
    return r.scannedBytes;
  } finally {
    segments.closeAll();
  }
}

/** The scan as recovery ran it before it stopped decoding: every record decoded (readRecord)
 * and handed to a callback that ignores it, over the same three segments; the bytes scanned. */
function decodingScanOnce(root: string, segmentBytes: number): number {
  const io = selectFileIO('auto');
  const segments = new SegmentList(io, join(root, 'commitlog'), segmentBytes, true);
  segments.load(memoryLogger(100));
  try {
    let bytes = 0;
    for (const f of segments.all().slice(-3)) {
      bytes += scanSegment(io, f, 0, { checkCrc: true, maxMessageBytes: MAX_MESSAGE_BYTES }, () => {}).position;
    }
    return bytes;
  } finally {
    segments.closeAll();
  }
}

/** Preading the bytes recovery scans, 8 MiB at a time (the scanner's chunk), doing nothing else;
 * the bytes read. */
function preadOnce(root: string, segmentBytes: number): number {
  const io = selectFileIO('auto');
  const segments = new SegmentList(io, join(root, 'commitlog'), segmentBytes, true);
  segments.load(memoryLogger(100));
  try {
    const files = segments.all().slice(-3);
    const chunk = new Uint8Array(8 << 20);
    let bytes = 0;
    for (const f of files) for (let at = 0; at < f.sizeBytes; at += chunk.byteLength) bytes += io.pread(f.fd, chunk, at);
    return bytes;
  } finally {
    segments.closeAll();
  }
}

export async function recoverySuite(o: RecoverySuiteOptions): Promise<string> {
  const root = mkdtempSync(join(o.dir, 'recovery-'));
  try {
    (o.onProgress ?? (() => {}))(`recovery: filling ${o.segments} segments of ${o.segmentBytes >> 20} MiB`);
    await fill(root, o);
    const on: Rate[] = [];
    const off: Rate[] = [];
    const floor: Rate[] = [];
    const decoding: Rate[] = [];
    for (let round = 0; round < o.rounds; round++) {
      floor.push(timed(() => preadOnce(root, o.segmentBytes)));
      decoding.push(timed(() => decodingScanOnce(root, o.segmentBytes)));
      on.push(timed(() => recoverOnce(root, o.segmentBytes, true)));
      off.push(timed(() => recoverOnce(root, o.segmentBytes, false)));
    }
    const mbs = (x: number): string => Math.round(x / 1e6).toLocaleString('en-US');
    const f = median(floor.map((r) => r.wall));
    const row = (name: string, rates: Rate[]): string => {
      const wall = median(rates.map((r) => r.wall));
      return `| ${name} | ${mbs(wall)} | ${mbs(median(rates.map((r) => r.cpu)))} | ${(wall / f).toFixed(2)}x |`;
    };
    const crc = crcImplementation().crc32;
    return [
      `### Recovery scan (normal recovery of 3 × ${o.segmentBytes >> 20} MiB segments, 1 KiB records, page cache; median of ${o.rounds} alternating rounds; CRC: ${crc})`,
      '',
      '| scan | MB/s (wall) | MB per CPU second | wall vs pread alone |',
      '|---|---:|---:|---:|',
      row('pread alone (8 MiB chunks, no checks)', floor),
      row('recovery, checkCRCOnRecover=true (default)', on),
      row('recovery, checkCRCOnRecover=false', off),
      row('the scan as before: every record decoded (readRecord), CRC on', decoding),
    ].join('\n');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
