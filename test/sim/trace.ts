// The simulator's trace: readable lines stamped with simulated time, kept in a bounded ring (the
// last `limit` lines) and optionally streamed to a sink as they happen (replay of one seed).
//
// Invariants:
//   - a line holds only simulated facts (simulated time, host names, byte counts, seeds), never
//     wall time or object identities, so one seed always gives the same trace, line for line;
//   - memory is bounded: at most `limit` lines are kept; `total` counts all that were written;
//   - a running FNV-1a hash over every line ever written (not only the kept ones) lets tests
//     compare whole runs cheaply; lines are formatted only when printed.

export interface TraceOptions {
  /** Lines kept for printing on failure. */
  limit: number;
  /** Called with every line as it is written (e.g. console.log for --seed replays). */
  sink?: (line: string) => void;
}

interface Entry {
  timeMs: number;
  what: string;
  text: string;
}

export class Trace {
  private readonly ring: Entry[] = [];
  private next = 0;
  private written = 0;
  private hashState = 0x811c9dc5;

  constructor(
    private readonly nowMs: () => number,
    private readonly options: TraceOptions,
  ) {}

  /** Append one event: `what` is a short tag ("net", "fault", "app"), `text` the detail. Lines
   * are formatted only when printed (this runs for every delivery of every seed). */
  log(what: string, text: string): void {
    const timeMs = this.nowMs();
    this.written++;
    let h = this.hashState ^ (Math.round(timeMs * 1024) >>> 0);
    h = Math.imul(h, 0x01000193);
    for (let i = 0; i < what.length; i++) h = Math.imul(h ^ what.charCodeAt(i), 0x01000193);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    this.hashState = h >>> 0;
    const entry = { timeMs, what, text };
    this.options.sink?.(formatLine(entry));
    if (this.options.limit <= 0) return;
    if (this.ring.length < this.options.limit) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.options.limit;
  }

  /** Lines ever written. */
  get total(): number {
    return this.written;
  }

  /** Hash of every line ever written (time, tag, text), in order (8 hex digits). */
  get hash(): string {
    return this.hashState.toString(16).padStart(8, '0');
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    const ordered = this.ring.length < this.options.limit ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.map(formatLine);
  }

  /** The kept lines as one printable block, saying how many earlier ones were dropped. */
  format(): string {
    const kept = this.lines();
    const dropped = this.written - kept.length;
    const head = dropped > 0 ? `... ${dropped} earlier trace lines not kept (replay with --seed to see all)\n` : '';
    return head + kept.join('\n');
  }
}

function formatLine(e: Entry): string {
  return `[${formatSimMs(e.timeMs)}] ${e.what.padEnd(8)} ${e.text}`;
}

/** Simulated ms as a fixed-width readable stamp: "   12.345ms". */
export function formatSimMs(ms: number): string {
  return `${ms.toFixed(3).padStart(10)}ms`;
}
