// Issue 14 case 7: a store directory that cannot be created. `mqstore node` (a real process)
// must exit 2 with a configuration error naming the key, the path and the errno, quickly, with
// no stack trace: before the fix, /proc/x spun at 100% CPU forever (Node's recursive mkdir loops
// on ENOENT under an existing parent) and a path under a regular file gave a raw ENOTDIR trace
// and exit 1. In process, MessageStore.open rejects with a ConfigError within a second.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { MessageStore } from '../../src/store/message-store.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { runCli, smallNodeProps, writeProperties } from './node-harness.js';

const newDir = tempDirs('mqstore-startup-');
/** Process start (tsx compiles the sources) dominates; the old /proc/x case never exited at all. */
const PROCESS_DEADLINE_MS = 20_000;
const procfs = existsSync('/proc/self/status');

function fileInTemp(): string {
  const file = join(newDir(), 'plain-file');
  writeFileSync(file, 'not a directory\n');
  return file;
}

async function runNodeWith(overrides: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const dir = newDir();
  const config = writeProperties(dir, 'broker.properties', smallNodeProps(join(dir, 'store'), overrides));
  const t0 = performance.now();
  const run = await runCli(['node', '-c', config, '--no-ha'], PROCESS_DEADLINE_MS);
  return { code: run.code, stderr: run.stderr, ms: performance.now() - t0 };
}

function expectConfigError(stderr: string, key: string, path: string, errno: string): void {
  expect(stderr).toContain('ERR_STORE_CONFIG');
  expect(stderr).toContain(`'${key}'`);
  expect(stderr).toContain(path);
  expect(stderr).toContain(errno);
  expect(stderr, 'no raw stack trace').not.toMatch(/\n\s+at /);
}

describe('mqstore node with a store directory it cannot create', () => {
  it.skipIf(!procfs)('/proc/x (mkdir answers ENOENT under an existing parent): exit 2 naming path and ENOENT, no spin', async () => {
    const r = await runNodeWith({ storePathRootDir: '/proc/x' });
    expect(r.code).toBe(2);
    expectConfigError(r.stderr, 'storePathRootDir', '/proc/x', 'ENOENT');
    expect(r.ms).toBeLessThan(PROCESS_DEADLINE_MS);
  });

  it('a path under a regular file: exit 2 naming path and ENOTDIR', async () => {
    const path = join(fileInTemp(), 'store');
    const r = await runNodeWith({ storePathRootDir: path });
    expect(r.code).toBe(2);
    expectConfigError(r.stderr, 'storePathRootDir', path, 'ENOTDIR');
  });

  it('storePathRootDir is itself a regular file: exit 2 naming it and ENOTDIR', async () => {
    const path = fileInTemp();
    const r = await runNodeWith({ storePathRootDir: path });
    expect(r.code).toBe(2);
    expectConfigError(r.stderr, 'storePathRootDir', path, 'ENOTDIR');
  });

  it('a bad storePathCommitLog is named as that key', async () => {
    const path = join(fileInTemp(), 'commitlog');
    const r = await runNodeWith({ storePathCommitLog: path });
    expect(r.code).toBe(2);
    expectConfigError(r.stderr, 'storePathCommitLog', path, 'ENOTDIR');
  });
});

describe('MessageStore.open with an uncreatable directory (in process)', () => {
  const cases = [
    ...(procfs ? [{ what: '/proc/x', dir: () => '/proc/x', errno: 'ENOENT' }] : []),
    { what: 'under a regular file', dir: () => join(fileInTemp(), 'store'), errno: 'ENOTDIR' },
  ];
  for (const c of cases) {
    it(`${c.what}: rejects with a ConfigError for storePathRootDir within a second`, async () => {
      const dir = c.dir();
      const t0 = performance.now();
      const err = await MessageStore.open({ storePathRootDir: dir, ioBackend: 'node', logLevel: 'error' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe('storePathRootDir');
      expect((err as Error).message).toContain(dir);
      expect((err as Error).message).toContain(c.errno);
    });
  }
});
