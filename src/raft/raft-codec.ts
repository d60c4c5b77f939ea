// The binary frames of the Raft messages (raft-protocol.ts). Decoding validates every field and
// throws RaftProtocolError (code ERR_RAFT_PROTOCOL, a named violation) on anything malformed, so
// garbage from the network is an error for the connection, never a crash or a half-built message.
//
// Frame, all integers big-endian:
//   | bytes   | field                                                              |
//   |---------|--------------------------------------------------------------------|
//   | 0..3    | uint32 length of the rest of the frame (HEADER_MIN .. MAX_FRAME_BYTES) |
//   | 4..5    | uint16 magic 0x5246 ("RF")                                         |
//   | 6       | uint8  version (1)                                                 |
//   | 7       | uint8  message type (RaftMessageType)                              |
//   | 8..     | group, from, to: each uint8 length (1..64) + that many bytes of [A-Za-z0-9_.-] |
//   | then    | the body of the type                                               |
// Bodies (i64 = int64 that must be a safe integer >= 0, or >= -1 where marked; f64 = float64):
//   PRE_VOTE_REQUEST  term i64 | lastOffset i64 | lastTerm i64
//   PRE_VOTE_RESPONSE term i64 | granted u8 (0/1) | code u16
//   VOTE_REQUEST      term i64 | lastOffset i64 | lastTerm i64 | transfer u8 (0/1)
//   VOTE_RESPONSE     term i64 | granted u8 (0/1) | code u16
//   APPEND_REQUEST    term i64 | prevOffset i64 | prevTerm i64 | dataTerm i64 | commitOffset i64 |
//                     sentAtMs f64 | dataLength u32 (<= MAX_APPEND_DATA_BYTES) | data
//   HEARTBEAT         term i64 | commitOffset i64 | sentAtMs f64
//   APPEND_RESPONSE   term i64 | code u16 | ackKind u8 (0..2) | prevOffset i64 (-1) | endOffset i64 (-1) |
//                     matchWritten i64 | matchFlushed i64 | logEnd i64 | sentAtMs f64 (-1) |
//                     n u16 (<= MAX_TERM_ENTRIES) | n x (term i64, startOffset i64)
//   TIMEOUT_NOW       term i64
// Nothing may follow the body inside a frame.
import { AckKind, RaftMessageType, type RaftEnvelope, type RaftMessage } from './raft-protocol.js';
import { MAX_TERM_ENTRIES, type TermEntry } from './term-history.js';

export const RAFT_FRAME_MAGIC = 0x5246;
export const RAFT_FRAME_VERSION = 1;
export const MAX_APPEND_DATA_BYTES = 4 * 1024 * 1024;
export const MAX_FRAME_BYTES = MAX_APPEND_DATA_BYTES + 64 * 1024;
const MAX_NAME_BYTES = 64;
const NAME = /^[A-Za-z0-9_.-]+$/;

export const RAFT_PROTOCOL_ERROR_CODE = 'ERR_RAFT_PROTOCOL';

export type RaftProtocolViolation =
  | 'frame-length' // the length field is out of range, or the frame is cut short
  | 'magic'
  | 'version'
  | 'type' // unknown message type
  | 'name' // group or member id empty, too long or with other characters
  | 'field' // a number out of range (negative, unsafe, not 0/1, unknown ackKind)
  | 'truncated' // the body ends before its fields
  | 'trailing'; // bytes after the body

export class RaftProtocolError extends Error {
  readonly code = RAFT_PROTOCOL_ERROR_CODE;

  constructor(
    readonly violation: RaftProtocolViolation,
    message: string,
  ) {
    super(message);
    this.name = 'RaftProtocolError';
  }
}

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.pos++, v);
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  i64(v: number): void {
    this.room(8);
    this.view.setBigInt64(this.pos, BigInt(v));
    this.pos += 8;
  }
  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  name(s: string, what: string): void {
    if (s.length < 1 || s.length > MAX_NAME_BYTES || !NAME.test(s)) throw new RaftProtocolError('name', `${what} ${JSON.stringify(s)}: 1-${MAX_NAME_BYTES} of [A-Za-z0-9_.-]`);
    this.u8(s.length);
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
  }
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    new DataView(out.buffer).setUint32(0, this.pos - 4);
    return out;
  }
}

