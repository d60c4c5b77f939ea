// updateTopic (the admin path of config/topics.json): every value is checked before anything is
// written, a refusal names the field and changes nothing, an update keeps what it does not set,
// and what it writes is what a restarted broker loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TopicUpdateError, updateTopic } from '../../src/broker/topic-registry.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { openBroker, type InProcessBroker } from './broker-harness.js';

const newDir = tempDirs('mqstore-update-topic-');
let open: InProcessBroker | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

function refusal(fn: () => unknown): TopicUpdateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TopicUpdateError) return err;
    throw err;
  }
  throw new Error('expected a TopicUpdateError');
}

describe('updateTopic', () => {
  it('refuses bad values naming the field, writes nothing; creates, updates, and a restart loads it', async () => {
    const dir = newDir();
    open = await openBroker(dir, { defaultTopicQueueNums: 3 });
    const { broker, store } = open;
    const file = join(store.config.storePathRootDir, 'config', 'topics.json');
    updateTopic(broker.topics, store.config, 'Kept', {});
    const before = readFileSync(file, 'utf8');
    expect(refusal(() => updateTopic(broker.topics, store.config, 'A', { readQueueNums: 0 }))).toMatchObject({ field: 'readQueueNums' });
    expect(refusal(() => updateTopic(broker.topics, store.config, 'A', { writeQueueNums: store.config.maxQueueId + 2 }))).toMatchObject({ field: 'writeQueueNums' });
    expect(refusal(() => updateTopic(broker.topics, store.config, 'A', { messageType: 'LIFO' as never }))).toMatchObject({ field: 'messageType' });
    expect(refusal(() => updateTopic(broker.topics, store.config, 'bad name!', {}))).toMatchObject({ field: 'topic' });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(broker.topics.get('A')).toBeUndefined();

    expect(updateTopic(broker.topics, store.config, 'A', { readQueueNums: 4, messageType: 'FIFO' })).toMatchObject({ created: true, row: { readQueueNums: 4, writeQueueNums: 3, order: true } });
    expect(updateTopic(broker.topics, store.config, 'A', { writeQueueNums: 2 })).toMatchObject({ created: false, row: { readQueueNums: 4, writeQueueNums: 2, attributes: { 'message.type': 'FIFO' } } });
    await open.close();
    open = await openBroker(dir, { defaultTopicQueueNums: 3 });
    expect(open.broker.topics.get('A')).toMatchObject({ readQueueNums: 4, writeQueueNums: 2, perm: 6, order: true, attributes: { 'message.type': 'FIFO' } });
    expect(open.broker.topics.get('Kept')).toMatchObject({ readQueueNums: 3, writeQueueNums: 3, attributes: { 'message.type': 'NORMAL' } });
  });
});
