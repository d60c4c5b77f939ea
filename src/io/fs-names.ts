// The part of FileIO both backends do through `fs` (the addon has no reason to: none of it is on
// a hot path): names and directories, stat, and fdatasync on libuv's pool. Both backends extend
// this class. fsyncDir opens the directory read-only and fsyncs it.
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import type { FileStat } from './file-io.js';

const fdatasyncCallback = promisify(fs.fdatasync);

export abstract class FsNameOperations {
  fdatasyncAsync(fd: number): Promise<void> {
    return fdatasyncCallback(fd);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  readdir(dir: string): string[] {
    return fs.readdirSync(dir).sort();
  }

  mkdirp(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  stat(path: string): FileStat {
    const st = fs.statSync(path);
    return { sizeBytes: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() };
  }

  realpath(path: string): string {
    return fs.realpathSync(path);
  }

  fsyncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
