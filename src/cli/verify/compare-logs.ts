// Compares two CommitLogs over [fromOffset, toOffset) chunk by chunk in a piscina worker pool
// (crc-chunk-worker.ts) and returns the first differing offset, if any.
//
// Chunks are at most chunkBytes and never cross a segment boundary on either side, so each is
// one pread per side. They are planned lazily in offset order and dispatched with at most
// `2 * threads` in flight (a bound on memory: each in-flight chunk holds two buffers in its
// worker). Results come back out of order; once a chunk differs, no chunk after it is
// dispatched, and the earliest differing chunk among all finished ones wins, so the answer
// is the first difference in the range. A range a side has no segment file for is a
// difference too ('missing'). Equal CRCs are taken as equal bytes (CRC-32: a 2^-32 chance per
// differing chunk of missing it).
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { segmentAt, type LogExtent, type LogSegment } from './commit-log-dir.js';
import type { ChunkResult, ChunkTask } from './crc-chunk-worker.js';

export const DEFAULT_CHUNK_BYTES = 4 << 20;

export interface CompareOptions {
  chunkBytes: number;
  threads: number;
  /** Bytes compared so far (any order) and the total; called after each chunk. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface SideAt {
  file: string;
  position: number;
  byte: number | null;
}

export interface Difference {
  offset: number;
  kind: 'bytes' | 'missing' | 'short-read';
  master: SideAt | null;
  slave: SideAt | null;
  chunk: { offset: number; length: number; masterCrc: number | null; slaveCrc: number | null };
  detail: string;
}

export interface CompareOutcome {
  difference: Difference | null;
  comparedBytes: number;
  chunks: number;
}

interface Chunk {
  offset: number;
  length: number;
  master: LogSegment | null;
  slave: LogSegment | null;
}

/** Chunks of [from, to) in offset order; a chunk a side has no file for ends the plan. */
export function* planChunks(master: LogExtent, slave: LogExtent, from: number, to: number, chunkBytes: number): Generator<Chunk> {
  let offset = from;
  const maxChunks = to - from + 1; // every chunk holds at least one byte
  for (let n = 0; n < maxChunks && offset < to; n++) {
    const m = segmentAt(master.segments, offset);
    const s = segmentAt(slave.segments, offset);
    if (!m || !s) {
      yield { offset, length: 0, master: m, slave: s };
      return;
    }
    const end = Math.min(to, offset + chunkBytes, m.fromOffset + m.sizeBytes, s.fromOffset + s.sizeBytes);
    yield { offset, length: end - offset, master: m, slave: s };
    offset = end;
  }
}

function workerFile(): { filename: string; execArgv: string[] | undefined } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./crc-chunk-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);
  // a .ts worker loads through tsx (tests, `node --import tsx src/cli/main.ts`); dist/ runs .js
  return { filename: fileURLToPath(url), execArgv: fromSource ? ['--import', 'tsx'] : undefined };
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function compareLogs(master: LogExtent, slave: LogExtent, from: number, to: number, options: CompareOptions): Promise<CompareOutcome> {
  const total = Math.max(0, to - from);
  if (total === 0) return { difference: null, comparedBytes: 0, chunks: 0 };
  const { filename, execArgv } = workerFile();
  const pool = new Piscina<ChunkTask, ChunkResult>({ filename, execArgv, minThreads: 1, maxThreads: options.threads, idleTimeout: 1000 });
  const window = 2 * options.threads;
  const inFlight = new Set<Promise<void>>();
  let best: Difference | null = null;
  let failure: Error | null = null;
  let done = 0;
  let chunks = 0;
  const consider = (d: Difference): void => {
    if (!best || d.offset < best.offset) best = d;
  };
  try {
    for (const chunk of planChunks(master, slave, from, to, options.chunkBytes)) {
      if (failure || (best && chunk.offset >= (best as Difference).offset)) break;
      if (!chunk.master || !chunk.slave) {
        consider(missing(chunk));
        break;
      }
      chunks++;
      const task = toTask(chunk);
      const p = pool.run(task).then(
        (r) => {
          done += chunk.length;
          options.onProgress?.(done, total);
          const d = differenceOf(chunk, r);
          if (d) consider(d);
        },
        (err: Error) => {
          failure ??= err;
        },
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await pool.destroy();
  }
  if (failure) throw failure;
  const difference = best as Difference | null; // assigned in callbacks: not narrowed
  const comparedBytes = difference ? difference.offset - from : total;
  return { difference, comparedBytes, chunks };
}

function toTask(c: Chunk): ChunkTask {
  return {
    masterPath: c.master!.path,
    masterPosition: c.offset - c.master!.fromOffset,
    slavePath: c.slave!.path,
    slavePosition: c.offset - c.slave!.fromOffset,
    length: c.length,
  };
}

function sideAt(segment: LogSegment, offset: number, byte: number | null): SideAt {
  return { file: basename(segment.path), position: offset - segment.fromOffset, byte };
}

function differenceOf(c: Chunk, r: ChunkResult): Difference | null {
  if (r.firstDifference < 0) return null;
  const offset = c.offset + r.firstDifference;
  const kind = r.masterByte === null || r.slaveByte === null ? 'short-read' : 'bytes';
  const hex = (b: number | null): string => (b === null ? 'end of file' : `0x${b.toString(16).padStart(2, '0')}`);
  return {
    offset,
    kind,
    master: sideAt(c.master!, offset, r.masterByte),
    slave: sideAt(c.slave!, offset, r.slaveByte),
    chunk: { offset: c.offset, length: c.length, masterCrc: r.masterCrc, slaveCrc: r.slaveCrc },
    detail: kind === 'short-read' ? `the ${r.shortRead} segment file ends early` : `master byte ${hex(r.masterByte)}, slave byte ${hex(r.slaveByte)}`,
  };
}

function missing(c: Chunk): Difference {
  const side = !c.master && !c.slave ? 'master and slave have' : !c.master ? 'master has' : 'slave has';
  return {
    offset: c.offset,
    kind: 'missing',
    master: c.master ? sideAt(c.master, c.offset, null) : null,
    slave: c.slave ? sideAt(c.slave, c.offset, null) : null,
    chunk: { offset: c.offset, length: 0, masterCrc: null, slaveCrc: null },
    detail: `the ${side} no segment file holding offset ${c.offset}`,
  };
}
