// The classic RocketMQ HA wire format (spec §6.2, §6.3): encoders, and incremental decoders that
// validate everything they read. No checksum: the CommitLog record CRCs travel inside the frame
// bodies. One addition of ours: the epoch frame, the first thing a master sends on a connection.
//
// Master -> slave, once, first: epoch frame v2 (the master's epoch history, see epoch-history.ts,
// each entry with the store that began it, store-identity.ts).
//   | bytes  | field                                                          |
//   |--------|----------------------------------------------------------------|
//   | 0..7   | 0xFFFFFFFFFFFFFFFD  marker (no data frame can carry it)        |
//   | 8..11  | int32 BE  bodySize = 16 + 24 * n, 1 <= n <= MAX_EPOCH_ENTRIES   |
//   | 12..19 | int64 BE  the master's max offset when it accepted the slave   |
//   | 20..27 | 8 bytes   the master's store id (all zero: unknown)            |
//   | then n | int64 BE epoch, int64 BE startOffset, 8 bytes storeId (zero:    |
//   |        | unknown), oldest first, origin 0@0                              |
// Version 1 (marker 0xFFFFFFFFFFFFFFFF, bodySize = 8 + 16 * n: max offset, then epoch and
// startOffset per entry, no ids) is still decoded, as entries with unknown ids, so slaves can be
// upgraded before their master; an older slave refuses a v2 frame as "not an epoch frame".
// The slave checks it against its own history before it reports an offset (ha-client.ts).
//
// Slave -> master: offset report (8 bytes), sent on connect, after appends, and as keep-alive.
//   | bytes | field                                                      |
//   |-------|------------------------------------------------------------|
//   | 0..7  | int64 BE  the slave's max physical offset (bytes appended) |
//
// Master -> slave: data frame (12-byte header + body; a heartbeat is a frame with no body).
//   | bytes  | field                                                          |
//   |--------|----------------------------------------------------------------|
//   | 0..7   | int64 BE  physical offset of the first body byte               |
//   | 8..11  | int32 BE  bodySize: 0..haTransferBatchSize, never crosses a segment |
//   | 12..   | bodySize raw CommitLog bytes (records, blanks, everything)     |
//
// Slave -> master, instead of its first report, on a short connection of its own: the metadata
// request marker 0xFFFFFFFFFFFFFFFE (8 bytes); the master answers with one metadata frame (its
// consumer offsets, ha-metadata-protocol.ts) and closes. Nothing may follow the request.
//
// Invariants the decoders enforce (each breach is an HaProtocolError, code ERR_HA_PROTOCOL, and
// the connection that produced it is closed):
//   reports: non-negative safe integers, never going backwards, never beyond `maxAllowed()`;
//   frames:  0 <= bodySize <= maxBodyBytes, offset == the receiver's next offset (an empty
//            receiver accepts the first header's offset if it is a segment boundary), the body
//            stays inside one segment.
// Both decoders keep at most one incomplete header (< 12 bytes) between chunks; frame bodies
// are handed on in the pieces they arrive in (a receiver may append a frame cut anywhere).

import { HaErrorCode } from './ha-errors.js';
import { MAX_EPOCH_ENTRIES, normalizeEpochs, type EpochEntry } from './epoch-history.js';

export const HA_REPORT_BYTES = 8;
export const HA_FRAME_HEADER_BYTES = 12;
/** Stable code of every HA wire-format violation. */
export const HA_PROTOCOL_ERROR_CODE = HaErrorCode.PROTOCOL;

/** What exactly was wrong: stable names a test or an operator can match on. */
export type HaProtocolViolation =
  | 'report-out-of-range' // negative, or above 2^53 - 1
  | 'report-backwards' // lower than an earlier report on the same connection
  | 'report-beyond-master' // more than the master has (or has sent on this connection)
  | 'frame-size' // negative or above the batch size
  | 'frame-offset' // not the receiver's next offset
  | 'frame-crosses-segment' // the body would span two segments
  | 'handshake'; // the first frame is not a well-formed epoch frame

export class HaProtocolError extends Error {
  readonly code = HA_PROTOCOL_ERROR_CODE;

  constructor(
    readonly violation: HaProtocolViolation,
    message: string,
  ) {
    super(message);
    this.name = 'HaProtocolError';
  }
}

