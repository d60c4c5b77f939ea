// Where the writer encodes records for one segment, and how another thread can see the same
// memory: a pooled off-heap buffer (TransientStorePool), a staging buffer (node backend without
// the pool), or the segment's own mapping (mmap mode, nothing left to commit).
//
//   origin   | memory                             | shared with the commit worker as
//   ---------+------------------------------------+-----------------------------------
//   pool     | addon aligned memory / SAB         | { kind: 'aligned', id } / { kind: 'sab', buffer }
//   staging  | SharedArrayBuffer of segment size  | { kind: 'sab', buffer }
//   mmap     | the file mapping                   | not shared: bytes are in the page cache already

export type SharedMemoryHandle =
  | { kind: 'sab'; buffer: SharedArrayBuffer }
  | { kind: 'aligned'; id: number }
  | { kind: 'none' };

export type WriteBufferOrigin = 'pool' | 'staging' | 'mmap';

export interface WriteBuffer {
  readonly bytes: Uint8Array;
  readonly handle: SharedMemoryHandle;
  readonly origin: WriteBufferOrigin;
  /** Give the memory back (to the pool, to the GC, or unmap). Call once. */
  release(): void;
}

/** Whether bytes written here still have to be copied to the file by the commit service. */
export function needsCommit(buffer: WriteBuffer): boolean {
  return buffer.origin !== 'mmap';
}

export function stagingBuffer(sizeBytes: number): WriteBuffer {
  const buffer = new SharedArrayBuffer(sizeBytes);
  return { bytes: new Uint8Array(buffer), handle: { kind: 'sab', buffer }, origin: 'staging', release: () => {} };
}
