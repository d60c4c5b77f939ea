// The wire format of the replication peer handshake (peer-auth-transport.ts runs it): a mutual
// challenge-response over a shared secret, bound to the service (the port kind: 'ha', later
// 'dledger'), the group (brokerName, later dLegerGroup) and both peers' ids. It runs before the
// replication protocol on every connection; nothing of the log or of the acks crosses before it
// succeeded. Pure functions: encode, decode, prove; no sockets, no timers.
//
// Exchange (the listener speaks first, so a client that does not know the protocol — an old
// slave, a port scanner — learns only a random nonce, and the listener never computes a proof
// for a peer that has not proven itself first):
//   1. listener -> connector  GREETING  the listener's fresh nonce nL
//   2. connector -> listener  HELLO     nC, service, group, connector id, connector proof
//   3. listener -> connector  ACCEPT    listener id, listener proof   (or REJECT with a reason)
// Every frame starts with the same 8-byte header (big-endian):
//   | offset | bytes | field                                                        |
//   |--------|-------|--------------------------------------------------------------|
//   | 0      | 4     | magic 0x4D514155 ("MQAU")                                    |
//   | 4      | 1     | version, 1                                                   |
//   | 5      | 1     | type: 1 GREETING, 2 HELLO, 3 ACCEPT, 4 REJECT                |
//   | 6      | 2     | body length in bytes (<= MAX_BODY_BYTES)                     |
// Bodies:
//   GREETING | 0 | 32 | nL: listener nonce (crypto random, fresh per connection)      |
//   HELLO    | 0 | 32 | nC: connector nonce (crypto random, fresh per connection)     |
//            | 32| 1+s| service: length byte s (1..32), UTF-8                          |
//            | . | 1+g| group: length byte g (1..255), UTF-8                           |
//            | . | 1+i| connector id: length byte i (1..64), UTF-8                     |
//            | . | 32 | connector proof                                              |
//   ACCEPT   | 0 | 1+i| listener id: length byte i (1..64), UTF-8                      |
//            | . | 32 | listener proof                                               |
//   REJECT   | 0 | 1  | reason (REJECT_REASONS below)                                |
// Proofs are HMAC-SHA256 under the shared secret over the transcript so far, with a direction
// label first (so one side's proof is never valid as the other's — no reflection):
//   connector proof = HMAC(secret, "mqstore-peer-auth/1 connector" 0x00 || GREETING || HELLO without its proof)
//   listener proof  = HMAC(secret, "mqstore-peer-auth/1 listener" 0x00 || GREETING || HELLO || ACCEPT without its proof)
// Each proof covers the other side's fresh nonce, so a recorded handshake replayed to either
// side fails (the new nonce differs). Proofs are compared with crypto.timingSafeEqual.
// What this does NOT protect: the bytes after the handshake travel in clear and unauthenticated
// (an on-path attacker can read them, or take over an authenticated TCP connection); use the TLS
// transport for that. A recorded handshake allows an offline guess of a weak secret: secrets are
// at least 16 characters long (io/secret-file.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PEER_AUTH_MAGIC = 0x4d514155;
export const PEER_AUTH_VERSION = 1;
export const HEADER_BYTES = 8;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** Largest body of a handshake frame: bounds what a peer can make the listener buffer. */
export const MAX_BODY_BYTES = 512;
export const MAX_SERVICE_BYTES = 32;
export const MAX_GROUP_BYTES = 255;
export const MAX_ID_BYTES = 64;

export const FrameType = { GREETING: 1, HELLO: 2, ACCEPT: 3, REJECT: 4 } as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** Stable codes of handshake failures: each log line and each error starts with one. */
export const PeerAuthErrorCode = {
  /** Not this protocol, a frame out of order or out of bounds, bytes where none may be. */
  MALFORMED: 'ERR_PEER_AUTH_MALFORMED',
  /** Another protocol version. */
  VERSION: 'ERR_PEER_AUTH_VERSION',
  /** The peer is for another kind of port (service). */
  WRONG_SERVICE: 'ERR_PEER_AUTH_WRONG_SERVICE',
  /** The peer belongs to another group. */
  WRONG_GROUP: 'ERR_PEER_AUTH_WRONG_GROUP',
  /** The proof does not verify: another secret, or a replayed handshake. */
  BAD_PROOF: 'ERR_PEER_AUTH_BAD_PROOF',
  /** The handshake did not finish within the deadline. */
  TIMEOUT: 'ERR_PEER_AUTH_TIMEOUT',
  /** The peer closed or reset the connection during the handshake. */
  CLOSED: 'ERR_PEER_AUTH_CLOSED',
  /** Listener: too many connections from this source, or too many handshakes in progress. */
  LIMIT: 'ERR_PEER_AUTH_LIMIT',
  /** Connector: the listener refused (the reason it sent follows). */
  REJECTED: 'ERR_PEER_AUTH_REJECTED',
} as const;
export type PeerAuthErrorCodeValue = (typeof PeerAuthErrorCode)[keyof typeof PeerAuthErrorCode];

