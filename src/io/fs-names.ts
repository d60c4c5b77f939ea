// The part of FileIO both backends do through `fs` (the addon has no reason to: none of it is on
// a hot path): names and directories, stat, and fdatasync on libuv's pool. Both backends extend
// this class. fsyncDir opens the directory read-only and fsyncs it. mkdirp creates one level at a
// time with plain mkdir (never `{ recursive: true }`: Node's recursive mkdir loops forever, in
// synchronous code, on a path such as /proc/x where mkdir answers ENOENT under an existing parent).
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { FileStat } from './file-io.js';

/** Levels mkdirp creates at most (a bound on its loop; deeper paths fail in mkdir with ENOENT). */
const MAX_DEPTH = 4096;
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
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = dirname(d)) {
      if (dirname(d) === d || missing.length >= MAX_DEPTH) break;
      missing.push(d);
    }
    for (const d of missing.reverse()) {
      try {
        fs.mkdirSync(d);
      } catch (err) {
        // Lost a race with another creator: fine when what is there now is a directory.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(d).isDirectory()) throw err;
      }
    }
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
