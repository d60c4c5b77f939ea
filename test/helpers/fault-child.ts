// Parent side of test/helpers/fault-writer.ts: spawns the writer (optionally under a wrapper
// such as fiu-run), parses its stdout protocol, and lets a test wait for a condition on it
// with a deadline (never a sleep), kill it, and collect everything it reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Ack } from './fault-verify.js';
import type { WriterConfig } from './fault-writer.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRITER = fileURLToPath(new URL('./fault-writer.ts', import.meta.url));
const STDERR_TAIL_LINES = 60;

export interface Nack {
  seq: number;
  status: string;
  physicalOffset: number;
  wroteBytes: number;
  reason: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Waiter {
  check: () => boolean;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

export class WriterProcess {
  readonly acks: Ack[] = [];
  readonly nacks: Nack[] = [];
  opened: Record<string, unknown> | null = null;
  verify: { problems: string[]; records: number; acked: number } | null = null;
  failure: Record<string, unknown> | null = null;
  end: Record<string, unknown> | null = null;
  closeOutcome: { ok: boolean; error?: string; ms: number } | null = null;
  exit: ExitInfo | null = null;
  /** The highest flushed position the writer reported (P lines), -1 before any. */
  flushedReported = -1;
  readonly stderrTail: string[] = [];
  readonly child: ChildProcess;
  private readonly waiters = new Set<Waiter>();
  private readonly closed: Promise<ExitInfo>;
  private partial = '';

  constructor(config: WriterConfig, options: { wrapper?: string[]; env?: NodeJS.ProcessEnv } = {}) {
    const argv = [process.execPath, '--import', 'tsx', WRITER, JSON.stringify(config)];
    const [cmd, ...args] = [...(options.wrapper ?? []), ...argv];
    const stdin = config.stopOnStdin ? 'pipe' : 'ignore';
    this.child = spawn(cmd!, args, { cwd: REPO_ROOT, env: { ...process.env, ...options.env }, stdio: [stdin, 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) this.stderrTail.push(line);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
    });
    // 'close' comes after the exit AND the end of stdout/stderr: every line the child wrote is parsed.
    this.closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.settleWaiters();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolve when `check()` holds; reject if the child exits first or the deadline passes. */
  waitFor(what: string, check: () => boolean, deadlineMs: number): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.exit) return Promise.reject(this.exitedError(what));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve,
        reject,
        what,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`writer ${this.pid}: no ${what} within ${deadlineMs} ms (acks ${this.acks.length})\n${this.describe()}`));
        }, deadlineMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Wait for `n` acks; fails fast if the store reports a failure (F) before that: no fault
   * has been injected yet, so a failure then is a bug of its own. */
  async waitForAcks(n: number, deadlineMs: number, also: () => boolean = () => true): Promise<void> {
    await this.waitFor(`${n} acks`, () => this.failure !== null || (this.acks.length >= n && also()), deadlineMs);
    if (this.failure !== null) {
      throw new Error(`writer ${this.pid}: the store failed before any fault was injected: ${JSON.stringify(this.failure)}\n${this.describe()}`);
    }
  }

  /** Ask a writer started with stopOnStdin to end its run (it then reports E, and C). */
  requestStop(): void {
    this.child.stdin?.end('stop\n');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exit && this.child.pid !== undefined) this.child.kill(signal);
  }

  /** Wait for the exit (and all output), killing with SIGKILL at the deadline. */
  async finished(deadlineMs: number): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs);
    });
    const first = await Promise.race([this.closed, late]);
    clearTimeout(timer);
    if (first === 'late') {
      this.kill('SIGKILL');
      await this.closed;
      throw new Error(`writer ${this.pid} did not exit within ${deadlineMs} ms; killed\n${this.describe()}`);
    }
    return first;
  }

  describe(): string {
    return `exit=${JSON.stringify(this.exit)} acks=${this.acks.length} nacks=${this.nacks.length}\nstderr:\n${this.stderrTail.join('\n')}`;
  }

  private exitedError(what: string): Error {
    return new Error(`writer ${this.pid} exited before ${what}\n${this.describe()}`);
  }

  private onData(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
    this.settleWaiters();
  }

  private onLine(line: string): void {
    const tag = line.slice(0, 2);
    const rest = line.slice(2);
    if (tag === 'A ') {
      const [seq, queueId, queueOffset, physicalOffset, wroteBytes] = rest.split(' ').map(Number);
      this.acks.push({ seq: seq!, queueId: queueId!, queueOffset: queueOffset!, physicalOffset: physicalOffset!, wroteBytes: wroteBytes! });
    } else if (tag === 'N ') {
      const [seq, status, physicalOffset, wroteBytes, ...reason] = rest.split(' ');
      this.nacks.push({ seq: Number(seq), status: status!, physicalOffset: Number(physicalOffset), wroteBytes: Number(wroteBytes), reason: JSON.parse(reason.join(' ')) as string });
    } else if (tag === 'P ') this.flushedReported = Math.max(this.flushedReported, Number(rest));
    else if (tag === 'O ') this.opened = JSON.parse(rest) as Record<string, unknown>;
    else if (tag === 'V ') this.verify = JSON.parse(rest) as WriterProcess['verify'];
    else if (tag === 'F ') this.failure = JSON.parse(rest) as Record<string, unknown>;
    else if (tag === 'E ') this.end = JSON.parse(rest) as Record<string, unknown>;
    else if (tag === 'C ') this.closeOutcome = JSON.parse(rest) as WriterProcess['closeOutcome'];
    else if (line.length > 0) {
      this.stderrTail.push(`[stdout] ${line}`);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - STDERR_TAIL_LINES));
    }
  }

  private settleWaiters(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve();
      } else if (this.exit) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.reject(this.exitedError(w.what));
      }
    }
  }
}
