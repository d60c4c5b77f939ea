// emulateDevice: a flush costs at least the emulated device's latency, and says so.
import { describe, expect, it } from 'vitest';
import { DEVICE_PROFILES, emulatedFlushMs } from '../../src/flush/device-emulation.js';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

describe('emulated devices', () => {
  it('flush cost = latency + bytes / bandwidth', () => {
    expect(emulatedFlushMs(DEVICE_PROFILES.hdd, 0)).toBe(8);
    expect(emulatedFlushMs(DEVICE_PROFILES.hdd, 150_000)).toBeCloseTo(9, 6);
  });

  it('a SYNC_FLUSH put on an emulated HDD takes at least its flush latency, and the store reports the emulation', async () => {
    const logger = memoryLogger();
    const store = await MessageStore.open({ storePathRootDir: newDir(), flushDiskType: 'SYNC_FLUSH', emulateDevice: 'hdd' }, { logger });
    try {
      expect(store.runtimeInfo().emulatedDevice).toBe('hdd');
      expect(logger.lines.some((l) => l.includes('EMULATED hdd'))).toBe(true);
      await store.putMessage({ topic: 'E', body: 'warm-up' });
      const started = performance.now();
      const r = await store.putMessage({ topic: 'E', body: 'x' });
      expect(r.status).toBe('PUT_OK');
      expect(performance.now() - started).toBeGreaterThanOrEqual(7.5);
    } finally {
      await store.close();
    }
  });
});
