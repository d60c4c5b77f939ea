// Name and directory operations shared by both FileIO backends (the addon has no reason to do
// them: they are not on a hot path). fsyncDir opens the directory read-only and fsyncs it.
import * as fs from 'node:fs';

export const fsNames = {
  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  },
  unlink(path: string): void {
    fs.unlinkSync(path);
  },
  readdir(dir: string): string[] {
    return fs.readdirSync(dir).sort();
  },
  mkdirp(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
  },
  exists(path: string): boolean {
    return fs.existsSync(path);
  },
  fsyncDir(dir: string): void {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};
