// Issue 14: `mqstore config [--json] [-c file] [key ...]` lists every config key with its default,
// unit, allowed values and doc (before: no command did; errors pointed into src/). As real
// processes: --json has every key of the table with those fields; the text has a block per key;
// -c shows the file's effective values and its warnings (a duplicate key names both lines) on
// stderr; a bad value in the file or an unknown key is exit 2.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigKeyDescription } from '../../src/config/describe-keys.js';
import { STORE_CONFIG_KEYS } from '../../src/config/store-config.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { runCli } from './node-harness.js';

const newDir = tempDirs('mqstore-config-cmd-');

type Row = ConfigKeyDescription & { value?: unknown };

describe('mqstore config', () => {
  it('--json: every key, each with type, default, allowed, doc; number keys with their unit', async () => {
    const r = await runCli(['config', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => x.key).sort()).toEqual([...STORE_CONFIG_KEYS].sort());
    for (const row of rows) {
      expect(row.default, row.key).toMatch(/\S/);
      expect(row.allowed, row.key).toMatch(/\S/);
      expect(row.doc, row.key).toMatch(/\S/);
      if (row.type === 'int' || row.type === 'long' || row.type === 'percent') expect(row.unit, row.key).toBeDefined();
    }
    const ratio = rows.find((x) => x.key === 'diskMaxUsedSpaceRatio')!;
    expect(ratio).toMatchObject({ default: '75', unit: 'percent' });
    expect(ratio.allowed).toContain('clamped to [10, 90]');
  });

  it('text: a block per key with default (and unit), allowed and doc; key names filter, aliases too', async () => {
    const all = await runCli(['config']);
    expect(all.code, all.stderr).toBe(0);
    for (const key of STORE_CONFIG_KEYS) expect(all.stdout).toMatch(new RegExp(`^${key} \\(`, 'm'));
    const some = await runCli(['config', 'flushIntervalCommitLog', 'mapedFileSizeCommitLog']);
    expect(some.code, some.stderr).toBe(0);
    expect(some.stdout).toMatch(/^flushIntervalCommitLog \(int, ms\)\n {2}default: {2}500 ms\n {2}allowed: {2}an integer in \[1, \d+\]\n {2}\S/);
    expect(some.stdout).toMatch(/^mappedFileSizeCommitLog \(int, bytes\)$/m);
    expect(some.stdout).toContain('also spelled: mapedFileSizeCommitLog');
    expect(some.stdout.split('\n\n')).toHaveLength(2);
  });

  it('-c <file>: effective values, and the file\'s warnings on stderr (a duplicate key names both lines)', async () => {
    const file = join(newDir(), 'broker.properties');
    writeFileSync(file, 'brokerName=one\nflushIntervalCommitLog=200\nbrokerName=two\n');
    const r = await runCli(['config', '-c', file, 'brokerName', 'flushIntervalCommitLog', 'fileReservedTime']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('value:    two (default broker-a)');
    expect(r.stdout).toContain('value:    200 ms (default 500)');
    expect(r.stdout).toContain('value:    72 hours (default)');
    expect(r.stderr).toContain(`config key 'brokerName' is set twice in ${file}: line 1 = "one" and line 3 = "two"`);
    const j = JSON.parse((await runCli(['config', '-c', file, '--json'])).stdout) as Row[];
    expect(j.find((x) => x.key === 'brokerName')!.value).toBe('two');
  });

  it('a bad value in the file, or an unknown key, is exit 2 naming it', async () => {
    const file = join(newDir(), 'bad.properties');
    writeFileSync(file, 'flushIntervalCommitLog=soon\n');
    const bad = await runCli(['config', '-c', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ERR_STORE_CONFIG: config key 'flushIntervalCommitLog'/);
    const unknown = await runCli(['config', 'flushIntervalComitLog']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("did you mean 'flushIntervalCommitLog'");
  });
});
