// The value of adminAllowedHosts: a comma-separated list of the names a client may put in the
// Host header of an admin request besides the bind address itself (a DNS name of the node, a
// proxy's name). Each entry is `name`, `name:port`, `[v6]` or `[v6]:port`; without a port the
// admin port is meant. Names are compared case-insensitively, so they are kept lower-cased.
import { ipVersion } from '../util/ip-address.js';
import { isHost } from './value-formats.js';

export interface AllowedHost {
  /** Lower-cased; an IPv6 address without brackets. */
  readonly host: string;
  /** null: the port the admin server listens on. */
  readonly port: number | null;
}

/** The entries, or undefined when any entry is malformed (or the list is empty). */
export function parseHostList(value: string): AllowedHost[] | undefined {
  const entries = value.split(',').map((e) => e.trim());
  if (entries.length === 0 || entries.length > 64) return undefined;
  const out: AllowedHost[] = [];
  for (const entry of entries) {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(entry);
    if (m === null) return undefined;
    const host = (m[1] ?? m[2] ?? '').toLowerCase();
    if (m[1] !== undefined ? ipVersion(host) !== 6 : !isHost(host)) return undefined;
    const port = m[3] === undefined ? null : Number(m[3]);
    if (port !== null && (port < 1 || port > 65_535)) return undefined;
    out.push({ host, port });
  }
  return out;
}
