// io/atomic-file.ts on a real disk (node backend): a write replaces the file whole (keeping the
// previous one as a backup when asked), a missing file reads as null, and a failed write leaves
// the target untouched and no temporary file behind.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDir, readSmallFile, readTextFile, removeFile, writeFileAtomic } from '../../src/io/atomic-file.js';
import type { FileIO } from '../../src/io/file-io.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-atomic-');
const io = new NodeFileIO();

/** The node backend with one operation (or none) made to fail with an errno error, and a log of the calls. */
function failing(op: 'fsync' | 'rename' | 'pwrite' | null): { io: FileIO; calls: string[] } {
  const calls: string[] = [];
  const wrapped = new Proxy(io, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        if (name === op) throw Object.assign(new Error(`EIO: i/o error, ${op}`), { code: 'EIO', syscall: op });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { io: wrapped, calls };
}

describe('writeFileAtomic', () => {
  it('creates and replaces a file whole, through temp + fsync + rename + directory fsync', () => {
    const dir = newDir();
    const path = join(dir, 'state.json');
    writeFileAtomic(io, path, 'first version, longer than the second');
    expect(readFileSync(path, 'utf8')).toBe('first version, longer than the second');
    const spy = failing(null);
    writeFileAtomic(spy.io, path, new TextEncoder().encode('second'));
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(spy.calls.filter((c) => ['open', 'ftruncate', 'pwrite', 'fsync', 'close', 'rename', 'fsyncDir'].includes(c))).toEqual([
      'open',
      'ftruncate',
      'pwrite',
      'fsync',
      'close',
      'rename',
      'fsyncDir',
    ]);
  });

  it('keeps the previous file as the backup when asked', () => {
    const dir = newDir();
    const path = join(dir, 'offsets.json');
    writeFileAtomic(io, path, 'v1', { backupPath: `${path}.bak` });
    expect(existsSync(`${path}.bak`)).toBe(false);
    writeFileAtomic(io, path, 'v2', { backupPath: `${path}.bak` });
    writeFileAtomic(io, path, 'v3', { backupPath: `${path}.bak` });
    expect(readFileSync(path, 'utf8')).toBe('v3');
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe('v2');
  });

  it('a leftover temporary file of a crashed attempt does not leak into the next write', () => {
    const dir = newDir();
    const path = join(dir, 'f');
    writeFileSync(`${path}.tmp`, 'x'.repeat(1000));
    writeFileAtomic(io, path, 'short');
    expect(readFileSync(path, 'utf8')).toBe('short');
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });

  for (const op of ['pwrite', 'fsync', 'rename'] as const) {
    it(`a failing ${op} leaves the old content and no temporary file, and throws ERR_STORE_IO with the errno code`, () => {
      const dir = newDir();
      const path = join(dir, 'f');
      writeFileAtomic(io, path, 'old');
      const { io: broken } = failing(op);
      expect(() => writeFileAtomic(broken, path, 'new')).toThrow(expect.objectContaining({ code: 'ERR_STORE_IO', errnoCode: 'EIO', syscall: op }));
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(readdirSync(dir)).toEqual(['f']);
    });
  }
});

describe('readSmallFile / readTextFile', () => {
  it('reads a whole file, and null for a missing one', () => {
    const dir = newDir();
    const path = join(dir, 'f');
    expect(readSmallFile(io, path)).toBeNull();
    expect(readTextFile(io, path)).toBeNull();
    writeFileSync(path, 'héllo');
    expect(readTextFile(io, path)).toBe('héllo');
    expect(readSmallFile(io, path)?.byteLength).toBe(6);
  });

  it('a missing directory on the way is null too; other errors are ERR_STORE_IO', () => {
    const dir = newDir();
    expect(readSmallFile(io, join(dir, 'no-such-dir', 'f'))).toBeNull();
    expect(() => readSmallFile(io, dir)).toThrow(expect.objectContaining({ code: 'ERR_STORE_IO' }));
  });
});

describe('ensureDir / removeFile', () => {
  it('creates missing parents (fsyncing each parent) and removes a file durably', () => {
    const dir = newDir();
    const spy = failing(null);
    ensureDir(spy.io, join(dir, 'a', 'b', 'c'));
    expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
    expect(spy.calls.filter((c) => c === 'fsyncDir').length).toBe(3);
    ensureDir(spy.io, join(dir, 'a', 'b', 'c'));
    expect(spy.calls.filter((c) => c === 'fsyncDir').length).toBe(3);
    writeFileSync(join(dir, 'a', 'f'), 'x');
    expect(removeFile(io, join(dir, 'a', 'f'))).toBe(true);
    expect(removeFile(io, join(dir, 'a', 'f'))).toBe(false);
  });
});
