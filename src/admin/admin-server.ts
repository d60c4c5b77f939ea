// The node's admin HTTP server (node:http), bound to 127.0.0.1 unless told otherwise.
//
// | method | path            | answer                                                         |
// |--------|-----------------|----------------------------------------------------------------|
// | GET    | /status         | 200 NodeStatus JSON (node-status.ts)                           |
// | GET    | /metrics        | 200 Prometheus text (private registry, metrics/node-metrics.ts) |
// | POST   | /admin/promote  | 200 {promoted, brokerRole, result}; 501 when the HA service cannot promote |
// | POST   | /admin/put      | only when `put` handler given (mqstore node --enable-admin-put) |
// | other method on a known path | 405 JSON error with an Allow header               |
// | unknown path    |        | 404 JSON error                                                 |
// Errors are `{"error":{"code":"ERR_ADMIN_...","message":"..."}}`. A handler that throws gives
// 500 with its code (if it has one) and is logged.
//
// Bounds: request bodies are kept up to MAX_BODY_BYTES (413 beyond), requests time out after
// REQUEST_TIMEOUT_MS, at most MAX_CONNECTIONS sockets are open at once; close() ends idle and
// active connections so a node shuts down promptly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';

const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_CONNECTIONS = 64;

/** A handler's answer: JSON (any value) or text with its content type. */
export type AdminReply = { status: number; json: unknown } | { status: number; text: string; contentType: string };

export interface AdminRoutes {
  status(): AdminReply | Promise<AdminReply>;
  metrics(): AdminReply | Promise<AdminReply>;
  promote(body: unknown): Promise<AdminReply>;
  /** Absent unless the node enables the put endpoint. */
  put?: (body: unknown) => Promise<AdminReply>;
}

export interface AdminServerOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
  routes: AdminRoutes;
  logger: Logger;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function jsonError(status: number, code: string, message: string): AdminReply {
  return { status, json: { error: { code, message } } };
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    handle(req, res, options).catch((err: Error) => {
      options.logger.error(`admin: ${req.method} ${req.url} failed while answering: ${err.stack ?? err.message}`);
      res.destroy(err);
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  await listen(server, host, options.port);
  const port = (server.address() as AddressInfo).port;
  options.logger.info(`admin HTTP server on http://${host}:${port} (/status, /metrics)`);
  return {
    host,
    port,
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
  run: (body: unknown) => AdminReply | Promise<AdminReply>;
}

function routeTable(routes: AdminRoutes): Map<string, Route> {
  const table = new Map<string, Route>([
    ['/status', { method: 'GET', run: () => routes.status() }],
    ['/metrics', { method: 'GET', run: () => routes.metrics() }],
    ['/admin/promote', { method: 'POST', run: (body) => routes.promote(body) }],
  ]);
  const put = routes.put;
  if (put) table.set('/admin/put', { method: 'POST', run: (body) => put(body) });
  return table;
}

async function handle(req: IncomingMessage, res: ServerResponse, options: AdminServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://admin').pathname;
  const route = routeTable(options.routes).get(path);
  let reply: AdminReply;
  if (!route) {
    reply = jsonError(404, 'ERR_ADMIN_NOT_FOUND', `no such admin path '${path}'; paths: /status, /metrics, /admin/promote`);
  } else if (req.method !== route.method) {
    res.setHeader('Allow', route.method);
    reply = jsonError(405, 'ERR_ADMIN_METHOD_NOT_ALLOWED', `${path} answers ${route.method} only, not ${req.method}`);
  } else {
    const body = route.method === 'POST' ? await readJsonBody(req) : undefined;
    reply = body instanceof BodyProblem ? jsonError(body.status, body.code, body.message) : await runRoute(route, body, path, options.logger);
  }
  send(res, reply);
}

async function runRoute(route: Route, body: unknown, path: string, logger: Logger): Promise<AdminReply> {
  try {
    return await route.run(body);
  } catch (err) {
    const e = err as Error & { code?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'ERR_ADMIN_INTERNAL';
    logger.error(`admin: ${path} failed: ${e.stack ?? e.message}`);
    return jsonError(500, code, e.message);
  }
}

function send(res: ServerResponse, reply: AdminReply): void {
  res.statusCode = reply.status;
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