/** ReportDecoder.push's answer when the slave's first 8 bytes are the metadata request marker. */
export const METADATA_REQUEST = -2;
const METADATA_REQUEST_LAST_BYTE = 0xfe;

/** The 8-byte metadata request (see the header). */
export function encodeMetadataRequest(): Buffer {
  const out = Buffer.alloc(HA_REPORT_BYTES, 0xff);
  out[HA_REPORT_BYTES - 1] = METADATA_REQUEST_LAST_BYTE;
  return out;
}

function isMetadataRequest(raw: Uint8Array): boolean {
  for (let k = 0; k < HA_REPORT_BYTES - 1; k++) if (raw[k] !== 0xff) return false;
  return raw[HA_REPORT_BYTES - 1] === METADATA_REQUEST_LAST_BYTE;
}

const TWO_POW_32 = 0x1_0000_0000;
/** Highest int64 high word that keeps the value a safe JS integer (2^53 - 1). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;

function writeOffset(view: DataView, at: number, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`HA offset must be a non-negative safe integer, got ${offset}`);
  view.setUint32(at, Math.floor(offset / TWO_POW_32));
  view.setUint32(at + 4, offset % TWO_POW_32);
}

/** int64 BE at `at` as a number, or -1 when negative or beyond 2^53 - 1. */
function readOffset(view: DataView, at: number): number {
  const high = view.getInt32(at);
  if (high < 0 || high > MAX_SAFE_HIGH_WORD) return -1;
  return high * TWO_POW_32 + view.getUint32(at + 4);
}

export function encodeReport(maxOffset: number): Buffer {
  const out = Buffer.allocUnsafe(HA_REPORT_BYTES);
  writeOffset(new DataView(out.buffer, out.byteOffset, HA_REPORT_BYTES), 0, maxOffset);
  return out;
}

export function encodeFrameHeader(offset: number, bodyBytes: number): Buffer {
  if (!Number.isInteger(bodyBytes) || bodyBytes < 0 || bodyBytes > 0x7fff_ffff) throw new RangeError(`HA frame body size out of range: ${bodyBytes}`);
  const out = Buffer.allocUnsafe(HA_FRAME_HEADER_BYTES);
  const view = new DataView(out.buffer, out.byteOffset, HA_FRAME_HEADER_BYTES);
  writeOffset(view, 0, offset);
  view.setInt32(8, bodyBytes);
  return out;
}

/** Master side: offset reports from one slave. The last complete report of a chunk wins, but
 * every report is validated. */
export class ReportDecoder {
  private readonly partial = new Uint8Array(HA_REPORT_BYTES);
  private readonly partialView = new DataView(this.partial.buffer);
  private partialBytes = 0;
  private last = -1;
  private count = 0;

  /** `maxAllowed(isFirst)`: the highest offset a report may carry right now. */
  constructor(private readonly maxAllowed: (isFirst: boolean) => number) {}

  /** The newest valid report, -1 before any (METADATA_REQUEST after a metadata request). */
  get lastReport(): number {
    return this.last;
  }

  /** Complete reports decoded so far. */
  get reports(): number {
    return this.count;
  }

