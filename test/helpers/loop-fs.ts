// Small real file systems for fault tests: an image file on a loop device (xfs or ext4), or a
// tmpfs with a size limit, mounted under a temp dir; plus `xfs_io -x -c shutdown` (power cut:
// the journal is NOT flushed) and remount (journal replay). Needs root and the tools; use
// `missingForLoopFs()` to get the visible skip reason when they are not there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The first missing prerequisite (root, a tool), or null when all are there. */
export function missingPrerequisite(tools: readonly string[], needsLoop: boolean): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (mount, losetup)';
  for (const tool of tools) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      return `needs the '${tool}' command (${toolPackage(tool)})`;
    }
  }
  if (needsLoop && !existsSync('/dev/loop-control')) return 'needs loop devices (/dev/loop-control is missing)';
  return null;
}

function toolPackage(tool: string): string {
  const packages: Record<string, string> = {
    'mkfs.xfs': 'apt-get install xfsprogs',
    xfs_io: 'apt-get install xfsprogs',
    'mkfs.ext4': 'apt-get install e2fsprogs',
    losetup: 'apt-get install mount',
    'fiu-run': 'apt-get install fiu-utils',
    'fiu-ctrl': 'apt-get install fiu-utils',
    strace: 'apt-get install strace',
  };
  return packages[tool] ?? 'not installed';
}

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
}

export interface MountedFs {
  readonly mountPoint: string;
  readonly kind: 'xfs' | 'ext4' | 'tmpfs';
  /** Power cut: shut the file system down without flushing its journal (xfs_io godown). */
  shutdown(): void;
  /** Unmount and mount again (replays the journal). */
  remount(): void;
  /** Unmount, detach and delete everything; safe to call after a partial setup or twice. */
  cleanup(): void;
}

export function mountLoopFs(kind: 'xfs' | 'ext4', sizeMiB: number): MountedFs {
  const dir = mkdtempSync(join(tmpdir(), `mqstore-${kind}-`));
  const image = join(dir, `${kind}.img`);
  const mountPoint = join(dir, 'mnt');
  let loop: string | null = null;
  let mounted = false;
  const cleanup = (): void => {
    if (mounted) {
      if (spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
      mounted = false;
    }
    if (loop) {
      spawnSync('losetup', ['-d', loop]);
      loop = null;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(image, '');
    truncateSync(image, sizeMiB * 1024 * 1024);
    if (kind === 'xfs') run('mkfs.xfs', ['-q', '-f', image]);
    else run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
    loop = run('losetup', ['-f', '--show', image]); // other jobs may hold loop devices: never pick one by number
    mkdirSync(mountPoint);
    run('mount', [loop, mountPoint]);
    mounted = true;
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    mountPoint,
    kind,
    shutdown: () => {
      run('xfs_io', ['-x', '-c', 'shutdown', mountPoint]);
    },
    remount: () => {
      run('umount', [mountPoint]);
      mounted = false;
      run('mount', [loop!, mountPoint]);
      mounted = true;
    },
    cleanup,
  };
}

export function mountTmpfs(sizeBytes: number): MountedFs {
  const dir = mkdtempSync(join(tmpdir(), 'mqstore-tmpfs-'));
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint);
  let mounted = false;
  const cleanup = (): void => {
    if (mounted) {
      if (spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
      mounted = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'mqstore-enospc', mountPoint]);
    mounted = true;
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    mountPoint,
    kind: 'tmpfs',
    shutdown: () => {
      throw new Error('tmpfs cannot be shut down');
    },
    remount: () => {
      throw new Error('tmpfs loses its content on remount');
    },
    cleanup,
  };
}
