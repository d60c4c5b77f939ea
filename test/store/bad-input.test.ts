// Bad input is an expected outcome: putMessage returns a status with a reason and writes nothing
// (no CommitLog bytes, no queue entry, no queue created). Bad configuration fails open() with a
// ConfigError naming the key; a closed store refuses use with ERR_STORE_CLOSED; a directory in
// use by a live store cannot be opened a second time.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, StoreError } from '../../src/errors.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageInput } from '../../src/store/statuses.js';
import { AVAILABLE_BACKENDS, type Backend, BACKENDS, openStore, putOk, smallConfig, waitCommitted, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-badinput-');

/** Input checks do not depend on where the persistence service runs (flush-modes.test.ts covers
 * both placements): in-thread here, which opens in ~2 ms instead of ~200 ms for a worker. */
function storeConfig(dir: string, backend: Backend, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return smallConfig(dir, backend, { flushServiceInWorker: false, ...overrides });
}

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`bad input on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

/** One property whose encoded form ("p" 0x01 value 0x02) is exactly `bytes` bytes. */
function propertiesOfBytes(bytes: number): Record<string, string> {
  return { p: 'v'.repeat(bytes - 3) };
}

/** Put `input`, expect `status` with a reason, and that nothing was written anywhere. */
async function expectRefused(store: MessageStore, input: PutMessageInput, status: PutMessageStatus, what: string): Promise<void> {
  const wrote = store.runtimeInfo().wroteOffset;
  const maxPhy = store.getMaxPhyOffset();
  const queueMax = typeof input.topic === 'string' ? store.getMaxOffsetInQueue(input.topic, 0) : 0;
  const r = await store.putMessage(input);
  expect(r.status, what).toBe(status);
  expect(typeof r.reason, what).toBe('string');
  expect(r.reason!.length, what).toBeGreaterThan(5);
  expect(r.offsetMsgId, what).toBeNull();
  expect(r.messageCount, what).toBe(0);
  expect(r.wroteBytes, what).toBe(0);
  expect(store.runtimeInfo().wroteOffset, what).toBe(wrote);
  expect(store.getMaxPhyOffset(), what).toBe(maxPhy);
  if (typeof input.topic === 'string') expect(store.getMaxOffsetInQueue(input.topic, 0), what).toBe(queueMax);
}

describe.each(AVAILABLE_BACKENDS)('bad messages: %s backend', (backend) => {
  it('refuses each bad message with a status and a reason, and writes nothing', async () => {
    const dir = newDir();
    await withStore(storeConfig(dir, backend), async (store) => {
      await putOk(store, { topic: 'Valid', body: 'seed' });
      await waitCommitted(store);
      const maxPhy = store.getMaxPhyOffset();
      const illegal = PutMessageStatus.MESSAGE_ILLEGAL;
      // body size (maxMessageSize = 4096)
      await expectRefused(store, { topic: 'Valid', body: new Uint8Array(4097) }, illegal, 'body of 4097 bytes');
      await expectRefused(store, { topic: 'Valid', body: 'x'.repeat(5000) }, illegal, 'string body of 5000 bytes');
      await expectRefused(store, { topic: 'Valid', body: 'é'.repeat(2049) }, illegal, 'string body of 4098 UTF-8 bytes');
      // properties: > 32767 encoded bytes
      const exceeded = PutMessageStatus.PROPERTIES_SIZE_EXCEEDED;
      await expectRefused(store, { topic: 'Valid', body: 'b', properties: propertiesOfBytes(32_768) }, exceeded, 'properties of 32768 bytes');
      await expectRefused(store, { topic: 'Valid', body: 'b', properties: { p: 'é'.repeat(16_383) } }, exceeded, 'properties of 32769 UTF-8 bytes (16386 chars)');
      await expectRefused(store, { topic: 'Valid', body: 'b', properties: { p: 'v'.repeat(32_000) }, keys: 'k'.repeat(1000) }, exceeded, 'properties + KEYS over 32767');
      // topics
      await expectRefused(store, { topic: '', body: 'b' }, illegal, 'empty topic');
      await expectRefused(store, { topic: 'T'.repeat(32_768), body: 'b' }, illegal, 'topic of 32768 bytes');
      for (const topic of ['a b', 'a/b', '../x', 'a.b', 'tópico', 'a\u0000b', 'a*b', 'tab\t']) {
        await expectRefused(store, { topic, body: 'b' }, illegal, `topic ${JSON.stringify(topic)}`);
      }
      // queue ids (maxQueueId = 1023)
      for (const queueId of [-1, 1024, 1.5, Number.NaN, 2 ** 31]) {
        await expectRefused(store, { topic: 'Valid', queueId, body: 'b' }, illegal, `queueId ${queueId}`);
      }
      // bad properties and flags
      await expectRefused(store, { topic: 'Valid', body: 'b', properties: { '': 'v' } }, illegal, 'empty property name');
      await expectRefused(store, { topic: 'Valid', body: 'b', properties: { a: 'x\u0001y' } }, illegal, 'separator in a property value');
      await expectRefused(store, { topic: 'Valid', body: 'b', flag: 2 ** 31 }, illegal, 'flag beyond int32');

      // the limits themselves are fine
      await putOk(store, { topic: 'Valid', body: new Uint8Array(4096) });
      await putOk(store, { topic: 'Valid', body: 'b', properties: propertiesOfBytes(32_767) });
      await putOk(store, { topic: 'Valid', queueId: 1023, body: 'b' });
      await putOk(store, { topic: 'Valid_1-%|x', body: 'b' });
      await waitCommitted(store);
      expect(store.getMaxOffsetInQueue('Valid', 0)).toBe(3);
      const got = await store.getMessage({ group: 'G', topic: 'Valid', queueId: 0, offset: 0, maxMsgNums: 8 });
      expect(got.messages.map((m) => m.body!.length)).toEqual([4, 4096, 1]);
      expect(store.getMaxPhyOffset()).toBeGreaterThan(maxPhy);
      for (const topic of ['', 'a b', 'a.b']) {
        expect((await store.getMessage({ group: 'G', topic, queueId: 0, offset: 0, maxMsgNums: 1 })).status).toBe(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE);
      }
      expect((await store.getMessage({ group: 'G', topic: 'Valid', queueId: 1024, offset: 0, maxMsgNums: 1 })).status).toBe(
        GetMessageStatus.NO_MATCHED_LOGIC_QUEUE,
      );
    });
    // no queue directory was made for a refused message
    expect(readdirSync(join(dir, 'consumequeue')).sort()).toEqual(['Valid', 'Valid_1-%|x']);
    expect(readdirSync(join(dir, 'consumequeue', 'Valid')).sort()).toEqual(['0', '1023']);
  });

  it('applies a configured maxQueueId', async () => {
    await withStore(storeConfig(newDir(), backend, { maxQueueId: 7 }), async (store) => {
      await expectRefused(store, { topic: 'Q', queueId: 8, body: 'b' }, PutMessageStatus.MESSAGE_ILLEGAL, 'queueId 8 > maxQueueId 7');
      expect((await putOk(store, { topic: 'Q', queueId: 7, body: 'b' })).queueOffset).toBe(0);
    });
  });

  // maxTopicLength ("Longest topic name in bytes", default 127 so records stay V1) is not applied:
  // prepareMessage is called with the V2 limit (32767) only, so a 128-byte topic is stored as a V2
  // record and a configured maxTopicLength has no effect.
  it('refuses a topic longer than maxTopicLength (default 127; and a configured 10)', async () => {
    await withStore(storeConfig(newDir(), backend), async (store) => {
      await expectRefused(store, { topic: 'T'.repeat(128), body: 'b' }, PutMessageStatus.MESSAGE_ILLEGAL, 'topic of 128 bytes');
      await putOk(store, { topic: 'T'.repeat(127), body: 'b' });
    });
    await withStore(storeConfig(newDir(), backend, { maxTopicLength: 10 }), async (store) => {
      await expectRefused(store, { topic: 'T'.repeat(11), body: 'b' }, PutMessageStatus.MESSAGE_ILLEGAL, 'topic of 11 bytes, maxTopicLength 10');
    });
  });
});

describe('bad configuration at open', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown key (near miss)', { flushDiskTyp: 'SYNC_FLUSH' }, 'flushDiskTyp'],
    ['an unknown key (no near miss)', { totallyUnknownSetting: 1 }, 'totallyUnknownSetting'],
    ['a bad enum value', { flushDiskType: 'SOMETIMES' }, 'flushDiskType'],
    ['a bad ioBackend', { ioBackend: 'fast' }, 'ioBackend'],
    ['a segment size that is not a multiple of 4096', { mappedFileSizeCommitLog: 100_000 }, 'mappedFileSizeCommitLog'],
    ['a segment too small for maxMessageSize + 64 KiB + 8', { mappedFileSizeCommitLog: 69_632 }, 'mappedFileSizeCommitLog'],
    ['a negative maxMessageSize', { maxMessageSize: -1 }, 'maxMessageSize'],
    ['a non-numeric number', { maxMessageSize: 'lots' }, 'maxMessageSize'],
    ['a non-boolean boolean', { transientStorePoolEnable: 'perhaps' }, 'transientStorePoolEnable'],
    ['a bad log level', { logLevel: 'loud' }, 'logLevel'],
  ];

  it.each(cases)('%s throws ConfigError (ERR_STORE_CONFIG) naming the key', async (_name, overrides, key) => {
    const dir = newDir();
    const config = { ...storeConfig(dir, 'node'), ...overrides };
    const err = await openStore(config).then(
      async (store) => {
        await store.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: ErrorCode.CONFIG, key });
    expect((err as Error).message).toContain(key);
    // a refused open leaves the directory free
    await withStore(storeConfig(dir, 'node'), async (store) => {
      await putOk(store, { topic: 'T', body: 'b' });
    });
  });

  it('an unknown key names the near miss', async () => {
    const err = await openStore({ ...storeConfig(newDir(), 'node'), flushDiskTyp: 'SYNC_FLUSH' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('flushDiskType');
  });
});

describe('closed store and directory lock', () => {
  it('throws ERR_STORE_CLOSED on use after close (close itself is idempotent)', async () => {
    const store = await openStore(storeConfig(newDir(), 'node'));
    await putOk(store, { topic: 'T', body: 'b' });
    await store.close();
    await store.close();
    const uses: Array<[string, () => unknown]> = [
      ['putMessage', () => store.putMessage({ topic: 'T', body: 'b' })],
      ['putMessages', () => store.putMessages([{ topic: 'T', body: 'b' }])],
      ['getMessage', () => store.getMessage({ group: 'G', topic: 'T', queueId: 0, offset: 0, maxMsgNums: 1 })],
      ['lookMessageByOffset', () => store.lookMessageByOffset(0)],
      ['getMaxOffsetInQueue', () => store.getMaxOffsetInQueue('T', 0)],
      ['getMinOffsetInQueue', () => store.getMinOffsetInQueue('T', 0)],
      ['commitOffset', () => store.commitOffset('G', 'T', 0, 1)],
      ['queryOffset', () => store.queryOffset('G', 'T', 0)],
    ];
    for (const [name, use] of uses) {
      // sync throw or rejected promise: both count as "throws"
      const err = await (async () => use())().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(StoreError);
      expect((err as StoreError).code, name).toBe(ErrorCode.CLOSED);
    }
  });

  // getMaxPhyOffset/getMinPhyOffset skip the open check that every other call makes, and return
  // stale positions from a closed store.
  it('throws ERR_STORE_CLOSED from getMaxPhyOffset and getMinPhyOffset after close', async () => {
    const store = await openStore(storeConfig(newDir(), 'node'));
    await store.close();
    expect(() => store.getMaxPhyOffset()).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
    expect(() => store.getMinPhyOffset()).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
  });

  it('refuses a directory locked by another live process and takes over a dead owner\u2019s lock', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'lock'), '1\n'); // pid 1 is always alive
    const err = await openStore(storeConfig(dir, 'node')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(dir);
    writeFileSync(join(dir, 'lock'), '99999999\n'); // above any pid_max: not alive
    await withStore(storeConfig(dir, 'node'), async (store) => {
      await putOk(store, { topic: 'T', body: 'b' });
    });
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  // StoreFiles.lock() only refuses a lock held by *another* live pid: a second open in the same
  // process succeeds, runs recovery on the live directory, and then both stores append to the
  // same files; closing either one deletes the lock and abort files of the other.
  it('refuses a second open of a directory that is open in this process', async () => {
    const dir = newDir();
    const first = await openStore(storeConfig(dir, 'node'));
    let second: MessageStore | null = null;
    try {
      await putOk(first, { topic: 'T', body: 'b' });
      const outcome = await openStore(storeConfig(dir, 'node')).then(
        (s) => {
          second = s;
          return 'opened';
        },
        (e: unknown) => e,
      );
      expect(outcome).toBeInstanceOf(StoreError);
    } finally {
      if (second) await (second as MessageStore).close();
      await first.close();
    }
  });
});
