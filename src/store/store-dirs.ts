// The store's configured directories (storePathRootDir, storePathCommitLog) are created before
// anything else opens, and a directory that cannot be created is a configuration error, not an
// IO failure: ConfigError naming the key, the path and the errno (`mqstore node` exits 2). A
// path that exists but is not a directory counts as ENOTDIR. Nothing is created for a later key
// once an earlier one fails.
import { ConfigError } from '../errors.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import { ensureDir } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';

const DIR_KEYS = ['storePathRootDir', 'storePathCommitLog'] as const;

/** Create every configured store directory, or throw a ConfigError for the first that cannot be. */
export function ensureStoreDirs(io: FileIO, config: Pick<MessageStoreConfig, (typeof DIR_KEYS)[number]>): void {
  for (const key of DIR_KEYS) ensureConfiguredDir(io, key, config[key]);
}

function ensureConfiguredDir(io: FileIO, key: string, dir: string): void {
  if (io.exists(dir)) {
    if (!io.stat(dir).isDirectory) throw unusable(key, dir, `it exists and is not a directory (ENOTDIR)`);
    return;
  }
  try {
    ensureDir(io, dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code !== 'string' || !e.code.startsWith('E')) throw err;
    const reason = /^E\w+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    throw unusable(key, dir, `${e.syscall ?? 'mkdir'} '${e.path ?? dir}' failed with ${e.code} (${reason})`);
  }
}

function unusable(key: string, dir: string, why: string): ConfigError {
  return new ConfigError(key, dir, `a directory this process can create and write; ${why}`);
}
