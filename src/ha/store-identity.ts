// The identity of one store directory: 16 lowercase hex digits (64 random bits) in the
// `haStoreId` file at the store root, created once, the first time HA or a rejoin opens the
// store (written through a temporary file, fsync and rename: a crash leaves no file or the
// whole id), never changed after. A wiped or new directory gets a new id.
// Every epoch a node begins carries its store id (epoch-history.ts), so two masters that pick
// the same epoch number from the same history (a master that lost its directory and starts
// over from epoch 0) never pass for one: their entries differ in the id.
// The random bits come from the injected source (HaRuntime.random: seeded in the simulator).
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';

export const STORE_ID_FILE_NAME = 'haStoreId';
const STORE_ID = /^[0-9a-f]{16}$/;
/** The all-zero id is the wire's "unknown" (ha-protocol.ts); never a real one. */
const NO_ID = '0'.repeat(16);

export function isStoreId(text: string): boolean {
  return STORE_ID.test(text) && text !== NO_ID;
}

/** The id in `rootDir`, created (from `random`, uniform in [0, 1)) when there is none.
 * Throws ERR_STORE_CORRUPT when the file holds anything else. */
export function loadOrCreateStoreId(io: FileIO, rootDir: string, random: () => number): string {
  const path = join(rootDir, STORE_ID_FILE_NAME);
  const text = readTextFile(io, path);
  if (text !== null) {
    const id = text.trim();
    if (!isStoreId(id)) throw new StoreError(ErrorCode.CORRUPT, `${path}: expected 16 hex digits (this store's identity), got ${JSON.stringify(text.slice(0, 40))}; restore it, or delete it only if this directory's log is not a copy of another node's`);
    return id;
  }
  let id = NO_ID;
  for (let attempt = 0; attempt < 8 && id === NO_ID; attempt++) id = word(random) + word(random);
  if (id === NO_ID) throw new StoreError(ErrorCode.INVALID_ARGUMENT, 'the random source gave only zeros: cannot create a store id');
  writeFileAtomic(io, path, `${id}\n`);
  return id;
}

function word(random: () => number): string {
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}
