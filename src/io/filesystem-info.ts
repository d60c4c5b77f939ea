// What file system a directory lives on: the statfs magic number mapped to a name, and the
// mount (device, mount point, type) from /proc/self/mounts by the longest matching prefix.
import { readFileSync, realpathSync, statfsSync } from 'node:fs';

const FS_MAGIC: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
  0x65735546: 'fuse',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x858458f6: 'ramfs',
};

export interface FilesystemInfo {
  path: string;
  type: string;
  mountPoint: string | null;
  device: string | null;
  blockSize: number;
  totalBytes: number;
  freeBytes: number;
}

export function filesystemInfo(dir: string): FilesystemInfo {
  const path = realpathSync(dir);
  const st = statfsSync(path);
  const mount = findMount(path);
  return {
    path,
    type: mount?.type ?? FS_MAGIC[st.type] ?? `unknown (0x${st.type.toString(16)})`,
    mountPoint: mount?.mountPoint ?? null,
    device: mount?.device ?? null,
    blockSize: st.bsize,
    totalBytes: st.blocks * st.bsize,
    freeBytes: st.bavail * st.bsize,
  };
}

interface MountEntry {
  device: string;
  mountPoint: string;
  type: string;
}

function findMount(path: string): MountEntry | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return null; // not Linux, or /proc hidden: the statfs magic still names the type
  }
  let best: MountEntry | null = null;
  for (const line of text.split('\n')) {
    const [device, rawMount, type] = line.split(' ');
    if (!device || !rawMount || !type) continue;
    const mountPoint = rawMount.replace(/\\040/g, ' ');
    const inside = path === mountPoint || path.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { device, mountPoint, type };
  }
  return best;
}
