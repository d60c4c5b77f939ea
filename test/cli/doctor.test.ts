// `mqstore doctor` run as a real process, the way a user runs it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasAddon } from '../helpers/native.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

function mqstore(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mqstore doctor', () => {
  it('--json prints one object with the documented keys, consistent with the addon state', () => {
    const dir = newDir();
    const r = mqstore('doctor', '--json', '--dir', dir);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report.node).toBe(process.version);
    expect(report.addonLoaded).toBe(hasAddon);
    expect(report.ioBackend).toBe(hasAddon ? 'native' : 'node');
    expect(typeof report.directIo).toBe('boolean');
    expect(report.dir).toBe(dir);
    expect((report.filesystem as { type: string }).type).toMatch(/\w/);
    if (!hasAddon) expect(report.addonError).toMatch(/\w/);
  });

  it.runIf(hasAddon)('reports O_DIRECT working on an ext4/xfs directory when the addon is loaded', () => {
    const report = JSON.parse(mqstore('doctor', '--json', '--dir', newDir()).stdout) as { directIo: boolean; filesystem: { type: string } };
    if (['ext4', 'xfs', 'btrfs'].includes(report.filesystem.type)) expect(report.directIo).toBe(true);
  });

  it('prints a readable report without --json', () => {
    const r = mqstore('doctor', '--dir', newDir());
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/io backend\s+(native|node)/);
  });

  it('exits 2 with the usage on an unknown command or option', () => {
    const bad = mqstore('frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
    const badOption = mqstore('doctor', '--bogus');
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toMatch(/bogus/);
  });
});
