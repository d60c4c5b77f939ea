// The metadata frame: what a master sends a slave that asked for its metadata (the request
// marker, ha-protocol.ts), on a short connection of its own, after the usual epoch frame.
//
//   | bytes  | field                                                           |
//   |--------|-----------------------------------------------------------------|
//   | 0..7   | 0xFFFFFFFFFFFFFFFE  marker (no data frame can carry it)         |
//   | 8..11  | int32 BE  bodySize, 2 .. MAX_METADATA_BODY_BYTES                 |
//   | 12..   | UTF-8 JSON: {"offsetTable": {...}} as in config/consumerOffset.json |
//
// The decoder keeps at most one header and one body (bounded by MAX_METADATA_BODY_BYTES); any
// byte that cannot be this frame is an HaProtocolError('handshake').
import { HA_FRAME_HEADER_BYTES, HaProtocolError, MarkedFrameReader } from './ha-protocol.js';

/** Largest metadata body accepted: RocketMQ brokers with tens of thousands of groups stay well
 * below it. */
export const MAX_METADATA_BODY_BYTES = 16 << 20;
const MARKER_LAST_BYTE = 0xfe;

export function encodeMetadataFrame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  if (body.byteLength < 2 || body.byteLength > MAX_METADATA_BODY_BYTES) {
    throw new RangeError(`a metadata frame body is 2..${MAX_METADATA_BODY_BYTES} bytes, got ${body.byteLength}`);
  }
  const out = Buffer.alloc(HA_FRAME_HEADER_BYTES + body.byteLength, 0xff);
  out[7] = MARKER_LAST_BYTE;
  out.writeInt32BE(body.byteLength, 8);
  body.copy(out, HA_FRAME_HEADER_BYTES);
  return out;
}

/** Collects one metadata frame; returns its JSON text once complete, null before. */
export class MetadataFrameDecoder {
  private readonly reader = new MarkedFrameReader(
    [MARKER_LAST_BYTE],
    (size) => (size < 2 || size > MAX_METADATA_BODY_BYTES ? `metadata frame bodySize ${size} is not in 2..${MAX_METADATA_BODY_BYTES}` : null),
    () => 'the answer to a metadata request is not a metadata frame',
  );

  push(chunk: Uint8Array): string | null {
    const done = this.reader.push(chunk);
    if (done === null) return null;
    if (done.rest.byteLength > 0) throw new HaProtocolError('handshake', `${done.rest.byteLength} bytes after the metadata frame`);
    return new TextDecoder('utf-8', { fatal: true }).decode(done.body);
  }
}
