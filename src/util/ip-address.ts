// Whether a string is an IPv4 or IPv6 address (the same answer as node:net's isIP, without the
// network module: config validation sits below the network room). IPv4: four decimal octets
// 0-255 without leading zeros. IPv6: up to eight groups of 1-4 hex digits with at most one '::',
// optionally ending in an IPv4 address, optionally with a %zone suffix.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[0-9A-Za-z._~-]+$/;

/** 4, 6, or 0 when `text` is neither. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  return isIpv6(text) ? 6 : 0;
}

function isIpv6(text: string): boolean {
  const percent = text.indexOf('%');
  const address = percent >= 0 ? text.slice(0, percent) : text;
  if (percent >= 0 && !ZONE.test(text.slice(percent + 1))) return false;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] | null => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return false;
  const all = [...head, ...tail];
  let slots = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false;
    all.pop();
    slots += 1; // an IPv4 tail fills two groups
  }
  if (!all.every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 2 ? slots <= 7 : slots === 8;
}

/** localhost (and *.localhost), 127.0.0.0/8, ::1 and ::ffff:127.x, with or without [brackets]. */
export function isLoopbackHost(host: string): boolean {
  const h = unbracketHost(host.trim()).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (ipVersion(h) === 4) return h.startsWith('127.');
  if (ipVersion(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** 0.0.0.0, :: or the empty host: every interface. */
export function isWildcardHost(host: string): boolean {
  const h = unbracketHost(host.trim());
  return h === '' || h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** `[v6]` -> `v6`; anything else as it is. */
export function unbracketHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
