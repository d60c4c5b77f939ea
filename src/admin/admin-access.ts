// Who may use the admin HTTP server: the checks every request passes before its route runs.
//
//   1. Host: the Host header must name this server: the bind address, the localhost names when
//      it is a loopback address, any local interface address when it is a wildcard (0.0.0.0 or
//      ::), or an adminAllowedHosts entry; with the port the server listens on. Else 403. This is
//      the DNS-rebinding defence: a page of attacker.example whose name now resolves to 127.0.0.1
//      still sends `Host: attacker.example`.
//   2. Origin: absent (curl, the mqstore client), or the same scheme://host:port as an allowed
//      Host. Else 403 (a browser page of another site, `Origin: null` included).
//   3. Token: a write (every POST) needs `Authorization: Bearer <token>` when a token is
//      configured; a read (GET) too when readAuth is 'token'. Missing or wrong: 401 with
//      `WWW-Authenticate: Bearer`. The comparison runs over SHA-256 digests with
//      timingSafeEqual, so its time depends on neither the token nor the guess.
// A node without a token (allowed only on a loopback host, or on a trusted network: see
// node/node-admin.ts) lets every write through step 3; steps 1 and 2 always run.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AllowedHost } from '../config/host-list.js';
import { ipVersion } from '../util/ip-address.js';

export type RouteAccess = 'read' | 'write';

export interface AdminAccessOptions {
  /** The bearer token, or null: no token is configured (writes are not authenticated). */
  token: string | null;
  /** Whether GET routes need the token too (only meaningful with a token). */
  readAuth: 'open' | 'token';
  /** Host header names allowed besides the bind address (adminAllowedHosts). */
  allowedHosts?: readonly AllowedHost[];
}

/** Why a request is refused before its route runs. */
export interface AccessRefusal {
  status: 401 | 403;
  code: 'ERR_ADMIN_UNAUTHORIZED' | 'ERR_ADMIN_FORBIDDEN';
  message: string;
  headers: Record<string, string>;
}

export interface AccessCheck {
  /** null when the request may go on to its route. */
  check(req: IncomingMessage, access: RouteAccess): AccessRefusal | null;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** 127.0.0.0/8, ::1, ::ffff:127.x.x.x, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host).toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return ipVersion(v4) === 4 && v4.startsWith('127.');
}

/** 0.0.0.0, :: (every interface). */
export function isWildcardHost(host: string): boolean {
  const h = unbracket(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0' || h === '';
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `name`, `name:port`, `[v6]`, `[v6]:port` -> lower-cased name (no brackets) and port (null: none). */
export function parseHostHeader(value: string): { host: string; port: number | null } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (m === null) return null;
  const host = (m[1] ?? m[2] ?? '').toLowerCase();
  if (m[1] !== undefined && ipVersion(host) !== 6) return null;
  return { host, port: m[3] === undefined ? null : Number(m[3]) };
}

/** The constant-time token check: SHA-256 of both sides, compared with timingSafeEqual. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
  return m ? m[1]! : null;
}

export function accessCheck(options: AdminAccessOptions, bind: { host: string; port: number; scheme: 'http' | 'https' }): AccessCheck {
  const defaultPort = bind.scheme === 'https' ? 443 : 80;
  const bindHost = unbracket(bind.host).toLowerCase();
  const names = new Set<string>([bindHost]);
  if (isLoopbackHost(bindHost)) for (const n of LOOPBACK_NAMES) names.add(n);
  const wildcard = isWildcardHost(bindHost);
  if (wildcard) for (const n of LOOPBACK_NAMES) names.add(n);
  const extra = options.allowedHosts ?? [];

  const nameAllowed = (host: string, port: number): boolean => {
    if (extra.some((e) => e.host === host && (e.port ?? bind.port) === port)) return true;
    if (port !== bind.port) return false;
    if (names.has(host)) return true;
    // a wildcard bind answers on every local address; interfaces can come and go, so look again
    return wildcard && ipVersion(host) !== 0 && localAddresses().has(host);
  };

  const hostRefusal = (req: IncomingMessage): string | null => {
    const raw = req.headers.host;
    if (raw === undefined || raw === '') return 'the request has no Host header';
    const parsed = parseHostHeader(raw);
    if (parsed === null || !nameAllowed(parsed.host, parsed.port ?? defaultPort)) {
      return `Host '${raw.slice(0, 200)}' is not this admin server (${bind.host}:${bind.port}; other names need adminAllowedHosts)`;
    }
    return null;
  };

  const originRefusal = (req: IncomingMessage): string | null => {
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `Origin '${origin.slice(0, 200)}' is not a URL of this admin server`;
    }
    const host = unbracket(url.hostname).toLowerCase();
    const port = url.port === '' ? defaultPort : Number(url.port);
    if (url.protocol !== `${bind.scheme}:` || !nameAllowed(host, port)) return `Origin '${origin.slice(0, 200)}' is not this admin server (cross-site requests are refused)`;
    return null;
  };

  return {
    check: (req, access): AccessRefusal | null => {
      const forbidden = hostRefusal(req) ?? originRefusal(req);
      if (forbidden !== null) return { status: 403, code: 'ERR_ADMIN_FORBIDDEN', message: forbidden, headers: {} as Record<string, string> };
      const token = options.token;
      if (token === null || (access === 'read' && options.readAuth === 'open')) return null;
      const presented = bearerToken(req.headers.authorization);
      if (presented === null) {
        return {
          status: 401,
          code: 'ERR_ADMIN_UNAUTHORIZED',
          message: `${access === 'write' ? 'this request changes state: it needs' : 'reads on this node need'} an "Authorization: Bearer <token>" header (the token in the node's adminTokenFile)`,
          headers: { 'WWW-Authenticate': 'Bearer realm="mqstore-admin"' },
        };
      }
      if (!tokenMatches(presented, token)) {
        return {
          status: 401,
          code: 'ERR_ADMIN_UNAUTHORIZED',
          message: "the bearer token is not this node's (adminTokenFile)",
          headers: { 'WWW-Authenticate': 'Bearer realm="mqstore-admin", error="invalid_token"' },
        };
      }
      return null;
    },
  };
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.toLowerCase());
  return out;
}
