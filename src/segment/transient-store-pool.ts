// TransientStorePool: a fixed number of off-heap buffers, each one CommitLog segment long.
// With `transientStorePoolEnable` the writer appends into a borrowed buffer and the commit
// service copies it to the file; the buffer comes back when its segment is fully committed.
// Native backend: page-aligned addon memory (O_DIRECT-capable), mlocked when allowed.
// Node backend: SharedArrayBuffers. Borrowing from an empty pool returns null: the caller
// reports a clear status; it never waits and never falls back silently.
import type { FileIO } from '../io/file-io.js';
import { loadNativeAddon } from '../io/native-addon.js';
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import type { SharedMemoryHandle, WriteBuffer } from './write-buffer.js';

const LOW_WATER_RATIO = 0.4;

interface PoolSlot {
  bytes: Uint8Array;
  handle: SharedMemoryHandle;
}

export class TransientStorePool {
  private readonly free: PoolSlot[] = [];
  private readonly slots: PoolSlot[] = [];
  readonly locked: boolean;

  constructor(
    io: FileIO,
    readonly poolSize: number,
    readonly bufferBytes: number,
    private readonly logger: Logger,
  ) {
    const addon = io.backend === 'native' ? loadNativeAddon().addon : null;
    let locked = addon !== null;
    for (let i = 0; i < poolSize; i++) {
      let slot: PoolSlot;
      if (addon) {
        const memory = addon.allocAligned(bufferBytes, io.directAlignment);
        slot = { bytes: new Uint8Array(memory), handle: { kind: 'aligned', id: addon.alignedId(memory) } };
        locked &&= this.tryLock(() => addon.mlock(memory, 0, bufferBytes));
      } else {
        const buffer = new SharedArrayBuffer(bufferBytes);
        slot = { bytes: new Uint8Array(buffer), handle: { kind: 'sab', buffer } };
      }
      this.slots.push(slot);
      this.free.push(slot);
    }
    this.locked = locked;
  }

  get available(): number {
    return this.free.length;
  }

  /** A buffer for a new segment, or null when every buffer is in use. */
  borrow(): WriteBuffer | null {
    const slot = this.free.pop();
    if (!slot) return null;
    if (this.free.length < this.poolSize * LOW_WATER_RATIO) {
      this.logger.warn(`TransientStorePool low: ${this.free.length} of ${this.poolSize} buffers free`);
    }
    let released = false;
    return {
      bytes: slot.bytes,
      handle: slot.handle,
      origin: 'pool',
      release: () => {
        assert(!released, 'pool buffer released twice');
        released = true;
        this.free.push(slot);
      },
    };
  }

  private tryLock(lock: () => void): boolean {
    try {
      lock();
      return true;
    } catch (err) {
      this.logger.warn(`TransientStorePool: mlock failed (${(err as Error).message}); buffers stay pageable`);
      return false;
    }
  }
}