class Reader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new RaftProtocolError('truncated', `frame ends inside ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i64(what: string, min = 0): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    if (v < BigInt(min) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RaftProtocolError('field', `${what} ${v} is out of range [${min}, 2^53)`);
    return Number(v);
  }
  f64(what: string, min = 0): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    if (!Number.isFinite(v) || v < min) throw new RaftProtocolError('field', `${what} ${v} is not a finite number >= ${min}`);
    return v;
  }
  bool(what: string): boolean {
    const v = this.u8(what);
    if (v > 1) throw new RaftProtocolError('field', `${what} ${v} is not 0 or 1`);
    return v === 1;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  name(what: string): string {
    const n = this.u8(`${what} length`);
    if (n < 1 || n > MAX_NAME_BYTES) throw new RaftProtocolError('name', `${what} length ${n} is not 1-${MAX_NAME_BYTES}`);
    this.need(n, what);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.buf[this.pos + i]!);
    this.pos += n;
    if (!NAME.test(s)) throw new RaftProtocolError('name', `${what} ${JSON.stringify(s)} has characters outside [A-Za-z0-9_.-]`);
    return s;
  }
  end(): void {
    if (this.pos !== this.buf.length) throw new RaftProtocolError('trailing', `${this.buf.length - this.pos} bytes after the message body`);
  }
}

export function encodeRaftFrame(envelope: RaftEnvelope): Uint8Array {
  const w = new Writer();
  const m = envelope.message;
  w.u32(0); // patched by finish()
  w.u16(RAFT_FRAME_MAGIC);
  w.u8(RAFT_FRAME_VERSION);
  w.u8(m.type);
  w.name(envelope.group, 'group');
  w.name(envelope.from, 'from');
  w.name(envelope.to, 'to');
  switch (m.type) {
    case RaftMessageType.PRE_VOTE_REQUEST:
    case RaftMessageType.VOTE_REQUEST:
      w.i64(m.term);
      w.i64(m.lastOffset);
      w.i64(m.lastTerm);
      if (m.type === RaftMessageType.VOTE_REQUEST) w.u8(m.transfer ? 1 : 0);
      break;
    case RaftMessageType.PRE_VOTE_RESPONSE:
    case RaftMessageType.VOTE_RESPONSE:
      w.i64(m.term);
      w.u8(m.granted ? 1 : 0);
      w.u16(m.code);
      break;
    case RaftMessageType.APPEND_REQUEST:
      if (m.data.length > MAX_APPEND_DATA_BYTES) throw new RaftProtocolError('frame-length', `append data of ${m.data.length} bytes, at most ${MAX_APPEND_DATA_BYTES}`);
      w.i64(m.term);
      w.i64(m.prevOffset);
      w.i64(m.prevTerm);
      w.i64(m.dataTerm);
      w.i64(m.commitOffset);
      w.f64(m.sentAtMs);
      w.u32(m.data.length);
      w.bytes(m.data);
      break;
    case RaftMessageType.HEARTBEAT:
      w.i64(m.term);
      w.i64(m.commitOffset);
      w.f64(m.sentAtMs);
      break;
    case RaftMessageType.APPEND_RESPONSE:
      if (m.terms.length > MAX_TERM_ENTRIES) throw new RaftProtocolError('field', `${m.terms.length} term entries, at most ${MAX_TERM_ENTRIES}`);
      w.i64(m.term);
      w.u16(m.code);
      w.u8(m.ackKind);
      w.i64(m.prevOffset);
      w.i64(m.endOffset);
      w.i64(m.matchWritten);
      w.i64(m.matchFlushed);
      w.i64(m.logEnd);
      w.f64(m.sentAtMs);
      w.u16(m.terms.length);
      for (const e of m.terms) {
        w.i64(e.term);
        w.i64(e.startOffset);
      }
      break;
    case RaftMessageType.TIMEOUT_NOW:
      w.i64(m.term);
      break;
  }
  return w.finish();
}

/** Decode one whole frame (its 4-byte length included). Throws RaftProtocolError. */
export function decodeRaftFrame(frame: Uint8Array): RaftEnvelope {
  if (frame.length < 8) throw new RaftProtocolError('frame-length', `a frame of ${frame.length} bytes is shorter than its 8-byte header`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const length = view.getUint32(0);
  if (length + 4 !== frame.length) throw new RaftProtocolError('frame-length', `length field ${length} + 4 does not match the frame's ${frame.length} bytes`);
  if (length > MAX_FRAME_BYTES) throw new RaftProtocolError('frame-length', `length ${length} is above ${MAX_FRAME_BYTES}`);
  if (view.getUint16(4) !== RAFT_FRAME_MAGIC) throw new RaftProtocolError('magic', `magic 0x${view.getUint16(4).toString(16)} is not 0x5246`);
  if (view.getUint8(6) !== RAFT_FRAME_VERSION) throw new RaftProtocolError('version', `version ${view.getUint8(6)} is not ${RAFT_FRAME_VERSION}`);
  const type = view.getUint8(7);
  const r = new Reader(frame, 8);
  const group = r.name('group');
  const from = r.name('from');
  const to = r.name('to');
  const message = decodeBody(type, r);
  r.end();
  return { group, from, to, message };
}

