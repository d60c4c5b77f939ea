// Client of a node's admin HTTP(S) server, for `mqstore admin` and `mqstore verify --*-addr`.
// Every call has a deadline; failures are AdminErrors with stable codes:
//   ERR_ADMIN_UNREACHABLE   refused / unknown host / reset / no answer before the deadline
//                           (a TLS failure such as an unknown CA included)
//   ERR_ADMIN_REFUSED       the server refused the caller: 401 (token), 403 (Host/Origin), 415
//   ERR_ADMIN_HTTP          the server answered another 4xx/5xx (its own error code and message kept)
//   ERR_ADMIN_BAD_RESPONSE  the answer is not the JSON expected
// A token, when given, goes in `Authorization: Bearer` on every call; POSTs say
// `Content-Type: application/json`. An address `https://host:port` talks TLS (with `ca`, the
// PEM of the CA that signed the node's certificate). Answers are read up to MAX_RESPONSE_BYTES.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AdminError, AdminErrorCode } from './admin-error.js';
import type { NodeStatus } from './node-status.js';

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_ADMIN_TIMEOUT_MS = 5000;

export interface AdminAddress {
  host: string;
  port: number;
  /** Absent: http. */
  scheme?: 'http' | 'https';
}

/** How to call: deadline, bearer token, and the CA of an https node. */
export interface AdminCallOptions {
  timeoutMs?: number;
  token?: string;
  /** PEM of the CA(s) to trust for https (default: the system's). */
  ca?: string;
}

/** `host:port` or `[v6]:port`, optionally after `http://` or `https://`; null when malformed. */
export function parseAdminAddress(text: string): AdminAddress | null {
  const s = /^(https?):\/\/(.*?)\/?$/.exec(text);
  const rest = s ? s[2]! : text;
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(rest) ?? /^([^:\s[\]/]+):(\d{1,5})$/.exec(rest);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return s ? { host: m[1]!, port, scheme: s[1] as 'http' | 'https' } : { host: m[1]!, port };
}

export function formatAdminAddress(a: AdminAddress): string {
  const hostPort = a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  return a.scheme === 'https' ? `https://${hostPort}` : hostPort;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function callOptions(options: number | AdminCallOptions | undefined): Required<Pick<AdminCallOptions, 'timeoutMs'>> & AdminCallOptions {
  const o = typeof options === 'number' ? { timeoutMs: options } : (options ?? {});
  return { ...o, timeoutMs: o.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS };
}

function httpCall(addr: AdminAddress, method: 'GET' | 'POST', path: string, body: unknown, options: AdminCallOptions & { timeoutMs: number }): Promise<HttpAnswer> {
  const where = formatAdminAddress(addr);
  const timeoutMs = options.timeoutMs;
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const target = { host: addr.host, port: addr.port, method, path, headers };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (c: Buffer) => {
        total += c.length;
        if (total > MAX_RESPONSE_BYTES) {
          req.destroy(new AdminError(AdminErrorCode.BAD_RESPONSE, `answer from ${where}${path} is over ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(unreachable(where, err)));
    };
    const req: ClientRequest = addr.scheme === 'https' ? httpsRequest({ ...target, ca: options.ca }, onResponse) : httpRequest(target, onResponse);
    req.setTimeout(timeoutMs, () => req.destroy(new AdminError(AdminErrorCode.UNREACHABLE, `no answer from ${where} within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof AdminError ? err : unreachable(where, err)));
    req.end(payload);
  });
}

function unreachable(where: string, err: Error & { code?: string }): AdminError {
  const why =
    err.code === 'ECONNREFUSED'
      ? 'connection refused (is `mqstore node` running there, with this adminPort?)'
      : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
        ? 'unknown host'
        : /CERT|SIGNATURE|TLS|SSL|EPROTO/.test(err.code ?? '')
          ? `TLS failed (${err.code}: ${err.message}); is --ca-file the CA that signed the node's adminTlsCertFile, and does the address match its name?`
          : `${err.code ?? 'error'}: ${err.message}`;
  return new AdminError(AdminErrorCode.UNREACHABLE, `cannot reach the admin server at ${where}: ${why}`, { cause: err });
}

function parseJson(where: string, answer: HttpAnswer): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch (err) {
    throw new AdminError(AdminErrorCode.BAD_RESPONSE, `answer from ${where} (HTTP ${answer.status}) is not JSON: ${(err as Error).message}`);
  }
  if (answer.status >= 400) {
    const e = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const detail = e ? `${String(e.code)}: ${String(e.message)}` : answer.body.slice(0, 300);
    const refused = answer.status === 401 || answer.status === 403 || answer.status === 415;
    throw new AdminError(refused ? AdminErrorCode.REFUSED : AdminErrorCode.HTTP, `${where} ${refused ? 'refused the request' : 'answered'} HTTP ${answer.status}: ${detail}`);
  }
  return parsed;
}

/** GET /status; `options` is the deadline in ms, or the call options. */
export async function fetchNodeStatus(addr: AdminAddress, options?: number | AdminCallOptions): Promise<NodeStatus> {
  const where = `${formatAdminAddress(addr)}/status`;
  const parsed = parseJson(where, await httpCall(addr, 'GET', '/status', undefined, callOptions(options)));
  const s = parsed as Partial<NodeStatus> | null;
  if (!s || typeof s !== 'object' || typeof s.brokerRole !== 'string' || typeof s.maxPhyOffset !== 'number') {
    throw new AdminError(AdminErrorCode.BAD_RESPONSE, `answer from ${where} is not a node status (no brokerRole / maxPhyOffset)`);
  }
  return s as NodeStatus;
}

/** POST `body` as JSON; `options` is the deadline in ms, or the call options. */
export async function postAdmin(addr: AdminAddress, path: string, body: unknown, options?: number | AdminCallOptions): Promise<unknown> {
  return parseJson(`${formatAdminAddress(addr)}${path}`, await httpCall(addr, 'POST', path, body ?? {}, callOptions(options)));
}

/** GET `path` (with its query string) as JSON; `options` is the deadline in ms, or the call options. */
export async function getAdmin(addr: AdminAddress, path: string, options?: number | AdminCallOptions): Promise<unknown> {
  return parseJson(`${formatAdminAddress(addr)}${path}`, await httpCall(addr, 'GET', path, undefined, callOptions(options)));
}
