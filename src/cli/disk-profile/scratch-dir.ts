// The one directory every file of a disk profile lives in: `.mqstore-disk-profile-XXXXXX` inside
// the profiled directory, removed on every way out: return, thrown error, and SIGINT/SIGTERM
// while the profile runs (the handler removes it and exits 130/143). Also checks the profiled
// directory first, so a bad path is a clear error rather than an errno from the middle of a test.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../../errors.js';

export const SCRATCH_PREFIX = '.mqstore-disk-profile-';

export function checkProfileDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new StoreError(ErrorCode.INVALID_ARGUMENT, `disk-profile: directory '${dir}' ${what}`, { cause: err });
  }
  if (!isDir) throw new StoreError(ErrorCode.INVALID_ARGUMENT, `disk-profile: '${dir}' is not a directory`);
}

export async function withScratchDir<T>(parent: string, fn: (scratch: string) => Promise<T>): Promise<T> {
  let scratch: string | null = null;
  // installed before the directory exists, so there is no moment when it exists unguarded
  const onSignal = (signal: NodeJS.Signals): void => {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    scratch = makeScratch(parent);
    return await fn(scratch);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
}

function makeScratch(parent: string): string {
  try {
    return mkdtempSync(join(parent, SCRATCH_PREFIX));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new StoreError(ErrorCode.INVALID_ARGUMENT, `disk-profile: cannot create files in '${parent}' (${code})`, { cause: err });
  }
}
