// The Raft frames: every message type round-trips exactly; a byte stream cut anywhere gives the
// same frames; garbage (random bytes, truncations, bit flips, bad fields) is a RaftProtocolError
// with a named violation, never another exception and never a half-decoded message.
import { describe, expect, it } from 'vitest';
import { decodeRaftFrame, encodeRaftFrame, MAX_APPEND_DATA_BYTES, RAFT_PROTOCOL_ERROR_CODE, RaftFrameSplitter, RaftProtocolError } from '../../src/raft/raft-codec.js';
import { AckKind, RaftCode, RaftMessageType, type RaftEnvelope, type RaftMessage } from '../../src/raft/raft-protocol.js';
import { lcg } from './cluster-kit.js';

const MESSAGES: RaftMessage[] = [
  { type: RaftMessageType.PRE_VOTE_REQUEST, term: 8, lastOffset: 123_456_789_012, lastTerm: 7 },
  { type: RaftMessageType.PRE_VOTE_RESPONSE, term: 8, granted: true, code: RaftCode.SUCCESS },
  { type: RaftMessageType.VOTE_REQUEST, term: 9, lastOffset: 0, lastTerm: 0, transfer: true },
  { type: RaftMessageType.VOTE_RESPONSE, term: 9, granted: false, code: RaftCode.REJECT_LOG_BEHIND },
  { type: RaftMessageType.APPEND_REQUEST, term: 9, prevOffset: 2 ** 40, prevTerm: 8, dataTerm: 9, commitOffset: 2 ** 40 - 5, sentAtMs: 12_345.0009765625, data: Uint8Array.from([1, 2, 3, 250]) },
  { type: RaftMessageType.APPEND_REQUEST, term: 1, prevOffset: 0, prevTerm: 0, dataTerm: 1, commitOffset: 0, sentAtMs: 0, data: new Uint8Array(0) },
  { type: RaftMessageType.HEARTBEAT, term: 3, commitOffset: 77, sentAtMs: 1.5 },
  {
    type: RaftMessageType.APPEND_RESPONSE,
    term: 9,
    code: RaftCode.INCONSISTENT_STATE,
    ackKind: AckKind.APPEND,
    prevOffset: 100,
    endOffset: 200,
    matchWritten: 90,
    matchFlushed: 80,
    logEnd: 150,
    sentAtMs: -1,
    terms: [
      { term: 2, startOffset: 0 },
      { term: 5, startOffset: 60 },
    ],
  },
  { type: RaftMessageType.APPEND_RESPONSE, term: 9, code: RaftCode.SUCCESS, ackKind: AckKind.PROGRESS, prevOffset: -1, endOffset: -1, matchWritten: 5, matchFlushed: 5, logEnd: 5, sentAtMs: 99, terms: [] },
  { type: RaftMessageType.TIMEOUT_NOW, term: 10 },
];

const env = (message: RaftMessage): RaftEnvelope => ({ group: 'broker-a', from: 'n0', to: 'n2', message });

function protocolError(fn: () => unknown): RaftProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RaftProtocolError);
    expect((err as RaftProtocolError).code).toBe(RAFT_PROTOCOL_ERROR_CODE);
    return err as RaftProtocolError;
  }
  throw new Error('no error thrown');
}

describe('raft codec', () => {
  it('round-trips every message type', () => {
    for (const m of MESSAGES) expect(decodeRaftFrame(encodeRaftFrame(env(m)))).toEqual(env(m));
  });

  it('the splitter gives the same frames however the stream is cut', () => {
    const frames = MESSAGES.map((m) => encodeRaftFrame(env(m)));
    const stream = Uint8Array.from(frames.flatMap((f) => [...f]));
    const rnd = lcg(7);
    for (let round = 0; round < 50; round++) {
      const splitter = new RaftFrameSplitter();
      const got: Uint8Array[] = [];
      for (let pos = 0; pos < stream.length; ) {
        const n = 1 + Math.floor(rnd() * 40);
        got.push(...splitter.push(stream.subarray(pos, pos + n)));
        pos += n;
      }
      expect(got.map((f) => decodeRaftFrame(f))).toEqual(MESSAGES.map(env));
    }
  });

  it('names what is wrong with a malformed frame', () => {
    const good = encodeRaftFrame(env(MESSAGES[4]!));
    const bad = (edit: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      edit(b, new DataView(b.buffer));
      return () => decodeRaftFrame(b);
    };
    expect(protocolError(bad((b) => (b[4] = 0))).violation).toBe('magic');
    expect(protocolError(bad((b) => (b[6] = 2))).violation).toBe('version');
    expect(protocolError(bad((b) => (b[7] = 99))).violation).toBe('type');
    expect(protocolError(bad((b) => (b[9] = 0x20))).violation).toBe('name');
    expect(protocolError(bad((_b, v) => v.setUint32(0, 9999))).violation).toBe('frame-length');
    expect(protocolError(() => decodeRaftFrame(good.subarray(0, 20))).violation).toBe('frame-length');
    const groupEnd = 8 + 1 + 8 + 1 + 2 + 1 + 2; // 'broker-a', 'n0', 'n2'
    expect(protocolError(bad((_b, v) => v.setBigInt64(groupEnd, -5n))).violation).toBe('field');
    expect(protocolError(bad((_b, v) => v.setBigInt64(groupEnd, 2n ** 60n))).violation).toBe('field');
    // a longer frame whose extra bytes follow the body
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    new DataView(longer.buffer).setUint32(0, longer.length - 4);
    expect(protocolError(() => decodeRaftFrame(longer)).violation).toBe('trailing');
    // the length field of a shorter frame: the body is cut
    const shorter = good.slice(0, good.length - 2);
    new DataView(shorter.buffer).setUint32(0, shorter.length - 4);
    expect(protocolError(() => decodeRaftFrame(shorter)).violation).toBe('truncated');
    expect(protocolError(() => new RaftFrameSplitter().push(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).violation).toBe('frame-length');
    expect(() => encodeRaftFrame(env({ ...(MESSAGES[4] as Extract<RaftMessage, { type: 5 }>), data: new Uint8Array(MAX_APPEND_DATA_BYTES + 1) }))).toThrow(RaftProtocolError);
    expect(() => encodeRaftFrame({ ...env(MESSAGES[0]!), from: 'n 0' })).toThrow(RaftProtocolError);
  });

  it('random garbage, truncations and bit flips only ever give RaftProtocolError or a valid message', () => {
    const rnd = lcg(11);
    const frames = MESSAGES.map((m) => encodeRaftFrame(env(m)));
    let errors = 0;
    for (let i = 0; i < 5_000; i++) {
      let b: Uint8Array;
      const pick = frames[i % frames.length]!;
      if (i % 3 === 0) b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
      else if (i % 3 === 1) b = pick.slice(0, Math.floor(rnd() * pick.length));
      else {
        b = pick.slice();
        for (let k = 0; k < 3; k++) {
          const at = Math.floor(rnd() * b.length);
          b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
        }
      }
      try {
        const e = decodeRaftFrame(b);
        expect(encodeRaftFrame(e)).toEqual(b); // what decodes is exactly what it encodes back to
      } catch (err) {
        expect(err).toBeInstanceOf(RaftProtocolError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(3_000);
  });
});
