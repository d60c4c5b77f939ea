// `mqstore node` child processes for the benchmarks: the compiled CLI (dist/src/cli/main.js, the
// bench runs from dist/), started from a .properties file; resolves once its JSON ready line
// arrived (with the admin port). Stop = SIGTERM (SIGKILL after a bound); kill = any signal, waits
// for the exit. JSON to and from the admin port over a keep-alive agent (loopback only).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly adminPort: number;
  /** SIGTERM, SIGKILL after STOP_TIMEOUT_MS; resolves on exit. */
  stop(): Promise<void>;
  /** Send `signal` and wait for the exit (SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Write a .properties file (one key=value per line). */
export function writeProperties(file: string, props: Record<string, string | number | boolean>): string {
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return file;
}

export async function spawnNodeProcess(propsFile: string, extraArgs: readonly string[] = []): Promise<NodeProcess> {
  const child = spawn(process.execPath, [cliEntry(), 'node', '-c', propsFile, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const adminPort = await readyPort(child);
    return { child, adminPort, stop: () => stopChild(child), kill: (signal = 'SIGKILL') => killChild(child, signal) };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function cliEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return join(here, '..', '..', '..', 'src', 'cli', 'main.js'); // dist/bench/lib -> dist/src/cli
}

function readyPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mqstore node not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mqstore node exited (${code}) before it was ready`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const ready = JSON.parse(line) as { ready?: boolean; adminPort?: number };
      if (ready.ready && typeof ready.adminPort === 'number') resolve(ready.adminPort);
      else reject(new Error(`unexpected first line from mqstore node: ${line}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function stopChild(child: ChildProcess): Promise<void> {
  const done = exited(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  child.kill('SIGTERM');
  return done.finally(() => clearTimeout(timer));
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const done = exited(child);
  child.kill(signal);
  return done;
}

/** GET a JSON document from an admin port. */
export function getJson<T = unknown>(port: number, path: string): Promise<T> {
  return call<T>(port, 'GET', path, null).then((r) => r.json);
}

/** POST a JSON body to an admin port; answers the HTTP status and the JSON reply. */
export function postJson<T = unknown>(port: number, path: string, body: unknown): Promise<{ status: number; json: T }> {
  return call<T>(port, 'POST', path, JSON.stringify(body));
}

function call<T>(port: number, method: string, path: string, body: string | null): Promise<{ status: number; json: T }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, timeout: REQUEST_TIMEOUT_MS, headers: body === null ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as T });
        } catch (err) {
          reject(new Error(`${method} ${path}: not JSON (${(err as Error).message}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (body !== null) req.write(body);
    req.end();
  });
}