/** REJECT reasons on the wire (one byte) and the code each one stands for. */
export const REJECT_REASONS: readonly { readonly byte: number; readonly code: PeerAuthErrorCodeValue }[] = [
  { byte: 1, code: PeerAuthErrorCode.MALFORMED },
  { byte: 2, code: PeerAuthErrorCode.VERSION },
  { byte: 3, code: PeerAuthErrorCode.WRONG_SERVICE },
  { byte: 4, code: PeerAuthErrorCode.WRONG_GROUP },
  { byte: 5, code: PeerAuthErrorCode.BAD_PROOF },
];

export class PeerAuthError extends Error {
  constructor(
    readonly code: PeerAuthErrorCodeValue,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'PeerAuthError';
  }
}

export interface HelloFields {
  nonce: Uint8Array;
  service: string;
  group: string;
  id: string;
}

const CONNECTOR_LABEL = Buffer.from('mqstore-peer-auth/1 connector\0', 'latin1');
const LISTENER_LABEL = Buffer.from('mqstore-peer-auth/1 listener\0', 'latin1');

function frame(type: FrameTypeValue, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.byteLength);
  out.writeUInt32BE(PEER_AUTH_MAGIC, 0);
  out.writeUInt8(PEER_AUTH_VERSION, 4);
  out.writeUInt8(type, 5);
  out.writeUInt16BE(body.byteLength, 6);
  out.set(body, HEADER_BYTES);
  return out;
}

function text(value: string, max: number, what: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.byteLength < 1 || bytes.byteLength > max) throw new RangeError(`${what} must be 1..${max} UTF-8 bytes, got ${bytes.byteLength}`);
  return Buffer.concat([Uint8Array.of(bytes.byteLength), bytes]);
}

function hmac(secret: Uint8Array, label: Buffer, parts: readonly Uint8Array[]): Buffer {
  const h = createHmac('sha256', secret);
  h.update(label);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality of two proofs (false, not a throw, when the lengths differ). */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

export function encodeGreeting(nonce: Uint8Array): Buffer {
  if (nonce.byteLength !== NONCE_BYTES) throw new RangeError(`a nonce is ${NONCE_BYTES} bytes`);
  return frame(FrameType.GREETING, nonce);
}

/** The HELLO frame, its proof computed over the greeting received. */
export function encodeHello(secret: Uint8Array, greeting: Uint8Array, fields: HelloFields): Buffer {
  if (fields.nonce.byteLength !== NONCE_BYTES) throw new RangeError(`a nonce is ${NONCE_BYTES} bytes`);
  const unproven = Buffer.concat([fields.nonce, text(fields.service, MAX_SERVICE_BYTES, 'service'), text(fields.group, MAX_GROUP_BYTES, 'group'), text(fields.id, MAX_ID_BYTES, 'id')]);
  const withoutProof = frame(FrameType.HELLO, Buffer.concat([unproven, Buffer.alloc(PROOF_BYTES)])).subarray(0, HEADER_BYTES + unproven.byteLength);
  const proof = hmac(secret, CONNECTOR_LABEL, [greeting, withoutProof]);
  return Buffer.concat([withoutProof, proof]);
}

/** The ACCEPT frame, its proof computed over the greeting sent and the hello received. */
export function encodeAccept(secret: Uint8Array, greeting: Uint8Array, hello: Uint8Array, id: string): Buffer {
  const idField = text(id, MAX_ID_BYTES, 'id');
  const withoutProof = frame(FrameType.ACCEPT, Buffer.concat([idField, Buffer.alloc(PROOF_BYTES)])).subarray(0, HEADER_BYTES + idField.byteLength);
  const proof = hmac(secret, LISTENER_LABEL, [greeting, hello, withoutProof]);
  return Buffer.concat([withoutProof, proof]);
}

export function encodeReject(code: PeerAuthErrorCodeValue): Buffer {
  const reason = REJECT_REASONS.find((r) => r.code === code)?.byte ?? 1;
  return frame(FrameType.REJECT, Uint8Array.of(reason));
}

/** One complete frame cut from the front of a buffer. */
export interface RawFrame {
  type: number;
  /** The whole frame (header + body), as the transcript needs it. */
  bytes: Uint8Array;
  body: Uint8Array;
}

/** Cuts one frame off `buffer`: null when more bytes are needed; throws PeerAuthError for a
 * header that is not this protocol or a body over MAX_BODY_BYTES (checked before waiting for it). */
export function takeFrame(buffer: Uint8Array): { frame: RawFrame; rest: Uint8Array } | null {
  if (buffer.byteLength >= 4) {
    const magic = Buffer.from(buffer.buffer, buffer.byteOffset, 4).readUInt32BE(0);
    if (magic !== PEER_AUTH_MAGIC) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `the peer does not speak the peer-auth protocol (first bytes 0x${magic.toString(16).padStart(8, '0')}, want 0x${PEER_AUTH_MAGIC.toString(16)})`);
  }
  if (buffer.byteLength < HEADER_BYTES) return null;
  const header = Buffer.from(buffer.buffer, buffer.byteOffset, HEADER_BYTES);
  const version = header.readUInt8(4);
  if (version !== PEER_AUTH_VERSION) throw new PeerAuthError(PeerAuthErrorCode.VERSION, `peer-auth version ${version}, this node speaks ${PEER_AUTH_VERSION}`);
  const length = header.readUInt16BE(6);
  if (length > MAX_BODY_BYTES) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `a handshake frame of ${length} body bytes (at most ${MAX_BODY_BYTES})`);
  if (buffer.byteLength < HEADER_BYTES + length) return null;
  const bytes = buffer.subarray(0, HEADER_BYTES + length);
  return { frame: { type: header.readUInt8(5), bytes, body: bytes.subarray(HEADER_BYTES) }, rest: buffer.subarray(HEADER_BYTES + length) };
}

