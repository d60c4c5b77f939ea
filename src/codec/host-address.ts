// Socket addresses as stored in a record (BORNHOST, STOREHOST) and in the offsetMsgId:
//
// | off | field   | width                      |
// |-----|---------|----------------------------|
// |   0 | address | 4 (IPv4) or 16 (IPv6) bytes |
// | 4/16| port    | int32                      |
//
// The address width alone says IPv4 or IPv6; the record's SYSFLAG bits are derived from it.
import { writeInt32 } from './bytes-be.js';

export interface HostAddress {
  /** 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
  readonly address: Uint8Array;
  readonly port: number;
}

export const IPV4_ADDRESS_BYTES = 4;
export const IPV6_ADDRESS_BYTES = 16;
const MAX_PORT = 65535;

/** Why `host` cannot be stored, or null when it can. `what` names the field in the reason. */
export function checkHostAddress(host: HostAddress | undefined, what: string): string | null {
  if (host === undefined || host === null || !(host.address instanceof Uint8Array)) {
    return `${what} has no address bytes`;
  }
  const length = host.address.length;
  if (length !== IPV4_ADDRESS_BYTES && length !== IPV6_ADDRESS_BYTES) {
    return `${what} address is ${length} bytes; expected 4 (IPv4) or 16 (IPv6)`;
  }
  if (!Number.isInteger(host.port) || host.port < 0 || host.port > MAX_PORT) {
    return `${what} port ${host.port} is not an integer in 0..${MAX_PORT}`;
  }
  return null;
}

export function isIpv6(host: HostAddress): boolean {
  return host.address.length === IPV6_ADDRESS_BYTES;
}

/** Bytes the host takes in a record: address + int32 port. */
export function hostFieldBytes(host: HostAddress): number {
  return host.address.length + 4;
}

/** Writes address + port at `position`; returns the position after it. */
export function writeHost(target: Uint8Array, position: number, host: HostAddress): number {
  const address = host.address;
  const length = address.length;
  for (let i = 0; i < length; i++) target[position + i] = address[i]!;
  writeInt32(target, position + length, host.port);
  return position + length + 4;
}
