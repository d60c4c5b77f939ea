// The slave's record finder: a real CommitLog (several segments, end-of-file blanks) fed in
// random cuts gives back exactly the log's bytes in its append pieces, every record once at its
// offset, whatever the cuts; a partial record is carried, never appended; garbage is refused, and
// so is a record whose header is valid but whose body does not match its BODYCRC.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaDispatcher } from '../../src/store/replica-dispatcher.js';
import { readCommitLog } from '../helpers/ha-logs.js';
import { openStore, smallConfig, SMALL_SEGMENT_BYTES } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-replica-scan-');
let log: Buffer;
let recordOffsets: number[];

beforeAll(async () => {
  const dir = newDir();
  const store = await openStore(smallConfig(dir, 'node'));
  recordOffsets = [];
  for (let i = 0; i < 300; i++) {
    const r = await store.putMessage({ topic: 'Scan', queueId: i % 4, body: `m${i}-${'z'.repeat((i * 211) % 3000)}`, keys: `k${i}` });
    recordOffsets.push(r.physicalOffset);
  }
  const end = store.runtimeInfo().wroteOffset;
  await store.close();
  log = readCommitLog(dir, 0, end, SMALL_SEGMENT_BYTES);
  expect(end).toBeGreaterThan(3 * SMALL_SEGMENT_BYTES); // blanks inside
});

afterAll(() => {
  log = Buffer.alloc(0);
});

function feed(cuts: number[]): { appended: Buffer; offsets: number[]; carried: number } {
  const d = new ReplicaDispatcher(0, SMALL_SEGMENT_BYTES);
  const out: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const cut of [...cuts, log.byteLength]) {
    if (cut <= at) continue;
    const scan = d.scan(at, log.subarray(at, cut));
    if ('error' in scan) throw new Error(scan.error);
    expect(scan.appendFrom).toBe(d.appendedOffset);
    out.push(...scan.appendPieces.map((p) => Buffer.from(p)));
    offsets.push(...scan.records.map((r) => r.offset));
    d.apply(scan);
    at = cut;
  }
  return { appended: Buffer.concat(out), offsets, carried: d.nextOffset - d.appendedOffset };
}

describe('ReplicaDispatcher', () => {
  it('any cuts: the pieces are the log, each record once at its offset', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 400_000 }), { maxLength: 80 }), (raw) => {
        const cuts = raw.filter((c) => c < log.byteLength).sort((a, b) => a - b);
        const r = feed(cuts);
        expect(r.carried).toBe(0);
        expect(r.appended.equals(log)).toBe(true);
        expect(r.offsets).toEqual(recordOffsets);
      }),
      { numRuns: 60 },
    );
  });

  it('byte by byte around a record boundary and a blank', () => {
    const cuts: number[] = [];
    for (let i = 1; i < 2 * SMALL_SEGMENT_BYTES; i += i < SMALL_SEGMENT_BYTES - 5000 ? 997 : 1) cuts.push(i);
    const r = feed(cuts);
    expect(r.appended.equals(log)).toBe(true);
    expect(r.offsets).toEqual(recordOffsets);
  });

  it('refuses garbage after a carried partial record, and bytes that do not continue', () => {
    const d = new ReplicaDispatcher(0, SMALL_SEGMENT_BYTES);
    const first = d.scan(0, log.subarray(0, 50));
    expect('error' in first).toBe(false);
    if ('error' in first) return;
    expect(first.appendPieces).toEqual([]); // half a record: nothing to append yet
    d.apply(first);
    const garbageRecord = Buffer.from(log.subarray(0, recordOffsets[1]!));
    const topicAt = 88 + 3 + 1; // body 'm0-' (3 bytes) after the 88-byte IPv4 header, then TOPIC LENGTH
    expect(garbageRecord.subarray(topicAt, topicAt + 4).toString()).toBe('Scan');
    garbageRecord.fill(0, topicAt, topicAt + 4); // zeros inside the carried record (a torn write)
    const bad = d.scan(50, garbageRecord.subarray(50));
    expect(bad).toMatchObject({ error: expect.stringContaining('not a record') });
    expect(d.scan(51, log.subarray(51, 60))).toMatchObject({ error: expect.stringContaining('do not continue') });
  });

  it('refuses a record with a valid header and a changed body (BODYCRC), whole or carried', () => {
    const end = recordOffsets[3]!;
    const forged = Buffer.from(log.subarray(0, end));
    const bodyAt = recordOffsets[1]! + 88; // the body of record 1 follows its 88-byte IPv4 header
    forged[bodyAt]! ^= 0x20; // 'm' -> 'M': same size, same structure
    const whole = new ReplicaDispatcher(0, SMALL_SEGMENT_BYTES).scan(0, forged);
    expect(whole).toMatchObject({ error: expect.stringMatching(new RegExp(`offset ${recordOffsets[1]} are not a record: body CRC mismatch: stored -?\\d+, computed -?\\d+`)) });
    // cut inside the forged record: the carried part is checked once it completes
    const d = new ReplicaDispatcher(0, SMALL_SEGMENT_BYTES);
    const first = d.scan(0, forged.subarray(0, bodyAt - 10));
    if ('error' in first) throw new Error(first.error);
    expect(first.records.map((r) => r.offset)).toEqual([0]);
    d.apply(first);
    expect(d.scan(bodyAt - 10, forged.subarray(bodyAt - 10))).toMatchObject({ error: expect.stringContaining('body CRC mismatch') });
    // the unchanged bytes pass
    expect('error' in new ReplicaDispatcher(0, SMALL_SEGMENT_BYTES).scan(0, log.subarray(0, end))).toBe(false);
  });
});
