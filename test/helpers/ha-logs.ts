// HA test helpers on store directories: read a CommitLog range across segment files, and assert
// that two stores hold byte-identical logs up to an offset (reporting the first difference).
import { openSync, closeSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

const CHUNK_BYTES = 1 << 20;

/** Bytes [from, to) of the CommitLog under `rootDir`, from its 20-digit segment files. */
export function readCommitLog(rootDir: string, from: number, to: number, segmentBytes: number): Buffer {
  const out = Buffer.alloc(to - from);
  const dir = join(rootDir, 'commitlog');
  const names = new Set(readdirSync(dir));
  for (let at = from; at < to; ) {
    const segStart = at - (at % segmentBytes);
    const name = String(segStart).padStart(20, '0');
    if (!names.has(name)) throw new Error(`${dir}: no segment file ${name} for offset ${at}`);
    const n = Math.min(to, segStart + segmentBytes) - at;
    const fd = openSync(join(dir, name), 'r');
    try {
      for (let done = 0; done < n; ) {
        const got = readSync(fd, out, at - from + done, Math.min(CHUNK_BYTES, n - done), at - segStart + done);
        if (got === 0) throw new Error(`${name}: short file at ${at - segStart + done}`);
        done += got;
      }
    } finally {
      closeSync(fd);
    }
    at += n;
  }
  return out;
}

/** The two logs are byte-identical over [from, to). */
export function expectIdenticalLogs(dirA: string, dirB: string, from: number, to: number, segmentBytes: number): void {
  expect(to).toBeGreaterThan(from);
  const a = readCommitLog(dirA, from, to, segmentBytes);
  const b = readCommitLog(dirB, from, to, segmentBytes);
  if (!a.equals(b)) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    expect.fail(`commit logs differ first at offset ${from + i} (of [${from}, ${to}))`);
  }
}
