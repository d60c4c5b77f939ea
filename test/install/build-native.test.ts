// The install step without a Rust toolchain: it must succeed and say that the pure-Node
// backend will be used (the same script `npm install` runs).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

describe('native addon build step', () => {
  it('succeeds without cargo and records why the addon is missing', () => {
    const out = newDir();
    const env = { PATH: '/usr/bin:/bin', HOME: newDir(), MQSTORE_NATIVE_OUT: out };
    const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], { encoding: 'utf8', env, timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/cargo was not found/);
    expect(r.stderr).toMatch(/pure-Node IO backend/);
    const status = JSON.parse(readFileSync(join(out, 'native-build.json'), 'utf8')) as { built: boolean };
    expect(status.built).toBe(false);
  });

  it('fails the step when the addon is required but cannot be built', () => {
    const env = { PATH: '/usr/bin:/bin', HOME: newDir(), MQSTORE_NATIVE_OUT: newDir(), MQSTORE_REQUIRE_NATIVE: '1' };
    const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], { encoding: 'utf8', env, timeout: 30_000 });
    expect(r.status).toBe(1);
  });
});
