// Client of a node's admin HTTP server, for `mqstore admin` and `mqstore verify --*-addr`.
// Every call has a deadline; failures are AdminErrors with stable codes:
//   ERR_ADMIN_UNREACHABLE   refused / unknown host / reset / no answer before the deadline
//   ERR_ADMIN_HTTP          the server answered 4xx/5xx (its own error code and message kept)
//   ERR_ADMIN_BAD_RESPONSE  the answer is not the JSON expected
// Answers are read up to MAX_RESPONSE_BYTES.
import { request } from 'node:http';
import { AdminError, AdminErrorCode } from './admin-error.js';
import type { NodeStatus } from './node-status.js';

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_ADMIN_TIMEOUT_MS = 5000;

export interface AdminAddress {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; null when malformed. */
export function parseAdminAddress(text: string): AdminAddress | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

export function formatAdminAddress(a: AdminAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function httpCall(addr: AdminAddress, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<HttpAnswer> {
  const where = formatAdminAddress(addr);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: addr.host,
        port: addr.port,
        method,
        path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
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
      },
    );
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
    throw new AdminError(AdminErrorCode.HTTP, `${where} answered HTTP ${answer.status}: ${detail}`);
  }
  return parsed;
}

export async function fetchNodeStatus(addr: AdminAddress, timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS): Promise<NodeStatus> {
  const where = `${formatAdminAddress(addr)}/status`;
  const parsed = parseJson(where, await httpCall(addr, 'GET', '/status', undefined, timeoutMs));
  const s = parsed as Partial<NodeStatus> | null;
  if (!s || typeof s !== 'object' || typeof s.brokerRole !== 'string' || typeof s.maxPhyOffset !== 'number') {
    throw new AdminError(AdminErrorCode.BAD_RESPONSE, `answer from ${where} is not a node status (no brokerRole / maxPhyOffset)`);
  }
  return s as NodeStatus;
}

export async function postAdmin(addr: AdminAddress, path: string, body: unknown, timeoutMs = DEFAULT_ADMIN_TIMEOUT_MS): Promise<unknown> {
  return parseJson(`${formatAdminAddress(addr)}${path}`, await httpCall(addr, 'POST', path, body, timeoutMs));
}
