// Progress lines for long verifications, on stderr: at most one per intervalMs while running,
// and a final one. Enabled for logs of at least PROGRESS_MIN_BYTES, or when asked (--progress).
export const PROGRESS_MIN_BYTES = 256 << 20;

export interface Progress {
  update(doneBytes: number, totalBytes: number): void;
  /** The last line, with how it ended ("done", "stopped at the first difference"). */
  finish(doneBytes: number, totalBytes: number, how: string): void;
}

export function progressReporter(enabled: boolean, write: (line: string) => void, intervalMs = 1000): Progress {
  const started = performance.now();
  let last = started;
  const line = (done: number, total: number): string => {
    const seconds = Math.max(1e-3, (performance.now() - started) / 1000);
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
    return `verify: ${mib(done)} / ${mib(total)} MiB (${pct}%), ${(done / 2 ** 20 / seconds).toFixed(0)} MiB/s`;
  };
  return {
    update(done, total) {
      if (!enabled) return;
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      write(line(done, total));
    },
    finish(done, total, how) {
      if (enabled) write(`${line(done, total)}, ${how}`);
    },
  };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
