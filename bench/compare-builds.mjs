// Put throughput of two builds side by side in one run: `node bench/compare-builds.mjs <dirA>
// <dirB> [rounds] [seconds]`, where each dir is a checkout with dist/ built (npm run build:ts),
// e.g. a `git worktree` of an older commit next to this one. Each case runs A, B, A, B, ... in
// fresh child processes (so neither build warms the other), `rounds` times (default 3) for
// `seconds` each (default 3), on the same disk; it prints the median msg/s of each build and the
// ratio B/A per case. Cases: the store bench's ASYNC_FLUSH and SYNC_FLUSH rows with 1 KiB bodies,
// 256 in flight (mmap and TransientStorePool), 1 in flight (mmap).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CASES = [
  { flushDiskType: 'ASYNC_FLUSH', writePath: 'mmap', bodyBytes: 1024, inFlight: 256 },
  { flushDiskType: 'ASYNC_FLUSH', writePath: 'tsp', bodyBytes: 1024, inFlight: 256 },
  { flushDiskType: 'SYNC_FLUSH', writePath: 'mmap', bodyBytes: 1024, inFlight: 256 },
  { flushDiskType: 'SYNC_FLUSH', writePath: 'tsp', bodyBytes: 1024, inFlight: 256 },
  { flushDiskType: 'ASYNC_FLUSH', writePath: 'mmap', bodyBytes: 1024, inFlight: 1 },
];
const MAX_ROUNDS = 20;

const [dirA, dirB, roundsText = '3', secondsText = '3'] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: node bench/compare-builds.mjs <dirA> <dirB> [rounds] [seconds]');
  process.exit(2);
}
const rounds = Math.min(MAX_ROUNDS, Math.max(1, Number(roundsText)));
const seconds = Math.min(60, Math.max(0.2, Number(secondsText)));

/** One case of one build in a child process; returns the row's msg/s and p99. */
function runOnce(dir, c, scratch) {
  const bench = resolve(dir, 'dist/bench/store.bench.js');
  const script = `const m = await import(${JSON.stringify(bench)});
const row = await m.runPutCase(${JSON.stringify(c)}, { dir: ${JSON.stringify(scratch)}, timeMs: ${seconds * 1000}, segmentBytes: 256 << 20, cases: [] });
process.stdout.write(JSON.stringify({ msgPerSec: row.msgPerSec, p99Ms: row.p99Ms, notOk: row.notOk }));`;
  // a file, not --eval: worker threads inherit the parent's execArgv
  const file = join(scratch, 'run-case.mjs');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  return JSON.parse(out);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const scratch = mkdtempSync(join(tmpdir(), 'mqstore-compare-'));
try {
  console.log(`| case | A msg/s (median of ${rounds}) | B msg/s | B/A | A p99 ms | B p99 ms |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const c of CASES) {
    const a = [];
    const b = [];
    for (let r = 0; r < rounds; r++) {
      a.push(runOnce(dirA, c, scratch));
      b.push(runOnce(dirB, c, scratch));
    }
    const am = median(a.map((x) => x.msgPerSec));
    const bm = median(b.map((x) => x.msgPerSec));
    const label = `${c.flushDiskType} ${c.writePath} ${c.bodyBytes} B x${c.inFlight}`;
    console.log(`| ${label} | ${Math.round(am)} | ${Math.round(bm)} | ${(bm / am).toFixed(2)} | ${median(a.map((x) => x.p99Ms)).toFixed(2)} | ${median(b.map((x) => x.p99Ms)).toFixed(2)} |`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
