// Runs `mqstore node` as a real process from source (node --import tsx src/cli/main.ts node ...),
// waits for its JSON ready line (event-driven, with a deadline), and stops it with a signal,
// waiting for the exit event. Every process started here is SIGKILLed after the test file if a
// test left it running. Also: the CLI run to completion (runCli, optionally with extra
// environment variables) and a small HTTP GET/POST (with a bearer token or any headers).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';

export interface ReadyLine {
  ready: true;
  pid: number;
  adminPort: number;
  adminScheme: 'http' | 'https';
  haPort: number | null;
  /** The gRPC MessagingService port (`mqstore node` always serves it). */
  grpcPort: number | null;
  brokerRole: string;
  brokerName: string;
  brokerId: number;
  storePathRootDir: string;
  haService: 'running' | 'none';
}

export interface RunningNode {
  child: ChildProcess;
  ready: ReadyLine;
  adminAddr: string;
  stderr(): string;
  /** Send `signal` and resolve with the exit code once the process exits (deadline: timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

const MAX_CAPTURE_CHARS = 1_000_000;
const started = new Set<ChildProcess>();

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Write a .properties file of `props` into `dir` and return its path. */
export function writeProperties(dir: string, name: string, props: Record<string, string | number | boolean>): string {
  const path = join(dir, name);
  writeFileSync(path, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
  return path;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function withDeadline<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export async function startNode(configFile: string, extraArgs: string[] = [], timeoutMs = 20_000): Promise<RunningNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'node', '-c', configFile, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (err.length < MAX_CAPTURE_CHARS) err += d;
  });
  const lines = createInterface({ input: child.stdout! });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`mqstore node exited with ${code} before its ready line; stderr:\n${err}`)));
  });
  const line = await withDeadline(firstLine, timeoutMs, `ready line of mqstore node (stderr so far:\n${err})`);
  const ready = JSON.parse(line) as ReadyLine;
  return {
    child,
    ready,
    adminAddr: `127.0.0.1:${ready.adminPort}`,
    stderr: () => err,
    stop: async (signal = 'SIGTERM', stopTimeoutMs = 20_000) => {
      const done = exited(child);
      child.kill(signal);
      return withDeadline(done, stopTimeoutMs, `mqstore node to exit after ${signal}`);
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to completion (async, so the test process keeps serving its own event loop). */
export async function runCli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await withDeadline(
    new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c))),
    timeoutMs,
    `mqstore ${args.join(' ')}`,
  );
  return { code, stdout, stderr };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Extra request headers, or a bearer token (the node's adminTokenFile content). */
export interface HttpOptions {
  timeoutMs?: number;
  token?: string;
  headers?: Record<string, string>;
}

/** One request; a POST says `Content-Type: application/json` unless `headers` says otherwise. */
export function http(addr: string, method: string, path: string, body?: unknown, options: number | HttpOptions = {}): Promise<HttpAnswer> {
  const { timeoutMs = 10_000, token, headers = {} } = typeof options === 'number' ? { timeoutMs: options } : options;
  const [host, port] = addr.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const sent: Record<string, string> = { ...(payload !== undefined || method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers };
    if (token !== undefined) sent.authorization = `Bearer ${token}`;
    const req = request({ host, port: Number(port), method, path, headers: sent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${addr}${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function getJson<T>(addr: string, path: string, options: HttpOptions = {}): Promise<T> {
  const r = await http(addr, 'GET', path, undefined, options);
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}: ${r.body}`);
  return JSON.parse(r.body) as T;
}

/** Ask `probe` until it returns true; each round is one request (no sleeps), bounded by a deadline. */
export async function pollUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let round = 0; round < 1_000_000; round++) {
    if (await probe()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for: ${what}`);
}

/** Properties of a small test store (node IO backend, small segments, all ports picked by the OS). */
export function smallNodeProps(storeDir: string, overrides: Record<string, string | number | boolean> = {}): Record<string, string | number | boolean> {
  return {
    brokerClusterName: 'TestCluster',
    brokerName: 'broker-t',
    brokerRole: 'ASYNC_MASTER',
    brokerId: 0,
    listenPort: 0,
    storePathRootDir: storeDir,
    ioBackend: 'node',
    mappedFileSizeCommitLog: 73_728,
    maxMessageSize: 4096,
    commitIntervalCommitLog: 2,
    flushIntervalCommitLog: 5,
    logLevel: 'warn',
    ...overrides,
  };
}
