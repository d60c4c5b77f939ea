// The bench's plain append log (issue 12's baseline) must do the work it claims: every record it
// writes reads back through the engine's own record reader with a valid body CRC, offsets in
// order, in both flush modes, across buffer swaps. A baseline that skipped work would flatter it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlainAppendLog, type PlainFlush } from '../../bench/lib/plain-append-log.js';
import { readRecord } from '../../src/codec/read-record.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();
// 12,000 records of ~1.1 KiB cross the 8 MiB buffer at least once.
const COUNT = 12_000;

describe.each<PlainFlush>(['ASYNC_FLUSH', 'SYNC_FLUSH'])('plain append log, %s', (flush) => {
  it('writes RocketMQ records that the engine reads back with valid CRCs and offsets', async () => {
    const file = join(newDir(), 'plain.log');
    const log = PlainAppendLog.open(file, flush);
    const body = (i: number): Uint8Array => new Uint8Array(1000 + (i % 50)).fill(i & 0xff);
    const pending = [];
    for (let i = 0; i < COUNT; i++) pending.push(log.put('BenchTopic', i % 4, body(i)));
    const results = await Promise.all(pending);
    await log.close();
    const bytes = new Uint8Array(readFileSync(file));
    expect(bytes.length).toBe(log.endOffset);
    let pos = 0;
    for (let i = 0; i < COUNT; i++) {
      const r = readRecord(bytes, pos, { checkCrc: true, readBody: true });
      if (r.kind !== 'message') throw new Error(`record ${i} at ${pos}: ${r.kind} ${'reason' in r ? r.reason : ''}`);
      expect(r.msg.physicalOffset).toBe(pos);
      expect(r.msg.queueId).toBe(i % 4);
      expect(r.msg.queueOffset).toBe(Math.floor(i / 4));
      expect(r.msg.topic).toBe('BenchTopic');
      expect(r.msg.body!.length).toBe(1000 + (i % 50));
      expect(results[i]!.physicalOffset).toBe(pos);
      pos += r.size;
    }
    expect(pos).toBe(bytes.length);
  });
});
