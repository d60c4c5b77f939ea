// Checks a store directory after a fault, for test/faults: a raw scan of the CommitLog segment
// files (every record's body CRC, PHYSICALOFFSET field, no gap between files, dense queue
// offsets per queue, self-verifying bodies, no duplicate seq) and a read-back through the
// store's own getMessage (every queue offset from 0 to max, every acknowledged message).
// Both return a list of problems (bounded) instead of throwing, so one report shows them all.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRecord } from '../../src/codec/read-record.js';
import { parseSegmentFileName } from '../../src/segment/segment-name.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { decodeBody, keysOfSeq, queueOfSeq } from './fault-body.js';

const MAX_PROBLEMS = 25;

/** What the writer reported for one PUT_OK. */
export interface Ack {
  seq: number;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  wroteBytes: number;
}

export interface ScannedRecord {
  seq: number;
  physicalOffset: number;
  size: number;
  queueId: number;
  queueOffset: number;
}

export interface LogScan {
  firstOffset: number;
  /** Offset just after the last valid record (or blank) reached. */
  endOffset: number;
  /** Why the walk stopped: 'limit' (reached `upTo`), 'end-of-files', or the invalid record's reason. */
  stopReason: string;
  /** The bytes at the stop position were zeros (a clean, unwritten tail). */
  stopAtZeros: boolean;
  records: number;
  bySeq: Map<number, ScannedRecord>;
  /** Seqs in log order. */
  seqsInOrder: number[];
  /** queueId -> physical offsets by queue offset. */
  queues: Map<number, number[]>;
  files: string[];
  problems: string[];
}

export interface ScanOptions {
  topic: string;
  queues: number;
  /** Walk exactly up to this offset (the store's max physical offset): anything invalid before
   * it is a problem, and the walk must land on it. Without it, walk to the first invalid record
   * (the raw state of the files after a crash, before recovery). */
  upTo?: number;
  /** With `upTo`: the bytes after it in its segment must be zero (recovery zeroes the tail). */
  tailMustBeZero?: boolean;
}

function addProblem(problems: string[], p: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(p);
  else if (problems.length === MAX_PROBLEMS) problems.push('... more problems not listed');
}