function expectType(f: RawFrame, type: FrameTypeValue, what: string): void {
  if (f.type !== type) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `expected a ${what} frame, got type ${f.type}`);
}

/** Reads length-prefixed fields and fixed-size parts of a body, refusing anything out of bounds. */
class BodyReader {
  private at = 0;
  constructor(
    private readonly body: Uint8Array,
    private readonly what: string,
  ) {}

  bytes(n: number): Uint8Array {
    if (this.at + n > this.body.byteLength) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `${this.what} frame too short`);
    const out = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  text(max: number, field: string): string {
    const n = this.bytes(1)[0]!;
    if (n < 1 || n > max) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `${this.what} ${field} of ${n} bytes (1..${max})`);
    return Buffer.from(this.bytes(n)).toString('utf8');
  }

  end(): void {
    if (this.at !== this.body.byteLength) throw new PeerAuthError(PeerAuthErrorCode.MALFORMED, `${this.body.byteLength - this.at} stray bytes after the ${this.what} frame's fields`);
  }
}

export function decodeGreeting(f: RawFrame): Uint8Array {
  expectType(f, FrameType.GREETING, 'GREETING');
  const r = new BodyReader(f.body, 'GREETING');
  const nonce = r.bytes(NONCE_BYTES);
  r.end();
  return nonce;
}

/** The HELLO's fields, and whether its proof verifies over `greeting` (the caller decides the
 * order of its checks: service and group first, proof last). */
export function decodeHello(secret: Uint8Array, greeting: Uint8Array, f: RawFrame): HelloFields & { proofOk: boolean } {
  expectType(f, FrameType.HELLO, 'HELLO');
  const r = new BodyReader(f.body, 'HELLO');
  const nonce = r.bytes(NONCE_BYTES);
  const service = r.text(MAX_SERVICE_BYTES, 'service');
  const group = r.text(MAX_GROUP_BYTES, 'group');
  const id = r.text(MAX_ID_BYTES, 'id');
  const proof = r.bytes(PROOF_BYTES);
  r.end();
  const expected = hmac(secret, CONNECTOR_LABEL, [greeting, f.bytes.subarray(0, f.bytes.byteLength - PROOF_BYTES)]);
  return { nonce, service, group, id, proofOk: proofsEqual(proof, expected) };
}

/** The listener's answer: its id once its proof verified; throws PeerAuthError for a REJECT (with
 * the listener's reason), a bad proof or a malformed frame. */
export function decodeAnswer(secret: Uint8Array, greeting: Uint8Array, hello: Uint8Array, f: RawFrame): string {
  if (f.type === FrameType.REJECT) {
    const r = new BodyReader(f.body, 'REJECT');
    const byte = r.bytes(1)[0]!;
    const reason = REJECT_REASONS.find((x) => x.byte === byte)?.code ?? `reason ${byte}`;
    throw new PeerAuthError(PeerAuthErrorCode.REJECTED, `the listener refused this peer: ${reason}`);
  }
  expectType(f, FrameType.ACCEPT, 'ACCEPT');
  const r = new BodyReader(f.body, 'ACCEPT');
  const id = r.text(MAX_ID_BYTES, 'id');
  const proof = r.bytes(PROOF_BYTES);
  r.end();
  const expected = hmac(secret, LISTENER_LABEL, [greeting, hello, f.bytes.subarray(0, f.bytes.byteLength - PROOF_BYTES)]);
  if (!proofsEqual(proof, expected)) throw new PeerAuthError(PeerAuthErrorCode.BAD_PROOF, "the listener's proof does not verify (another secret, or a replayed answer)");
  return id;
}