  /** Bytes of a report still incomplete. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  /** Decode `chunk`; returns the newest report completed by it, or -1 if none completed
   * (METADATA_REQUEST when the first 8 bytes are the metadata request marker).
   * Throws HaProtocolError on the first invalid report. */
  push(chunk: Uint8Array): number {
    let newest = -1;
    let pos = 0;
    if (this.partialBytes > 0) {
      const take = Math.min(HA_REPORT_BYTES - this.partialBytes, chunk.byteLength);
      this.partial.set(chunk.subarray(0, take), this.partialBytes);
      this.partialBytes += take;
      pos = take;
      if (this.partialBytes < HA_REPORT_BYTES) return -1;
      this.partialBytes = 0;
      newest = this.accept(readOffset(this.partialView, 0), this.partial);
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (; pos + HA_REPORT_BYTES <= chunk.byteLength; pos += HA_REPORT_BYTES) {
      newest = this.accept(readOffset(view, pos), chunk.subarray(pos, pos + HA_REPORT_BYTES));
    }
    const rest = chunk.byteLength - pos;
    if (rest > 0) {
      this.partial.set(chunk.subarray(pos), 0);
      this.partialBytes = rest;
    }
    return newest;
  }

  private accept(offset: number, raw: Uint8Array): number {
    if (this.last === METADATA_REQUEST) throw new HaProtocolError('handshake', 'bytes after a metadata request');
    if (this.count === 0 && isMetadataRequest(raw)) {
      this.count++;
      this.last = METADATA_REQUEST;
      return METADATA_REQUEST;
    }
    if (offset < 0) {
      throw new HaProtocolError('report-out-of-range', `offset report ${hex(raw)} is negative or above 2^53-1`);
    }
    if (offset < this.last) {
      throw new HaProtocolError('report-backwards', `offset report ${offset} goes backwards (previous ${this.last})`);
    }
    const max = this.maxAllowed(this.count === 0);
    if (offset > max) {
      throw new HaProtocolError('report-beyond-master', `offset report ${offset} is beyond ${this.count === 0 ? "the master's max offset" : 'what was sent'} ${max}`);
    }
    this.last = offset;
    this.count++;
    return offset;
  }
}

/** What the epoch frame carries. */
export interface EpochFrame {
  masterMaxOffset: number;
  entries: EpochEntry[];
  /** The answering master's store id (absent: unknown, e.g. a v1 frame). */
  masterStoreId?: string;
}

const EPOCH_V1_MARKER = 0xff;
const EPOCH_V2_MARKER = 0xfd;
const V1_ENTRY_BYTES = 16;
const V1_FIXED_BYTES = 8;
const V2_ENTRY_BYTES = 24;
const V2_FIXED_BYTES = 16;


export function encodeEpochFrame(frame: EpochFrame): Buffer {
  const n = frame.entries.length;
  if (n < 1 || n > MAX_EPOCH_ENTRIES) throw new RangeError(`an epoch frame carries 1..${MAX_EPOCH_ENTRIES} entries, got ${n}`);
  const body = V2_FIXED_BYTES + V2_ENTRY_BYTES * n;
  const out = Buffer.alloc(HA_FRAME_HEADER_BYTES + body);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(0, -1);
  view.setInt32(4, -1);
  out[7] = EPOCH_V2_MARKER;
  view.setInt32(8, body);
  writeOffset(view, HA_FRAME_HEADER_BYTES, frame.masterMaxOffset);
  writeStoreId(out, HA_FRAME_HEADER_BYTES + 8, frame.masterStoreId);
  frame.entries.forEach((e, k) => {
    const at = HA_FRAME_HEADER_BYTES + V2_FIXED_BYTES + k * V2_ENTRY_BYTES;
    writeOffset(view, at, e.epoch);
    writeOffset(view, at + 8, e.startOffset);
    writeStoreId(out, at + 16, e.storeId);
  });
  return out;
}

/** 8 bytes of a store id (16 hex digits), zeros when unknown. */
function writeStoreId(out: Buffer, at: number, id: string | undefined): void {
  if (id !== undefined) out.write(id, at, 8, 'hex');
}

function readStoreId(body: Uint8Array, at: number): string | undefined {
  const hex = Buffer.from(body.buffer, body.byteOffset + at, 8).toString('hex');
  return /^0+$/.test(hex) ? undefined : hex;
}

/** Collects one marked frame (a header of 0xFF x 7 + one of `markerLastBytes`, an int32
 * bodySize that `sizeProblem` accepts, then the body) from chunks; keeps at most one header and
 * one body. Throws HaProtocolError('handshake') as soon as the bytes cannot be that frame. */
export class MarkedFrameReader {
  private readonly header = new Uint8Array(HA_FRAME_HEADER_BYTES);
  private headerBytes = 0;
  private body: Uint8Array | null = null;
  private bodyBytes = 0;

  constructor(
    private readonly markerLastBytes: readonly number[],
    /** Why `size` cannot be this frame's (whose marker ends in `marker`), or null. */
    private readonly sizeProblem: (size: number, marker: number) => string | null,
    /** The error message when the header is not this frame's marker. */
    private readonly notThisFrame: (headerSoFar: Uint8Array) => string,
  ) {}