export function scanCommitLog(dir: string, segmentBytes: number, options: ScanOptions): LogScan {
  const problems: string[] = [];
  const files = readdirSync(dir)
    .map((name) => ({ name, offset: parseSegmentFileName(name) }))
    .filter((f): f is { name: string; offset: number } => f.offset !== null)
    .sort((a, b) => a.offset - b.offset);
  // A crash between creating the last segment and sizing it leaves it empty; the store deletes
  // such a file when it opens. Before recovery (no `upTo`) it is allowed, and skipped.
  if (options.upTo === undefined && files.length > 0 && statSync(join(dir, files.at(-1)!.name)).size === 0) files.pop();
  const scan: LogScan = {
    firstOffset: files[0]?.offset ?? 0,
    endOffset: files[0]?.offset ?? 0,
    stopReason: 'end-of-files',
    stopAtZeros: false,
    records: 0,
    bySeq: new Map(),
    seqsInOrder: [],
    queues: new Map(),
    files: files.map((f) => f.name),
    problems,
  };
  if (files.length > 0 && files[0]!.offset !== 0) addProblem(problems, `first segment starts at ${files[0]!.offset}, not 0`);
  for (let i = 0; i < files.length; i++) {
    const size = statSync(join(dir, files[i]!.name)).size;
    if (size !== segmentBytes) addProblem(problems, `segment ${files[i]!.name} is ${size} bytes, expected ${segmentBytes}`);
    if (i > 0 && files[i]!.offset !== files[i - 1]!.offset + segmentBytes) {
      addProblem(problems, `gap between segments ${files[i - 1]!.name} and ${files[i]!.name}`);
    }
  }
  const upTo = options.upTo;
  let fileIndex = 0;
  let walking = true;
  while (walking && fileIndex < files.length) {
    const f = files[fileIndex]!;
    const bytes = new Uint8Array(readFileSync(join(dir, f.name)));
    let pos = Math.max(0, scan.endOffset - f.offset);
    for (let guard = 0; guard <= bytes.byteLength / 8 + 1; guard++) {
      const at = f.offset + pos;
      if (upTo !== undefined && at >= upTo) {
        if (at > upTo) addProblem(problems, `the last record ends at ${at}, past the store's max physical offset ${upTo}`);
        scan.stopReason = 'limit';
        if (options.tailMustBeZero) checkZeroTail(bytes, upTo - f.offset, f.name, problems);
        walking = false;
        break;
      }
      if (pos >= bytes.byteLength) break; // next file
      const r = readRecord(bytes, pos, { checkCrc: true, readBody: true });
      if (r.kind === 'blank') {
        if (pos + r.size !== bytes.byteLength) addProblem(problems, `blank at ${at} has size ${r.size}, segment has ${bytes.byteLength - pos} bytes left`);
        pos = bytes.byteLength;
        scan.endOffset = f.offset + pos;
        continue;
      }
      if (r.kind === 'invalid') {
        scan.stopReason = r.reason;
        scan.stopAtZeros = allZero(bytes, pos, Math.min(bytes.byteLength, pos + 8));
        if (upTo !== undefined) addProblem(problems, `invalid record at ${at} (before the end ${upTo}): ${r.reason}`);
        walking = false;
        break;
      }
      const m = r.msg;
      if (m.physicalOffset !== at) {
        scan.stopReason = `record at ${at} says PHYSICALOFFSET ${m.physicalOffset}`;
        if (upTo !== undefined) addProblem(problems, scan.stopReason);
        walking = false;
        break;
      }
      checkMessage(scan, options, at, r.size, m.topic, m.queueId, m.queueOffset, m.keys, m.body);
      pos += r.size;
      scan.endOffset = f.offset + pos;
    }
    fileIndex++;
  }
  if (upTo !== undefined && scan.stopReason !== 'limit' && scan.endOffset !== upTo) {
    addProblem(problems, `the log's records end at ${scan.endOffset} but the store's max physical offset is ${upTo}`);
  }
  if (upTo !== undefined) {
    for (const f of files) {
      if (f.offset >= upTo && !(f.offset === upTo && upTo % segmentBytes === 0 && fileIsZero(join(dir, f.name)))) {
        addProblem(problems, `segment ${f.name} starts at or after the end ${upTo} and is not empty`);
      }
    }
  }
  return scan;
}

function checkMessage(
  scan: LogScan,
  options: ScanOptions,
  at: number,
  size: number,
  topic: string,
  queueId: number,
  queueOffset: number,
  keys: readonly string[],
  body: Uint8Array | null,
): void {
  const { problems } = scan;
  scan.records++;
  if (topic !== options.topic) addProblem(problems, `record at ${at} has topic ${topic}`);
  const seq = decodeBody(body);
  if (typeof seq === 'string') {
    addProblem(problems, `record at ${at}: ${seq}`);
    return;
  }
  if (!keys.includes(keysOfSeq(seq))) addProblem(problems, `record at ${at} (seq ${seq}) has keys ${JSON.stringify(keys)}`);
  if (queueId !== queueOfSeq(seq, options.queues)) addProblem(problems, `record at ${at} (seq ${seq}) is in queue ${queueId}`);
  if (scan.bySeq.has(seq)) addProblem(problems, `seq ${seq} is stored twice (at ${scan.bySeq.get(seq)!.physicalOffset} and ${at})`);
  let list = scan.queues.get(queueId);
  if (!list) scan.queues.set(queueId, (list = []));
  if (queueOffset !== list.length) {
    addProblem(problems, `queue ${queueId}: record at ${at} (seq ${seq}) has queue offset ${queueOffset}, expected ${list.length} (not dense)`);
  }
  list.push(at);
  scan.bySeq.set(seq, { seq, physicalOffset: at, size, queueId, queueOffset });
  scan.seqsInOrder.push(seq);
}

