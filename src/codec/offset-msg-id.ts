// The "offsetMsgId" RocketMQ returns to producers: upper-case hex of
//
// | off  | field            | width                       |
// |------|------------------|-----------------------------|
// |    0 | store address    | 4 (IPv4) / 16 (IPv6) bytes  |
// | 4/16 | store port       | int32                       |
// | 8/20 | physical offset  | int64                       |
//
// = 32 hex chars for IPv4, 56 for IPv6. parseOffsetMsgId never throws on user input.
import { readInt32, readInt64, writeInt32, writeInt64 } from './bytes-be.js';
import { IPV4_ADDRESS_BYTES, IPV6_ADDRESS_BYTES, type HostAddress } from './host-address.js';

const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).toUpperCase().padStart(2, '0'),
);
const MAX_ID_BYTES = IPV6_ADDRESS_BYTES + 4 + 8;
const scratch = new Uint8Array(MAX_ID_BYTES);

// One-entry memo of the host part (address and port): the messages one store reads back mostly
// share their store host, so only the offset's 16 hex digits are built per message.
let lastHostBytes = new Uint8Array(0);
let lastHostPrefix = '';

function hostPrefix(storeHost: HostAddress): string {
  const addressBytes = storeHost.address.length;
  scratch.set(storeHost.address, 0);
  writeInt32(scratch, addressBytes, storeHost.port);
  const hostBytes = addressBytes + 4;
  if (hostBytes === lastHostBytes.length) {
    let same = true;
    for (let i = 0; i < hostBytes && same; i++) same = scratch[i] === lastHostBytes[i];
    if (same) return lastHostPrefix;
  }
  let prefix = '';
  for (let i = 0; i < hostBytes; i++) prefix += HEX_PAIRS[scratch[i]!]!;
  lastHostBytes = scratch.slice(0, hostBytes);
  lastHostPrefix = prefix;
  return prefix;
}

export function offsetMsgId(storeHost: HostAddress, physicalOffset: number): string {
  let id = hostPrefix(storeHost);
  writeInt64(scratch, 0, physicalOffset);
  for (let i = 0; i < 8; i++) id += HEX_PAIRS[scratch[i]!]!;
  return id;
}

export interface ParsedOffsetMsgId {
  readonly storeHost: HostAddress;
  readonly physicalOffset: number;
}

const HEX_ID = /^[0-9A-Fa-f]+$/;

/** The store host and physical offset in an offsetMsgId, or null if it is not one we can represent. */
export function parseOffsetMsgId(id: string): ParsedOffsetMsgId | null {
  if (typeof id !== 'string') return null;
  const byteCount = id.length / 2;
  if (byteCount !== IPV4_ADDRESS_BYTES + 12 && byteCount !== IPV6_ADDRESS_BYTES + 12) return null;
  if (!HEX_ID.test(id)) return null;
  const bytes = Uint8Array.from(Buffer.from(id, 'hex'));
  const addressBytes = byteCount - 12;
  const port = readInt32(bytes, addressBytes);
  const physicalOffset = readInt64(bytes, addressBytes + 4);
  if (port < 0 || port > 65535 || !Number.isSafeInteger(physicalOffset) || physicalOffset < 0) return null;
  return { storeHost: { address: bytes.slice(0, addressBytes), port }, physicalOffset };
}
