// MessageStore.onMessageArrived (the public arrival notification a broker's long polling uses):
// a listener hears (topic, queueId) once the new entries are readable by getMessage, once per
// queue per dispatch round, stops hearing after removal, and a throwing listener is logged
// without breaking dispatch or the other listeners.
import { describe, expect, it } from 'vitest';
import { GetMessageStatus } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { AVAILABLE_BACKENDS, putOk, smallConfig, waitUntil, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-arrived-');
const backend = AVAILABLE_BACKENDS[0]!;

describe('onMessageArrived', () => {
  it('tells each queue that got readable entries, and nothing after removal', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      const heard: string[] = [];
      const readableWhenHeard: boolean[] = [];
      const remove = store.onMessageArrived((topic, queueId) => {
        heard.push(`${topic}/${queueId}`);
        // the entry must already be readable when the listener runs
        readableWhenHeard.push(store.getMaxOffsetInQueue(topic, queueId) > 0);
      });
      await putOk(store, { topic: 'A', queueId: 0, body: 'a' });
      await putOk(store, { topic: 'B', queueId: 3, body: 'b' });
      await waitUntil(() => heard.includes('A/0') && heard.includes('B/3'), 'both arrivals heard');
      expect(readableWhenHeard.every(Boolean)).toBe(true);
      const got = await store.getMessage({ group: 'g', topic: 'B', queueId: 3, offset: 0, maxMsgNums: 1 });
      expect(got.status).toBe(GetMessageStatus.FOUND);
      remove();
      const before = heard.length;
      await putOk(store, { topic: 'A', queueId: 0, body: 'c' });
      await waitUntil(() => store.getMaxOffsetInQueue('A', 0) === 2, 'second message readable');
      expect(heard.length).toBe(before);
    });
  });

  it('a throwing listener is logged; the others still hear and reads work', async () => {
    const logger = memoryLogger();
    await withStore(
      smallConfig(newDir(), backend),
      async (store) => {
        store.onMessageArrived(() => {
          throw new Error('listener bug');
        });
        const heard: string[] = [];
        store.onMessageArrived((topic) => heard.push(topic));
        await putOk(store, { topic: 'T', queueId: 1, body: 'x' });
        await waitUntil(() => heard.includes('T'), 'second listener heard');
        expect(logger.lines.some((l) => l.includes('listener bug'))).toBe(true);
        expect(store.getMaxOffsetInQueue('T', 1)).toBe(1);
      },
      { logger },
    );
  });
});
