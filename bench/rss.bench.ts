// Memory against log size: writes `totalBytes` of 1 KiB messages (ASYNC_FLUSH) and samples the
// process RSS after each segment's worth, to show that memory does not grow with the log.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';

export interface RssSample {
  writtenMiB: number;
  rssMiB: number;
  heapUsedMiB: number;
}

export async function rssSuite(o: { dir: string; totalBytes: number; segmentBytes: number; transientStorePoolEnable: boolean }): Promise<string> {
  const root = mkdtempSync(join(o.dir, 'rss-'));
  const store = await MessageStore.open(
    { storePathRootDir: root, mappedFileSizeCommitLog: o.segmentBytes, transientStorePoolEnable: o.transientStorePoolEnable, transientStorePoolSize: 2, logLevel: 'error', fileReservedTime: 1 },
    { logger: memoryLogger(100) },
  );
  const body = new Uint8Array(1024).fill(0x62);
  const samples: RssSample[] = [];
  const inFlight = 256;
  let seq = 0;
  let nextSampleAt = o.segmentBytes;
  const started = performance.now();
  try {
    const worker = async (): Promise<void> => {
      while (store.getMaxPhyOffset() < o.totalBytes && seq < o.totalBytes / 512) {
        seq++;
        await store.putMessage({ topic: 'RssTopic', queueId: seq & 7, body });
        if (store.runtimeInfo().wroteOffset >= nextSampleAt) {
          nextSampleAt += o.segmentBytes;
          const m = process.memoryUsage();
          samples.push({ writtenMiB: Math.round(store.runtimeInfo().wroteOffset / 2 ** 20), rssMiB: Math.round(m.rss / 2 ** 20), heapUsedMiB: Math.round(m.heapUsed / 2 ** 20) });
        }
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const lines = [
    `### Memory while writing ${(o.totalBytes / 2 ** 30).toFixed(1)} GiB (${o.transientStorePoolEnable ? 'TransientStorePool' : 'mmap'}, ${o.segmentBytes >> 20} MiB segments, ${(o.totalBytes / 2 ** 20 / seconds).toFixed(0)} MB/s)`,
    '',
    '| written MiB | RSS MiB | JS heap used MiB |',
    '|---:|---:|---:|',
    ...samples.map((s) => `| ${s.writtenMiB} | ${s.rssMiB} | ${s.heapUsedMiB} |`),
  ];
  return lines.join('\n');
}
