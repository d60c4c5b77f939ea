// The README's usage example, through the package's public entry point.
import { describe, expect, it } from 'vitest';
import { GetMessageStatus, MessageStore, PutMessageStatus, StoreError } from '../../src/index.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

describe('public API (README example)', () => {
  it('opens, puts, gets, commits an offset and closes', async () => {
    const store = await MessageStore.open({ storePathRootDir: newDir(), flushDiskType: 'SYNC_FLUSH', logLevel: 'warn' });
    try {
      const put = await store.putMessage({ topic: 'TopicTest', queueId: 0, body: 'hello', tags: 'TagA', keys: 'order-1' });
      expect(put.status).toBe(PutMessageStatus.PUT_OK);
      const got = await store.getMessage({ group: 'g1', topic: 'TopicTest', queueId: 0, offset: 0, maxMsgNums: 32 });
      expect(got.status).toBe(GetMessageStatus.FOUND);
      expect(new TextDecoder().decode(got.messages[0]!.body!)).toBe('hello');
      expect(got.messages[0]!.tags).toBe('TagA');
      store.commitOffset('g1', 'TopicTest', 0, got.nextBeginOffset);
      expect(store.queryOffset('g1', 'TopicTest', 0)).toBe(1);
    } finally {
      await store.close();
    }
    expect(() => store.queryOffset('g1', 'TopicTest', 0)).toThrow(StoreError);
  });
});
