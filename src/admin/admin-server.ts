// The node's admin HTTP(S) server (node:http, or node:https with a certificate), bound to
// 127.0.0.1 unless told otherwise.
//
// | method | path            | access | answer                                                  |
// |--------|-----------------|--------|---------------------------------------------------------|
// | GET    | /status         | read   | 200 NodeStatus JSON (node-status.ts)                    |
// | GET    | /metrics        | read   | 200 Prometheus text (private registry, metrics/node-metrics.ts) |
// | POST   | /admin/promote  | write  | 200 {promoted, brokerRole, result}; 501 when the HA service cannot promote |
// | POST   | /admin/put      | write  | only when `put` handler given (mqstore node --enable-admin-put) |
// | GET    | /admin/get      | write  | only when `get` handler given (same flag): message bodies, so the token's rule for writes |
// | other method on a known path |  | 405 JSON error with an Allow header                     |
// | unknown path    |        |        | 404 JSON error                                          |
// Every request first passes admin-access.ts, by its method: GET is a read, anything else a
// write (so a new POST route such as transferLeader can never be unauthenticated); a GET route
// may ask for the write rule (/admin/get hands out message bodies), never the other way round:
//   403 ERR_ADMIN_FORBIDDEN     Host not this server, or a foreign Origin
//   401 ERR_ADMIN_UNAUTHORIZED  token missing or wrong (WWW-Authenticate: Bearer)
// then a write must say `Content-Type: application/json` (415 ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE:
// no HTML form or `text/plain` fetch from a browser can reach a route). A refused request's body
// is never read and its route never runs, so it changes nothing; the answer closes the
// connection. Refusals are logged, throttled (the first REFUSAL_LOG_FIRST, then every
// REFUSAL_LOG_EVERY-th with the count).
// Errors are `{"error":{"code":"ERR_ADMIN_...","message":"..."}}`. A handler that throws gives
// 500 with its code (if it has one) and is logged.
//
// Bounds: request bodies are kept up to MAX_BODY_BYTES (413 beyond; at once when Content-Length
// says so), requests time out after REQUEST_TIMEOUT_MS (headers after HEADERS_TIMEOUT_MS), at
// most MAX_CONNECTIONS sockets are open at once; close() ends idle and active connections so a
// node shuts down promptly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';
import { accessCheck, type AccessCheck, type AdminAccessOptions, type RouteAccess } from './admin-access.js';

export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;
const REFUSAL_LOG_FIRST = 20;
const REFUSAL_LOG_EVERY = 1000;
const JSON_CONTENT_TYPE = /^application\/json[ \t]*(;|$)/i;

/** A handler's answer: JSON (any value) or text with its content type; extra headers optional. */
export type AdminReply = ({ status: number; json: unknown } | { status: number; text: string; contentType: string }) & { headers?: Record<string, string> };

export interface AdminRoutes {
  status(): AdminReply | Promise<AdminReply>;
  metrics(): AdminReply | Promise<AdminReply>;
  promote(body: unknown): Promise<AdminReply>;
  /** Absent unless the node enables the put endpoint. */
  put?: (body: unknown) => Promise<AdminReply>;
  /** GET /admin/get with the request's query parameters; absent unless enabled (with put). */
  get?: (query: URLSearchParams) => Promise<AdminReply>;
}

