// The echo scenario's wire format: numbered frames whose bodies are a pure function of
// (clientId, seq), so the server can verify every frame it decodes without knowing what was sent,
// and the client can verify the echo byte for byte.
//
// Frame layout (big-endian):
//   | offset | size | field                                  |
//   |--------|------|----------------------------------------|
//   | 0      | 4    | bodyBytes                              |
//   | 4      | 4    | clientId (a hash of the client's name) |
//   | 8      | 4    | seq (per client incarnation, from 0)   |
//   | 12     | n    | body: bodyFor(clientId, seq)           |
import { Rng } from '../rng.js';

export const HEADER_BYTES = 12;
/** Bodies are at most this long; a longer length on the wire is garbage. */
export const MAX_BODY_BYTES = 70_000;

export interface Frame {
  clientId: number;
  seq: number;
  body: Buffer;
}

/** The body of message `seq` of client `clientId`: mostly small, sometimes large (backpressure).
 * The bytes come from a cheap LCG seeded by the pair (the checks regenerate every body). */
export function bodyFor(clientId: number, seq: number): Buffer {
  const rng = Rng.fromSeed(((clientId ^ Math.imul(seq, 0x9e3779b1)) >>> 0) + seq * 4_294_967_296);
  const size = rng.chance(0.02) ? rng.int(4_000, 40_000) : rng.int(0, 200);
  const body = Buffer.allocUnsafe(size);
  let x = rng.nextU32();
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    body[i] = x >>> 24;
    if (i + 1 < size) body[i + 1] = x >>> 16;
    if (i + 2 < size) body[i + 2] = x >>> 8;
    if (i + 3 < size) body[i + 3] = x;
  }
  return body;
}

export function encodeFrame(clientId: number, seq: number): Buffer {
  const body = bodyFor(clientId, seq);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt32BE(clientId, 4);
  frame.writeUInt32BE(seq, 8);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** A stable 32-bit id for a client name ("n1#2"). */
export function clientIdOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Reassembles frames from arbitrary chunks. Holds at most one partial frame. */
export class FrameDecoder {
  private parts: Buffer[] = [];
  private buffered = 0;

  /** Bytes of an incomplete frame held. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feed a chunk; returns the complete frames, or an error message for garbage. */
  push(chunk: Uint8Array): Frame[] | string {
    this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.byteLength;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_BYTES) return frames;
      const head = this.peek(HEADER_BYTES);
      const bodyBytes = head.readUInt32BE(0);
      if (bodyBytes > MAX_BODY_BYTES) return `garbage frame header: body of ${bodyBytes} bytes`;
      if (this.buffered < HEADER_BYTES + bodyBytes) return frames;
      const raw = this.take(HEADER_BYTES + bodyBytes);
      frames.push({ clientId: raw.readUInt32BE(4), seq: raw.readUInt32BE(8), body: raw.subarray(HEADER_BYTES) });
    }
  }

  private peek(n: number): Buffer {
    if ((this.parts[0] as Buffer).length < n) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0] as Buffer;
  }

  private take(n: number): Buffer {
    const all = this.peek(n);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.buffered -= n;
    return out;
  }
}