function checkZeroTail(bytes: Uint8Array, from: number, name: string, problems: string[]): void {
  for (let i = from; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0) {
      addProblem(problems, `segment ${name}: byte ${i} after the end of the log (${from}) is not zero`);
      return;
    }
  }
}

function allZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function fileIsZero(path: string): boolean {
  return allZero(new Uint8Array(readFileSync(path)), 0, statSync(path).size);
}

/** Every acknowledged message is in the scanned log, where the put said it went. */
export function checkAcked(scan: LogScan, acked: Iterable<Ack>): string[] {
  const problems: string[] = [];
  let missing = 0;
  for (const a of acked) {
    const r = scan.bySeq.get(a.seq);
    if (!r) {
      missing++;
      addProblem(problems, `acknowledged seq ${a.seq} (queue ${a.queueId} offset ${a.queueOffset}, physical ${a.physicalOffset}) is missing`);
      continue;
    }
    if (r.physicalOffset !== a.physicalOffset || r.queueId !== a.queueId || r.queueOffset !== a.queueOffset || r.size !== a.wroteBytes) {
      addProblem(problems, `acknowledged seq ${a.seq} was reported at ${JSON.stringify(a)} but is stored as ${JSON.stringify(r)}`);
    }
  }
  if (missing > MAX_PROBLEMS) problems.push(`${missing} acknowledged messages missing in all`);
  return problems;
}

/** Seqs of one writer run (from `base`) form a prefix [base, base+k) in log order, no holes. */
export function checkPrefix(scan: LogScan, base: number, limit: number): { count: number; problems: string[] } {
  const mine = scan.seqsInOrder.filter((s) => s >= base && s < limit);
  const problems: string[] = [];
  for (let i = 0; i < mine.length; i++) {
    if (mine[i] !== base + i) {
      addProblem(problems, `run from seq ${base}: position ${i} holds seq ${mine[i]} (a hole or reordering; expected ${base + i})`);
      break;
    }
  }
  return { count: mine.length, problems };
}

/** Read every queue back through the store: offsets dense from 0, each body intact and equal to
 * the record the raw scan found there. */
export async function checkReadBack(store: MessageStore, scan: LogScan, topic: string, group = 'fault-check'): Promise<string[]> {
  const problems: string[] = [];
  for (const [queueId, physicals] of scan.queues) {
    const max = store.getMaxOffsetInQueue(topic, queueId);
    if (max !== physicals.length) addProblem(problems, `queue ${queueId}: getMaxOffsetInQueue ${max}, the log holds ${physicals.length}`);
    const min = store.getMinOffsetInQueue(topic, queueId);
    if (min !== 0) addProblem(problems, `queue ${queueId}: min offset ${min}, expected 0`);
    let offset = 0;
    for (let guard = 0; offset < physicals.length && guard <= physicals.length; guard++) {
      const r = await store.getMessage({ group, topic, queueId, offset, maxMsgNums: 32 });
      if (r.status !== 'FOUND' || r.messages.length === 0) {
        addProblem(problems, `queue ${queueId} offset ${offset}: getMessage ${r.status} (max ${r.maxOffset}, expected ${physicals.length})`);
        break;
      }
      for (const m of r.messages) {
        const want = physicals[offset];
        const seq = decodeBody(m.body);
        if (m.queueOffset !== offset || m.physicalOffset !== want || typeof seq === 'string' || scan.bySeq.get(seq)?.physicalOffset !== want) {
          addProblem(problems, `queue ${queueId} offset ${offset}: read queueOffset ${m.queueOffset} physical ${m.physicalOffset} body ${seq}; the log has ${want}`);
        }
        offset++;
      }
    }
  }
  return problems;
}