  /** The body, the marker's last byte and the rest of the chunk once complete, null before. */
  push(chunk: Uint8Array): { body: Uint8Array; marker: number; rest: Uint8Array } | null {
    let pos = 0;
    if (this.body === null) {
      const take = Math.min(HA_FRAME_HEADER_BYTES - this.headerBytes, chunk.byteLength);
      this.header.set(chunk.subarray(0, take), this.headerBytes);
      this.headerBytes += take;
      pos = take;
      for (let k = 0; k < Math.min(8, this.headerBytes); k++) {
        const ok = k === 7 ? this.markerLastBytes.includes(this.header[k]!) : this.header[k] === 0xff;
        if (!ok) throw new HaProtocolError('handshake', this.notThisFrame(this.header.subarray(0, this.headerBytes)));
      }
      if (this.headerBytes < HA_FRAME_HEADER_BYTES) return null;
      const size = new DataView(this.header.buffer).getInt32(8);
      const problem = this.sizeProblem(size, this.header[7]!);
      if (problem !== null) throw new HaProtocolError('handshake', problem);
      this.body = new Uint8Array(size);
    }
    const body = this.body;
    const take = Math.min(body.byteLength - this.bodyBytes, chunk.byteLength - pos);
    body.set(chunk.subarray(pos, pos + take), this.bodyBytes);
    this.bodyBytes += take;
    pos += take;
    if (this.bodyBytes < body.byteLength) return null;
    return { body, marker: this.header[7]!, rest: chunk.subarray(pos) };
  }
}

/** Slave side: the epoch frame that opens a connection. Collects at most one frame (bounded by
 * MAX_EPOCH_ENTRIES entries); the bytes after it belong to the data stream. */
export class EpochFrameDecoder {
  private readonly reader = new MarkedFrameReader(
    [EPOCH_V2_MARKER, EPOCH_V1_MARKER],
    (size, marker) => {
      const [fixed, entry] = marker === EPOCH_V1_MARKER ? [V1_FIXED_BYTES, V1_ENTRY_BYTES] : [V2_FIXED_BYTES, V2_ENTRY_BYTES];
      return size < fixed + entry || size > fixed + entry * MAX_EPOCH_ENTRIES || (size - fixed) % entry !== 0
        ? `epoch frame bodySize ${size} is not ${fixed} + ${entry} * n with 1 <= n <= ${MAX_EPOCH_ENTRIES}`
        : null;
    },
    (header) => `the master's first frame is not an epoch frame (header starts ${hex(header)})`,
  );

  /** Returns the frame and the rest of the chunk once complete, null before. Throws
   * HaProtocolError('handshake') as soon as the bytes cannot be an epoch frame. */
  push(chunk: Uint8Array): { frame: EpochFrame; rest: Uint8Array } | null {
    const done = this.reader.push(chunk);
    return done === null ? null : { frame: decodeEpochBody(done.body, done.marker === EPOCH_V1_MARKER), rest: done.rest };
  }
}

function decodeEpochBody(body: Uint8Array, v1: boolean): EpochFrame {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const [fixed, entryBytes] = v1 ? [V1_FIXED_BYTES, V1_ENTRY_BYTES] : [V2_FIXED_BYTES, V2_ENTRY_BYTES];
  const masterMaxOffset = readOffset(view, 0);
  if (masterMaxOffset < 0) throw new HaProtocolError('handshake', 'epoch frame: the master max offset is negative or above 2^53-1');
  const masterStoreId = v1 ? undefined : readStoreId(body, 8);
  const entries: EpochEntry[] = [];
  for (let at = fixed; at < body.byteLength; at += entryBytes) {
    const epoch = readOffset(view, at);
    const startOffset = readOffset(view, at + 8);
    if (epoch < 0 || startOffset < 0 || startOffset > masterMaxOffset) {
      throw new HaProtocolError('handshake', `epoch frame entry ${(at - fixed) / entryBytes} (${epoch}@${startOffset}) is out of range (master max offset ${masterMaxOffset})`);
    }
    const storeId = v1 ? undefined : readStoreId(body, at + 16);
    entries.push(storeId === undefined ? { epoch, startOffset } : { epoch, startOffset, storeId });
  }
  try {
    const normalized = normalizeEpochs(entries, 'epoch frame');
    return masterStoreId === undefined ? { masterMaxOffset, entries: normalized } : { masterMaxOffset, entries: normalized, masterStoreId };
  } catch (err) {
    throw new HaProtocolError('handshake', (err as Error).message);
  }
}

/** Where a FrameDecoder hands decoded frames. */
export interface FrameSink {
  /** Every header, heartbeats included, after validation and before its body. */
  onHeader(offset: number, bodyBytes: number): void;
  /** A piece of a frame body at `offset` (pieces of one frame arrive in order). The bytes are a
   * view of the received chunk: copy them to keep them. */
  onBody(offset: number, bytes: Uint8Array): void;
}

export interface FrameDecoderOptions {
  /** The receiver's next offset (its max offset). */
  expectedOffset: number;
  /** An empty receiver takes the first header's offset as its start. */
  acceptFirstOffset: boolean;
  /** Largest allowed bodySize (haTransferBatchSize). */
  maxBodyBytes: number;
  /** CommitLog segment size: a body must not cross a multiple of it. */
  segmentBytes: number;
}

/** Slave side: frames from the master. */
export class FrameDecoder {
  private readonly header = new Uint8Array(HA_FRAME_HEADER_BYTES);
  private readonly headerView = new DataView(this.header.buffer);
  private headerBytes = 0;
  private bodyLeft = 0;
  private expected: number;
  private locked: boolean;
  private frames = 0;

