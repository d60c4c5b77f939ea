// Issue 14 case 8: a sendfile master opening and closing HA connections must not grow its RSS
// per connection (it did by ~12-16 KB each, no plateau: a worker thread started and ended per
// connection). 3000 connections in a child process (--expose-gc, RSS after a GC, the baseline
// after 1000 warm-up connections: RSS climbs to a plateau first, in socket mode too): all 3000 fit in the time budget, they reuse the few worker
// threads the pool keeps (no thread started per connection: the cause), and RSS ends within a
// generous bound of its baseline (RSS noise from the worker threads' own heaps is up to ~35 MB
// here; the leak was ~12-16 KB per connection with no plateau). Needs the native addon on Linux;
// skips with the reason otherwise.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sendfileUnavailableReason } from '../../src/ha/ha-sendfile-sender.js';
import { MAX_IDLE_WORKERS } from '../../src/ha/ha-sendfile-spare.js';
import { skipNotice } from '../helpers/skip-notice.js';

const WHY_NOT = sendfileUnavailableReason();
skipNotice('ha-sendfile-rss.test.ts (sendfile HA connections)', WHY_NOT);
const CHILD = fileURLToPath(new URL('../helpers/sendfile-rss-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONNECTIONS = 3000;
const BUDGET_MS = 150_000;
/** Allowed growth over the baseline (the highest of 3 readings after 1000 warm-up connections;
 * final: the lowest of 3 at the end) for 3000 connections: ~11 KB each, generous for RSS noise;
 * before the fix a sendfile master grew ~12-16 KB per connection with no plateau and started a
 * worker thread per connection (under tsx far fewer than 3000 fit in the time budget). */
const MAX_GROWTH_BYTES = 32 << 20;

interface Result {
  connections: number;
  baselineRss: number;
  finalRss: number;
  ms: number;
  threads: number;
  threadsBooted: number;
}

function run(mode: string): Result {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(CONNECTIONS), String(BUDGET_MS), mode], { cwd: REPO_ROOT, encoding: 'utf8', timeout: BUDGET_MS + 60_000 });
  if (r.status !== 0) throw new Error(`child exited ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
}

describe.skipIf(WHY_NOT !== null)(`sendfile HA connections opened and closed${WHY_NOT ? ` — SKIPPED: ${WHY_NOT}` : ''}`, () => {
  it(`${CONNECTIONS} connections: RSS returns near its baseline, a few threads reused`, () => {
    const r = run('sendfile');
    const growth = r.finalRss - r.baselineRss;
    console.log(`[ha-sendfile-rss] sendfile: ${r.connections} connections in ${r.ms} ms, RSS ${(r.baselineRss / 1e6).toFixed(1)} -> ${(r.finalRss / 1e6).toFixed(1)} MB (${(growth / Math.max(1, r.connections) / 1024).toFixed(2)} KB per connection), ${r.threads} worker threads (${r.threadsBooted} started during the run)`);
    expect(r.connections).toBe(CONNECTIONS);
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
    expect(r.threads).toBeLessThanOrEqual(MAX_IDLE_WORKERS + 1);
    expect(r.threadsBooted).toBeLessThanOrEqual(MAX_IDLE_WORKERS + 1);
  }, BUDGET_MS + 90_000);
});
