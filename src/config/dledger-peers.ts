// The `dLegerPeers` format (RocketMQ / DLedger): `n0-host:port;n1-host:port;n2-host:port`, one
// member per ';'-separated entry, the id before the first '-', the member's DLedger address after
// it. Ids are letters, digits, '_' and '.' (no '-': it separates the id), 1-64 characters.
// Returns the members, or a message saying what is wrong (the caller raises the ConfigError).
import { parseHostPort, type HostPort } from './value-formats.js';

export interface DLedgerPeer {
  readonly id: string;
  readonly address: HostPort;
  /** `host:port` as written. */
  readonly addressText: string;
}

export const DLEDGER_ID = /^[A-Za-z0-9_.]{1,64}$/;
/** Static membership of 3 or 5 (quorum 2 or 3). */
export const DLEDGER_MEMBER_COUNTS: readonly number[] = [3, 5];

export function parseDLedgerPeers(value: string): DLedgerPeer[] | string {
  const entries = value.trim().split(';');
  if (entries.length > 1 && entries[entries.length - 1]!.trim() === '') entries.pop();
  const peers: DLedgerPeer[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const dash = entry.indexOf('-');
    if (dash <= 0) return `entry ${JSON.stringify(entry)} is not id-host:port`;
    const id = entry.slice(0, dash);
    const addressText = entry.slice(dash + 1);
    if (!DLEDGER_ID.test(id)) return `member id ${JSON.stringify(id)} is not 1-64 of [A-Za-z0-9_.]`;
    const address = parseHostPort(addressText);
    if (address === undefined) return `member ${id}: address ${JSON.stringify(addressText)} is not host:port (port 1-65535)`;
    if (peers.some((p) => p.id === id)) return `member id ${id} appears twice`;
    const same = peers.find((p) => p.address.host === address.host && p.address.port === address.port);
    if (same) return `members ${same.id} and ${id} have the same address ${addressText}`;
    peers.push({ id, address, addressText });
  }
  return peers;
}
