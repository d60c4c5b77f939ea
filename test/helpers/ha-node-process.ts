// Parent side of ha-node-main.ts (this folder) for HA process tests: spawns a store node (optionally
// under a command prefix such as `ip netns exec <ns>`), waits for its ready line, sends stdin
// commands and awaits their JSON answers (in order, each with a deadline), sends signals, and
// keeps a tail of its stderr for failure messages and log checks.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('./ha-node-main.ts', import.meta.url));
const STDERR_TAIL_LINES = 200;

/** Segment size of the HA process tests' stores (small: segments roll within a test). */
export const NODE_SEGMENT_BYTES = 256 * 1024;
/** Store settings the HA process tests share: small segments, short HA periods, commits at once. */
export const NODE_STORE_BASE = {
  mappedFileSizeCommitLog: NODE_SEGMENT_BYTES,
  maxMessageSize: 4096,
  listenPort: 0, // haListenPort follows: any free port
  haTransferBatchSize: 16 * 1024,
  haSendHeartbeatInterval: 500,
  commitIntervalCommitLog: 2,
  commitCommitLogLeastPages: 0,
  logLevel: 'info',
};

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Pending {
  what: string;
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class HaNodeProcess {
  readonly child: ChildProcess;
  readonly stderrTail: string[] = [];
  readonly ready: Promise<Json>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly queue: Pending[] = [];
  private partial = '';

  constructor(
    readonly name: string,
    args: { store: Record<string, unknown>; ha?: Record<string, unknown> },
    readyDeadlineMs = 20_000,
    /** Command prefix the node runs under, e.g. ['ip', 'netns', 'exec', ns]; empty: run node directly. */
    wrap: readonly string[] = [],
  ) {
    const [command, ...prefixArgs] = [...wrap, process.execPath];
    this.child = spawn(command, [...prefixArgs, '--import', 'tsx', MAIN, JSON.stringify(args)], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) this.stderrTail.push(line);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
    });
    // EPIPE after the child died: the exit itself is reported through 'close'
    this.child.stdin!.on('error', (err) => this.stderrTail.push(`(stdin) ${err.message}`));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        for (const p of this.queue.splice(0)) {
          clearTimeout(p.timer);
          p.reject(new Error(`${this.name} exited (${code ?? signal}) before answering '${p.what}'\n${this.tail()}`));
        }
        resolve(this.exit);
      });
    });
    this.ready = this.expectLine('ready line', readyDeadlineMs);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Send one command line; resolve with its JSON answer. */
  command(line: string, deadlineMs = 20_000): Promise<Json> {
    const answer = this.expectLine(line, deadlineMs);
    this.child.stdin!.write(`${line}\n`);
    return answer;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit === null) this.child.kill(sig);
  }

  /** Close through the 'close' command (clean shutdown), with a deadline. */
  async close(deadlineMs = 20_000): Promise<void> {
    if (this.exit !== null) return;
    await this.command('close', deadlineMs);
    await this.waitExit(deadlineMs);
  }

  /** Wait for exit with a deadline; SIGKILL if it passes (and fail). */
  async waitExit(deadlineMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        reject(new Error(`${this.name} did not exit within ${deadlineMs} ms\n${this.tail()}`));
      }, deadlineMs);
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Best-effort cleanup for afterAll/finally: SIGCONT + SIGKILL, then wait for the exit. */
  async destroy(): Promise<void> {
    if (this.exit !== null) return;
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.waitExit(10_000).catch((err: Error) => this.stderrTail.push(`(destroy) ${err.message}`));
  }

  logged(text: string): boolean {
    return this.stderrTail.some((l) => l.includes(text));
  }

  /** Resolve once a stderr line holds `text`. Log lines (stderr) and answers (stdout) travel in
   * separate pipes: a line written before an answer may still arrive after it. */
  waitLogged(text: string, deadlineMs = 10_000): Promise<void> {
    if (this.logged(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err: Error | null): void => {
        clearTimeout(timer);
        this.child.stderr!.off('data', check);
        this.child.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      // after the tail's own listener (registered first) has taken the chunk in
      const check = (): void => {
        if (this.logged(text)) done(null);
      };
      const onClose = (): void => done(this.logged(text) ? null : new Error(`${this.name} exited without logging '${text}'\n${this.tail()}`));
      const timer = setTimeout(() => done(new Error(`${this.name} did not log '${text}' within ${deadlineMs} ms\n${this.tail()}`)), deadlineMs);
      this.child.stderr!.on('data', check);
      this.child.once('close', onClose);
    });
  }

  tail(): string {
    return `--- ${this.name} stderr tail ---\n${this.stderrTail.slice(-40).join('\n')}`;
  }

  private expectLine(what: string, deadlineMs: number): Promise<Json> {
    if (this.exit !== null) return Promise.reject(new Error(`${this.name} has exited; cannot answer '${what}'\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        what,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new Error(`${this.name}: no answer to '${what}' within ${deadlineMs} ms\n${this.tail()}`));
        }, deadlineMs),
      };
      this.queue.push(entry);
    });
  }

  private onStdout(chunk: string): void {
    this.partial += chunk;
    for (let nl = this.partial.indexOf('\n'); nl >= 0; nl = this.partial.indexOf('\n')) {
      const line = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      if (!line.trim()) continue;
      const p = this.queue.shift();
      if (!p) {
        this.stderrTail.push(`(unexpected stdout) ${line}`);
        continue;
      }
      clearTimeout(p.timer);
      try {
        const value = JSON.parse(line) as Json;
        if (typeof value.error === 'string') p.reject(new Error(`${this.name} '${p.what}' failed: ${value.error}`));
        else p.resolve(value);
      } catch (err) {
        p.reject(new Error(`${this.name}: '${p.what}' answered a non-JSON line: ${line} (${(err as Error).message})`));
      }
    }
  }
}

/** Poll a node's `status` until `check` holds (each command has its own deadline). */
export async function waitStatus(node: HaNodeProcess, check: (s: Json) => boolean, what: string, deadlineMs = 20_000): Promise<Json> {
  const deadline = performance.now() + deadlineMs;
  for (let round = 0; round < 1_000_000; round++) {
    const s = await node.command('status', Math.max(1000, deadline - performance.now()));
    if (check(s)) return s;
    if (performance.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${node.name}: ${what}; last status ${JSON.stringify(s)}`);
  }
  throw new Error(`gave up waiting for ${node.name}: ${what}`);
}