  constructor(private readonly options: FrameDecoderOptions) {
    this.expected = options.expectedOffset;
    this.locked = !options.acceptFirstOffset;
  }

  /** The offset the next body byte must have. */
  get expectedOffset(): number {
    return this.expected;
  }

  /** Complete frames decoded (heartbeats included). */
  get frameCount(): number {
    return this.frames;
  }

  /** Whether a header or body is incomplete. */
  get midFrame(): boolean {
    return this.headerBytes > 0 || this.bodyLeft > 0;
  }

  /** Decode `chunk` into `sink`. Throws HaProtocolError at the first invalid header (no byte
   * of that frame's body reaches the sink). */
  push(chunk: Uint8Array, sink: FrameSink): void {
    let pos = 0;
    // one header or one body piece per round: at most chunk/12 + 2 rounds
    for (let guard = chunk.byteLength + 2; pos < chunk.byteLength && guard > 0; guard--) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.byteLength - pos);
        const at = this.expected;
        this.expected += take;
        this.bodyLeft -= take;
        if (this.bodyLeft === 0) this.frames++;
        sink.onBody(at, chunk.subarray(pos, pos + take));
        pos += take;
        continue;
      }
      const take = Math.min(HA_FRAME_HEADER_BYTES - this.headerBytes, chunk.byteLength - pos);
      this.header.set(chunk.subarray(pos, pos + take), this.headerBytes);
      this.headerBytes += take;
      pos += take;
      if (this.headerBytes < HA_FRAME_HEADER_BYTES) break;
      this.headerBytes = 0;
      this.acceptHeader(sink);
    }
  }

  private acceptHeader(sink: FrameSink): void {
    const offset = readOffset(this.headerView, 0);
    const size = this.headerView.getInt32(8);
    if (size < 0 || size > this.options.maxBodyBytes) {
      throw new HaProtocolError('frame-size', `frame at ${offset} has bodySize ${size}, allowed 0..${this.options.maxBodyBytes} (haTransferBatchSize)`);
    }
    if (offset < 0 || (this.locked && offset !== this.expected)) {
      throw new HaProtocolError('frame-offset', `frame offset ${offset < 0 ? hex(this.header.subarray(0, 8)) : offset} is not the next offset ${this.expected}`);
    }
    const seg = this.options.segmentBytes;
    if (!this.locked && offset % seg !== 0) {
      throw new HaProtocolError('frame-offset', `frame offset ${offset}: an empty receiver can only start at a ${seg}-byte segment boundary`);
    }
    if (size > 0 && (offset % seg) + size > seg) {
      throw new HaProtocolError('frame-crosses-segment', `frame [${offset}, ${offset + size}) crosses a ${seg}-byte segment boundary`);
    }
    this.expected = offset;
    this.locked = true;
    sink.onHeader(offset, size);
    if (size === 0) this.frames++;
    this.bodyLeft = size;
  }
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}