export interface AdminServerOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
  routes: AdminRoutes;
  logger: Logger;
  /** Who may call. Default: no token (writes unauthenticated), reads open; the Host and Origin
   * checks apply in every case. */
  access?: AdminAccessOptions;
  /** Serve HTTPS with this certificate chain and private key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
  close(): Promise<void>;
}

export function jsonError(status: number, code: string, message: string): AdminReply {
  return { status, json: { error: { code, message } } };
}

interface ServerContext {
  options: AdminServerOptions;
  table: Map<string, Route>;
  /** Set once the port is known (before the first request is accepted). */
  access: AccessCheck | null;
  refusals: number;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const scheme = options.tls ? 'https' : 'http';
  const ctx: ServerContext = { options, table: routeTable(options.routes), access: null, refusals: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res, ctx).catch((err: Error) => {
      options.logger.error(`admin: ${req.method} ${req.url} failed while answering: ${err.stack ?? err.message}`);
      res.destroy(err);
    });
  };
  const httpOptions = { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS };
  const server: Server = options.tls ? createHttpsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key }, onRequest) : createServer(httpOptions, onRequest);
  server.maxConnections = MAX_CONNECTIONS;
  await listen(server, host, options.port);
  const port = (server.address() as AddressInfo).port;
  ctx.access = accessCheck(options.access ?? { token: null, readAuth: 'open' }, { host, port, scheme });
  const auth = options.access?.token ? `token for writes${options.access.readAuth === 'token' ? ' and reads' : ''}` : 'no token';
  options.logger.info(`admin server on ${scheme}://${host.includes(':') ? `[${host}]` : host}:${port} (/status, /metrics; ${auth})`);
  return {
    host,
    port,
    scheme,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

interface Route {
  method: 'GET' | 'POST';
  run: (body: unknown, query: URLSearchParams) => AdminReply | Promise<AdminReply>;
  /** 'write': this GET route needs what a write needs (a route can only tighten its method's rule). */
  access?: 'write';
}

/** GET (and HEAD) only read, unless the route asks for the write rule; every other method is a write. */
function accessOf(method: string | undefined, route: Route | undefined): RouteAccess {
  return (method === 'GET' || method === 'HEAD') && route?.access !== 'write' ? 'read' : 'write';
}

function routeTable(routes: AdminRoutes): Map<string, Route> {
  const table = new Map<string, Route>([
    ['/status', { method: 'GET', run: () => routes.status() }],
    ['/metrics', { method: 'GET', run: () => routes.metrics() }],
    ['/admin/promote', { method: 'POST', run: (body) => routes.promote(body) }],
  ]);
  const put = routes.put;
  if (put) table.set('/admin/put', { method: 'POST', run: (body) => put(body) });
  const get = routes.get;
  if (get) table.set('/admin/get', { method: 'GET', run: (_body, query) => get(query), access: 'write' });
  return table;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const path = url.pathname;
  const route = ctx.table.get(path);
  const refusal = accessRefusal(req, route, ctx) ?? routeRefusal(req, path, route);
  if (refusal !== null) {
    if (refusal.status !== 404 && refusal.status !== 405) logRefusal(req, path, refusal, ctx);
    // the body of a refused request is never read; the connection ends with the answer
    res.setHeader('Connection', 'close');
    send(res, refusal);
    return;
  }
  const body = route!.method === 'POST' ? await readJsonBody(req) : undefined;
  send(res, body instanceof BodyProblem ? jsonError(body.status, body.code, body.message) : await runRoute(route!, body, url.searchParams, path, ctx.options.logger));
}

/** 403 (Host, Origin) or 401 (token), by the request's method; null when it may go on. */
function accessRefusal(req: IncomingMessage, route: Route | undefined, ctx: ServerContext): AdminReply | null {
  const denied = ctx.access!.check(req, accessOf(req.method, route));
  return denied ? { ...jsonError(denied.status, denied.code, denied.message), headers: denied.headers } : null;
}

/** 404, 405 (with Allow), 415 (a POST that is not JSON), 413 (by Content-Length), or null. */
function routeRefusal(req: IncomingMessage, path: string, route: Route | undefined): AdminReply | null {
  if (!route) return jsonError(404, 'ERR_ADMIN_NOT_FOUND', `no such admin path '${path}'; paths: /status, /metrics, /admin/promote`);
  if (req.method !== route.method) {
    return { ...jsonError(405, 'ERR_ADMIN_METHOD_NOT_ALLOWED', `${path} answers ${route.method} only, not ${req.method}`), headers: { Allow: route.method } };
  }
  if (route.method !== 'POST') return null;
  const type = req.headers['content-type'];
  if (!JSON_CONTENT_TYPE.test(type ?? '')) {
    return jsonError(415, 'ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE', `POST ${path} needs Content-Type: application/json${type === undefined ? ' (none given)' : `, not '${type.slice(0, 100)}'`}`);
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > MAX_BODY_BYTES) return jsonError(413, 'ERR_ADMIN_BODY_TOO_LARGE', `request body of ${length} bytes is over ${MAX_BODY_BYTES}`);
  return null;
}

async function runRoute(route: Route, body: unknown, query: URLSearchParams, path: string, logger: Logger): Promise<AdminReply> {
  try {
    return await route.run(body, query);
  } catch (err) {
    const e = err as Error & { code?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'ERR_ADMIN_INTERNAL';
    logger.error(`admin: ${path} failed: ${e.stack ?? e.message}`);
    return jsonError(500, code, e.message);
  }
}

function logRefusal(req: IncomingMessage, path: string, reply: AdminReply, ctx: ServerContext): void {
  ctx.refusals++;
  const n = ctx.refusals;
  if (n > REFUSAL_LOG_FIRST && n % REFUSAL_LOG_EVERY !== 0) return;
  const message = 'json' in reply ? (reply.json as { error: { message: string } }).error.message : '';
  const more = n === REFUSAL_LOG_FIRST ? ` (further refusals are logged every ${REFUSAL_LOG_EVERY}th)` : '';
  ctx.options.logger.warn(`admin: refused ${req.method} ${path.slice(0, 100)} from ${req.socket.remoteAddress ?? '?'} with ${reply.status} (refusal #${n}): ${message}${more}`);
}

function send(res: ServerResponse, reply: AdminReply): void {
  res.statusCode = reply.status;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if ('json' in reply) {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(`${JSON.stringify(reply.json)}\n`);
  } else {
    res.setHeader('Content-Type', reply.contentType);
    res.end(reply.text);
  }
}

class BodyProblem {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

/** The request body parsed as JSON ({} when empty), or a BodyProblem. Past MAX_BODY_BYTES the
 * rest is read and dropped (bounded in time by requestTimeout) so the 413 answer gets through. */
function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (total > MAX_BODY_BYTES) {
        resolve(new BodyProblem(413, 'ERR_ADMIN_BODY_TOO_LARGE', `request body of ${total} bytes is over ${MAX_BODY_BYTES}`));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (err) {
        resolve(new BodyProblem(400, 'ERR_ADMIN_BAD_REQUEST', `request body is not JSON: ${(err as Error).message}`));
      }
    });
  });
}
