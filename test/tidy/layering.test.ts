// The tidy test: the shape of src/ that shared/ARCHITECTURE.md §2 draws, checked on every run.
//   1. imports only go down the layers (or stay within a layer); nothing but the layers above
//      store/ imports it;
//   2. node:net only in src/net/, node:tls only in src/net/tls-transport.ts; node:fs only in the
//      rooms listed below (each with its reason);
//   3. raw timers (setTimeout, setImmediate, setInterval and their clear*) only in
//      src/util/scheduler.ts, raw clocks (Date.now, performance.now, process.hrtime, new Date())
//      only in src/util/clock.ts — everything else takes a Scheduler and a Clock — with the
//      listed exceptions (the CLI's process lifetime and measurements, worker thread loops);
//   4. no test harness in src/ (ha-node-main.ts lives in test/helpers/);
//   5. @grpc/grpc-js and @grpc/proto-loader only in src/broker/ (the gRPC front end).
// It reads the source as text; a comment mentioning a banned name does not count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/** Bottom to top; a room may import rooms of its own layer or below. */
const LAYERS: readonly (readonly string[])[] = [
  ['util', 'errors.ts'],
  ['config'],
  ['io'],
  ['codec', 'net'],
  ['segment'],
  ['flush'],
  ['commitlog', 'consumequeue'],
  ['replication'],
  ['ha', 'raft'],
  ['store'],
  ['broker', 'dledger'],
  ['admin', 'metrics'],
  ['node'],
  ['workers', 'cli', 'index.ts'],
];

/** Files that may import node:fs, and why. */
const FS_ALLOWED: Record<string, string> = {
  'io/': 'the FileIO backends and the addon loader, file system probes',
  'config/properties-file.ts': 'reads the .properties config file (not store state)',
  'store/disk-space.ts': 'statfs of the store disk',
  'cli/': 'the command line reads and writes files the user names',
};
/** Files that may use raw timers, and why. */
const TIMERS_ALLOWED: Record<string, string> = {
  'util/scheduler.ts': 'the real Scheduler',
  'cli/': 'process lifetime (exit grace, shutdown deadline) and measurement loops of a command',
  'workers/': 'thread entry points',
};
/** Files that may read the clock directly, and why. */
const CLOCK_ALLOWED: Record<string, string> = {
  'util/clock.ts': 'the system Clock',
  'util/logger.ts': 'the timestamp of a console log line',
  'cli/': 'measurements and timestamps of a command',
};

const RAW_TIMER = /(?<![.\w])(setTimeout|setImmediate|setInterval|clearTimeout|clearImmediate|clearInterval)\s*\(|from 'node:timers(\/promises)?'/;
const RAW_CLOCK = /\bDate\.now\s*\(|\bperformance\.now\s*\(|\bprocess\.hrtime\b|\bnew Date\(\s*\)|performance\.timeOrigin/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The source without comments (line and block), so prose never trips a rule. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function roomOf(rel: string): string {
  const first = rel.split('/')[0]!;
  return first;
}

function layerOf(room: string): number {
  const i = LAYERS.findIndex((l) => l.includes(room));
  return i;
}

function allowed(rel: string, table: Record<string, string>): boolean {
  return Object.keys(table).some((k) => (k.endsWith('/') ? rel.startsWith(k) : rel === k));
}

const files = sourceFiles(SRC).map((path) => ({ path, rel: relative(SRC, path).split('\\').join('/') }));

describe('tidy: the layering of src/', () => {
  it('every room is in a layer', () => {
    const rooms = [...new Set(files.map((f) => roomOf(f.rel)))];
    expect(rooms.filter((r) => layerOf(r) < 0)).toEqual([]);
  });

  it('imports only go down (or stay in their layer)', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = roomOf(f.rel);
      for (const m of code(f.path).matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, join(f.path, '..', m[1]!)).split('\\').join('/');
        const to = roomOf(target.replace(/\.js$/, '.ts'));
        if (to === from) continue;
        if (layerOf(to) > layerOf(from)) bad.push(`${f.rel} imports ${target} (${to} is above ${from})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('node:net only in src/net, node:tls only in net/tls-transport.ts, node:fs only where listed', () => {
    const bad: string[] = [];
    for (const f of files) {
      const text = code(f.path);
      if (/^import (?!type )[^;]*from 'node:net'/m.test(text) && !f.rel.startsWith('net/')) bad.push(`${f.rel} imports node:net`);
      if (/^import (?!type )[^;]*from 'node:tls'/m.test(text) && f.rel !== 'net/tls-transport.ts') bad.push(`${f.rel} imports node:tls`);
      if (/from 'node:fs(\/promises)?'/.test(text) && !allowed(f.rel, FS_ALLOWED)) bad.push(`${f.rel} imports node:fs`);
    }
    expect(bad).toEqual([]);
  });

  it('no raw timers or clocks outside their rooms', () => {
    const bad: string[] = [];
    for (const f of files) {
      const text = code(f.path);
      if (RAW_TIMER.test(text) && !allowed(f.rel, TIMERS_ALLOWED)) bad.push(`${f.rel}: raw timer ${RAW_TIMER.exec(text)![0]}`);
      if (RAW_CLOCK.test(text) && !allowed(f.rel, CLOCK_ALLOWED)) bad.push(`${f.rel}: raw clock ${RAW_CLOCK.exec(text)![0]}`);
    }
    expect(bad).toEqual([]);
  });

  it('@grpc/* only in src/broker', () => {
    const bad = files.filter((f) => /from '@grpc\//.test(code(f.path)) && !f.rel.startsWith('broker/')).map((f) => f.rel);
    expect(bad).toEqual([]);
  });

  it('no test harness in src/', () => {
    expect(files.map((f) => f.rel).filter((rel) => /-main\.ts$|harness/.test(rel))).toEqual([]);
  });

  it('the checks bite: a banned import, timer and clock are found in a sample', () => {
    const sample = "import { connect } from 'node:net';\nsetTimeout(() => {}, 1);\nconst t = Date.now();\n// setTimeout( in a comment is fine\n";
    expect(/from 'node:net'/.test(sample)).toBe(true);
    expect(RAW_TIMER.test(sample)).toBe(true);
    expect(RAW_CLOCK.test(sample)).toBe(true);
  });
});