function decodeBody(type: number, r: Reader): RaftMessage {
  switch (type) {
    case RaftMessageType.PRE_VOTE_REQUEST:
      return { type, term: r.i64('term'), lastOffset: r.i64('lastOffset'), lastTerm: r.i64('lastTerm') };
    case RaftMessageType.VOTE_REQUEST:
      return { type, term: r.i64('term'), lastOffset: r.i64('lastOffset'), lastTerm: r.i64('lastTerm'), transfer: r.bool('transfer') };
    case RaftMessageType.PRE_VOTE_RESPONSE:
    case RaftMessageType.VOTE_RESPONSE:
      return { type, term: r.i64('term'), granted: r.bool('granted'), code: r.u16('code') };
    case RaftMessageType.APPEND_REQUEST: {
      const term = r.i64('term');
      const prevOffset = r.i64('prevOffset');
      const prevTerm = r.i64('prevTerm');
      const dataTerm = r.i64('dataTerm');
      const commitOffset = r.i64('commitOffset');
      const sentAtMs = r.f64('sentAtMs');
      const n = r.u32('dataLength');
      if (n > MAX_APPEND_DATA_BYTES) throw new RaftProtocolError('field', `dataLength ${n} is above ${MAX_APPEND_DATA_BYTES}`);
      return { type, term, prevOffset, prevTerm, dataTerm, commitOffset, sentAtMs, data: r.bytes(n, 'data') };
    }
    case RaftMessageType.HEARTBEAT:
      return { type, term: r.i64('term'), commitOffset: r.i64('commitOffset'), sentAtMs: r.f64('sentAtMs') };
    case RaftMessageType.APPEND_RESPONSE: {
      const term = r.i64('term');
      const code = r.u16('code');
      const ackKind = r.u8('ackKind');
      if (ackKind !== AckKind.APPEND && ackKind !== AckKind.HEARTBEAT && ackKind !== AckKind.PROGRESS) throw new RaftProtocolError('field', `ackKind ${ackKind} is not 0, 1 or 2`);
      const prevOffset = r.i64('prevOffset', -1);
      const endOffset = r.i64('endOffset', -1);
      const matchWritten = r.i64('matchWritten');
      const matchFlushed = r.i64('matchFlushed');
      const logEnd = r.i64('logEnd');
      const sentAtMs = r.f64('sentAtMs', -1);
      const n = r.u16('term entry count');
      if (n > MAX_TERM_ENTRIES) throw new RaftProtocolError('field', `${n} term entries, at most ${MAX_TERM_ENTRIES}`);
      const terms: TermEntry[] = [];
      for (let i = 0; i < n; i++) terms.push({ term: r.i64('entry term'), startOffset: r.i64('entry startOffset') });
      return { type, term, code, ackKind, prevOffset, endOffset, matchWritten, matchFlushed, logEnd, sentAtMs, terms };
    }
    case RaftMessageType.TIMEOUT_NOW:
      return { type, term: r.i64('term') };
    default:
      throw new RaftProtocolError('type', `unknown message type ${type}`);
  }
}

/** Cuts a byte stream into whole frames (bounded: one frame of at most MAX_FRAME_BYTES + 4 is buffered). */
export class RaftFrameSplitter {
  private pending: Uint8Array = new Uint8Array(0);

  /** The whole frames completed by `chunk`; throws RaftProtocolError on a bad length field. */
  push(chunk: Uint8Array): Uint8Array[] {
    let buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      if (buf.length < 4) break;
      const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0);
      if (length < 4 || length > MAX_FRAME_BYTES) throw new RaftProtocolError('frame-length', `length field ${length} is not in [4, ${MAX_FRAME_BYTES}]`);
      if (buf.length < length + 4) break;
      frames.push(buf.slice(0, length + 4));
      buf = buf.subarray(length + 4);
    }
    this.pending = buf.slice();
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
