// The Raft hard state of this member: `<storePathRootDir>/dledger/currterm`, DLedger's file and
// keys: `currTerm=<term>` and `voteLeader=<id or empty>`, one per line. Written to a temporary
// file, fsynced, renamed and the directory fsynced (io/atomic-file.ts, through the store's
// FileIO) before `save` returns: the glue reports `persisted` to the core only after that, so no
// vote or term-dependent reply leaves before the state is durable. A missing file is term 0 with
// no vote (a new member). A file that does not parse is an error naming the file (never guessed:
// a wrong vote could elect two leaders in one term).
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir, readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';

export const HARD_STATE_DIR = 'dledger';
export const HARD_STATE_FILE = 'currterm';

export interface HardState {
  readonly term: number;
  readonly votedFor: string | null;
}

export class HardStateFile {
  readonly path: string;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
  ) {
    this.path = join(storeRoot, HARD_STATE_DIR, HARD_STATE_FILE);
  }

  load(): HardState {
    const text = readTextFile(this.io, this.path);
    if (text === null) return { term: 0, votedFor: null };
    return parseHardState(text, this.path);
  }

  /** Durable once this returns (throws the IO error otherwise: fail-stop for the member). */
  save(state: HardState): void {
    ensureDir(this.io, join(this.path, '..'));
    writeFileAtomic(this.io, this.path, `currTerm=${state.term}\nvoteLeader=${state.votedFor ?? ''}\n`);
  }
}

export function parseHardState(text: string, where: string): HardState {
  let term: number | null = null;
  let votedFor: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (key === 'currTerm') {
      if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) throw bad(where, `currTerm ${JSON.stringify(value)} is not a non-negative integer`);
      term = Number(value);
    } else if (key === 'voteLeader') {
      votedFor = value === '' ? null : value;
    }
  }
  if (term === null) throw bad(where, 'no currTerm line');
  return { term, votedFor };
}

function bad(where: string, why: string): StoreError {
  return new StoreError(ErrorCode.CORRUPT, `the DLedger state file ${where} is damaged: ${why} (restore it, or remove it only if this member never voted)`);
}
