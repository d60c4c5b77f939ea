// Piscina worker of `mqstore verify`: reads one chunk of each CommitLog (same offset range, each
// inside one segment file of its side), computes the CRC-32 of both (io/crc.ts: the addon's
// hardware CRC where it loaded, else zlib), and, only when the CRCs differ, the first differing
// byte. Runs one task at a time per thread, so its two read buffers are reused between tasks
// (grown to the largest chunk asked for; chunks are bounded by the caller's chunk size).
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from '../../io/crc.js';

export interface ChunkTask {
  masterPath: string;
  masterPosition: number;
  slavePath: string;
  slavePosition: number;
  length: number;
}

export interface ChunkResult {
  masterCrc: number;
  slaveCrc: number;
  /** Index in the chunk of the first differing byte, or -1 when the chunks are equal. */
  firstDifference: number;
  masterByte: number | null;
  slaveByte: number | null;
  /** A file ended before the chunk did (it is shorter than its name and size promise). */
  shortRead: 'master' | 'slave' | null;
}

let masterBuf = new Uint8Array(0);
let slaveBuf = new Uint8Array(0);

function readRange(path: string, position: number, target: Uint8Array): number {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    for (let round = 0; round < 1024 && got < target.length; round++) {
      const n = readSync(fd, target, got, target.length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  } finally {
    closeSync(fd);
  }
}

export default function compareChunk(task: ChunkTask): ChunkResult {
  if (masterBuf.length < task.length) {
    masterBuf = new Uint8Array(task.length);
    slaveBuf = new Uint8Array(task.length);
  }
  const a = masterBuf.subarray(0, task.length);
  const b = slaveBuf.subarray(0, task.length);
  const gotA = readRange(task.masterPath, task.masterPosition, a);
  const gotB = readRange(task.slavePath, task.slavePosition, b);
  const shortRead = gotA < task.length ? 'master' : gotB < task.length ? 'slave' : null;
  const masterCrc = crc32(a.subarray(0, gotA));
  const slaveCrc = crc32(b.subarray(0, gotB));
  if (masterCrc === slaveCrc && shortRead === null) return { masterCrc, slaveCrc, firstDifference: -1, masterByte: null, slaveByte: null, shortRead };
  const n = Math.min(gotA, gotB);
  let at = -1;
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      at = i;
      break;
    }
  }
  // equal CRCs over unequal bytes are possible in principle; equal bytes with unequal CRCs are not
  if (at === -1 && shortRead !== null) at = n;
  if (at === -1) return { masterCrc, slaveCrc, firstDifference: -1, masterByte: null, slaveByte: null, shortRead };
  return { masterCrc, slaveCrc, firstDifference: at, masterByte: at < gotA ? a[at]! : null, slaveByte: at < gotB ? b[at]! : null, shortRead };
}
