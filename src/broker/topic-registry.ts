// The broker's topics: RocketMQ's config/topics.json (topicConfigTable of TopicConfig rows), with
// the message type in the row's attributes as RocketMQ 5 keeps it (`message.type`: NORMAL, FIFO,
// DELAY, TRANSACTION). A topic is created on first use (route query or send) when
// autoCreateTopicEnable is on, with defaultTopicQueueNums read and write queues, perm 6 (RW) and
// type NORMAL; otherwise an unknown topic is refused with TOPIC_NOT_FOUND. Internal system topics
// (system-topics.ts) are refused with FORBIDDEN. Every change is
// written atomically before it is used (so a topic a client saw survives a crash).
// Invariants: names pass RocketMQ's topic rule; queue counts are in [1, maxQueueId + 1].
import type { MessageStoreConfig } from '../config/store-config.js';
import { topicBytes } from '../codec/topic-name.js';
import type { FileIO } from '../io/file-io.js';
import { ConfigJsonFile } from './config-json-file.js';
import { refuse } from './status-codes.js';
import { assertNotSystemTopic } from './system-topics.js';

export const TOPIC_MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] as const;
export type TopicMessageType = (typeof TOPIC_MESSAGE_TYPES)[number];
export const MESSAGE_TYPE_ATTRIBUTE = 'message.type';
/** RocketMQ's PermName: READ 4 | WRITE 2. */
export const PERM_READ = 4;
export const PERM_WRITE = 2;

/** One row of topicConfigTable, in RocketMQ's JSON shape. */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

export function messageTypeOf(topic: TopicConfig): TopicMessageType {
  const t = topic.attributes[MESSAGE_TYPE_ATTRIBUTE];
  return (TOPIC_MESSAGE_TYPES as readonly string[]).includes(t ?? '') ? (t as TopicMessageType) : 'NORMAL';
}

export class TopicRegistry {
  private readonly file: ConfigJsonFile<TopicConfig>;
  private readonly topics: Map<string, TopicConfig>;

  constructor(
    io: FileIO,
    private readonly config: Readonly<MessageStoreConfig>,
    private readonly nowMs: () => number,
  ) {
    const maxQueues = config.maxQueueId + 1;
    this.file = new ConfigJsonFile<TopicConfig>(io, config.storePathRootDir, 'topics.json', 'topicConfigTable', (name, row) => checkTopicRow(name, row, maxQueues));
    this.topics = this.file.load();
  }

  get(name: string): TopicConfig | undefined {
    return this.topics.get(name);
  }

  list(): TopicConfig[] {
    return [...this.topics.values()];
  }

  /** The topic, created per autoCreateTopicEnable; refuses ILLEGAL_TOPIC / TOPIC_NOT_FOUND. */
  require(name: string): TopicConfig {
    const bytes = topicBytes(name, this.config.maxTopicLength);
    if (!(bytes instanceof Uint8Array)) refuse('ILLEGAL_TOPIC', `topic '${name}': ${bytes.reason}`);
    assertNotSystemTopic(name);
    const known = this.topics.get(name);
    if (known) return known;
    if (!this.config.autoCreateTopicEnable) {
      refuse('TOPIC_NOT_FOUND', `topic '${name}' does not exist on broker ${this.config.brokerName} and autoCreateTopicEnable is false (create it first)`);
    }
    return this.put(name, { messageType: 'NORMAL' });
  }

  /** Create or replace a topic (the admin path and auto-creation); written before it is returned. */
  put(name: string, spec: { messageType: TopicMessageType; queueNums?: number }): TopicConfig {
    const queues = spec.queueNums ?? this.config.defaultTopicQueueNums;
    const row: TopicConfig = {
      topicName: name,
      readQueueNums: queues,
      writeQueueNums: queues,
      perm: PERM_READ | PERM_WRITE,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: spec.messageType === 'FIFO',
      attributes: { [MESSAGE_TYPE_ATTRIBUTE]: spec.messageType },
    };
    this.replace(row);
    return row;
  }

  /** Write `row` (already checked) as its topic's row, then use it. */
  replace(row: TopicConfig): void {
    const next = new Map(this.topics).set(row.topicName, row);
    this.file.save(next, this.nowMs());
    this.topics.set(row.topicName, row);
  }
}

/** What `mqstore admin updateTopic` may set; absent fields keep the topic's current value (or the
 * default of a new topic: defaultTopicQueueNums queues, NORMAL). */
export interface TopicUpdate {
  readQueueNums?: number;
  writeQueueNums?: number;
  messageType?: TopicMessageType;
}

/** Why `update` is refused: the field (as the admin API names it) and the reason. */
export class TopicUpdateError extends Error {
  constructor(
    readonly field: 'topic' | 'readQueueNums' | 'writeQueueNums' | 'messageType',
    message: string,
  ) {
    super(message);
  }
}

/** Create or change a topic (the admin path): every value is checked first, so a refused update
 * changes nothing; the file is written before the registry answers. Returns the new row and
 * whether the topic existed. */
export function updateTopic(registry: TopicRegistry, config: Readonly<MessageStoreConfig>, name: string, spec: TopicUpdate): { row: TopicConfig; created: boolean } {
  const bytes = topicBytes(name, config.maxTopicLength);
  if (!(bytes instanceof Uint8Array)) throw new TopicUpdateError('topic', `topic '${name}': ${bytes.reason}`);
  const maxQueues = config.maxQueueId + 1;
  for (const field of ['readQueueNums', 'writeQueueNums'] as const) {
    const n = spec[field];
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > maxQueues)) throw new TopicUpdateError(field, `${field} must be an integer in [1, ${maxQueues}] (maxQueueId + 1), got ${String(n)}`);
  }
  if (spec.messageType !== undefined && !(TOPIC_MESSAGE_TYPES as readonly string[]).includes(spec.messageType)) {
    throw new TopicUpdateError('messageType', `messageType must be one of ${TOPIC_MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(spec.messageType)}`);
  }
  const known = registry.get(name);
  const messageType = spec.messageType ?? (known ? messageTypeOf(known) : 'NORMAL');
  const row: TopicConfig = {
    ...(known ?? { perm: PERM_READ | PERM_WRITE, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0 }),
    topicName: name,
    readQueueNums: spec.readQueueNums ?? known?.readQueueNums ?? config.defaultTopicQueueNums,
    writeQueueNums: spec.writeQueueNums ?? known?.writeQueueNums ?? config.defaultTopicQueueNums,
    order: messageType === 'FIFO',
    attributes: { ...(known?.attributes ?? {}), [MESSAGE_TYPE_ATTRIBUTE]: messageType },
  } as TopicConfig;
  registry.replace(row);
  return { row, created: known === undefined };
}

function checkTopicRow(name: string, row: unknown, maxQueues: number): string | null {
  if (typeof row !== 'object' || row === null) return 'not an object';
  const r = row as Partial<TopicConfig>;
  if (r.topicName !== name) return `topicName ${JSON.stringify(r.topicName)} differs from its key`;
  for (const k of ['readQueueNums', 'writeQueueNums'] as const) {
    const n = r[k];
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > maxQueues) return `${k} ${String(n)} is not in [1, ${maxQueues}]`;
  }
  if (!Number.isInteger(r.perm)) return 'perm is not an integer';
  if (r.attributes === undefined) (r as TopicConfig).attributes = {};
  else if (typeof r.attributes !== 'object' || r.attributes === null) return 'attributes is not an object';
  return null;
}
