// Consumer progress of one broker, per (group, topic, queue), as RocketMQ's consumerProgress
// reports it: the queue's max offset (#Broker Offset), the group's committed offset (#Consumer
// Offset), their difference (#Diff, the lag), the messages delivered and not acked (#Inflight)
// and the store time of the last consumed message (#LastTime: the message just below the
// committed offset, when it is still readable).
//
// Read through the engine's public API only: the committed offsets are consumerOffset.json's
// table (MessageStore.consumerOffsetsJson), offsets come from the consume queues. Every queue
// 0..readQueueNums-1 of a topic the group has progress on is listed; a queue the group never
// committed on has consumerOffset null and a diff counted from the queue's first offset (where
// a new group starts, RocketMQ's consumeFromMinEnable). Bounded: at most MAX_PROGRESS_ROWS rows
// (then `truncated` is true); #LastTime is looked up for at most MAX_TIMESTAMP_LOOKUPS rows.
export const MAX_PROGRESS_ROWS = 10_000;
export const MAX_TIMESTAMP_LOOKUPS = 2_000;

export interface ProgressSource {
  /** consumerOffset.json text ({"offsetTable": {"topic@group": {"queueId": offset}}}). */
  offsetsJson(): string;
  /** The topic's readable queue count, or undefined when the broker does not know the topic. */
  readQueueNums(topic: string): number | undefined;
  maxOffset(topic: string, queueId: number): number;
  minOffset(topic: string, queueId: number): number;
  /** Delivered, not yet acked (0 when unknown). */
  inflight(group: string, topic: string, queueId: number): number;
  /** Store timestamp (ms) of the message at `offset`, or null when it cannot be read. */
  storeTimestamp(topic: string, queueId: number, offset: number): Promise<number | null>;
}

export interface QueueProgress {
  group: string;
  topic: string;
  queueId: number;
  brokerOffset: number;
  consumerOffset: number | null;
  diff: number;
  inflight: number;
  lastTimestamp: number | null;
}

export interface GroupProgress {
  group: string;
  topics: string[];
  diffTotal: number;
  inflightTotal: number;
}

export interface ConsumerProgress {
  brokerName: string;
  rows: QueueProgress[];
  groups: GroupProgress[];
  truncated: boolean;
}

/** "topic@group" -> queueId -> offset, from the offsets JSON (malformed parts are skipped). */
export function offsetTableOf(json: string): Map<string, { topic: string; group: string; queues: Map<number, number> }> {
  const out = new Map<string, { topic: string; group: string; queues: Map<number, number> }>();
  const table = (JSON.parse(json) as { offsetTable?: Record<string, Record<string, number>> }).offsetTable ?? {};
  for (const [key, byQueue] of Object.entries(table)) {
    const at = key.lastIndexOf('@');
    if (at <= 0 || at === key.length - 1 || typeof byQueue !== 'object' || byQueue === null) continue;
    const queues = new Map<number, number>();
    for (const [q, o] of Object.entries(byQueue)) if (Number.isInteger(Number(q)) && Number.isSafeInteger(o)) queues.set(Number(q), o);
    out.set(key, { topic: key.slice(0, at), group: key.slice(at + 1), queues });
  }
  return out;
}

/** Rows without #LastTime (cheap: no message reads), for the metrics and as the first step. */
export function progressRows(src: ProgressSource, group?: string): { rows: QueueProgress[]; truncated: boolean } {
  const rows: QueueProgress[] = [];
  const entries = [...offsetTableOf(src.offsetsJson()).values()]
    .filter((e) => group === undefined || e.group === group)
    .sort((a, b) => (a.group === b.group ? cmp(a.topic, b.topic) : cmp(a.group, b.group)));
  for (const e of entries) {
    const known = src.readQueueNums(e.topic);
    const queueIds = new Set<number>(e.queues.keys());
    for (let q = 0; q < (known ?? 0); q++) queueIds.add(q);
    for (const queueId of [...queueIds].sort((a, b) => a - b)) {
      if (rows.length >= MAX_PROGRESS_ROWS) return { rows, truncated: true };
      const brokerOffset = src.maxOffset(e.topic, queueId);
      const committed = e.queues.get(queueId);
      const from = committed ?? src.minOffset(e.topic, queueId);
      rows.push({
        group: e.group,
        topic: e.topic,
        queueId,
        brokerOffset,
        consumerOffset: committed ?? null,
        diff: Math.max(0, brokerOffset - from),
        inflight: src.inflight(e.group, e.topic, queueId),
        lastTimestamp: null,
      });
    }
  }
  return { rows, truncated: false };
}

export async function consumerProgress(src: ProgressSource, brokerName: string, group?: string): Promise<ConsumerProgress> {
  const { rows, truncated } = progressRows(src, group);
  let lookups = 0;
  for (const r of rows) {
    if (r.consumerOffset === null || r.consumerOffset <= 0 || lookups >= MAX_TIMESTAMP_LOOKUPS) continue;
    lookups++;
    r.lastTimestamp = await src.storeTimestamp(r.topic, r.queueId, r.consumerOffset - 1);
  }
  const groups = new Map<string, GroupProgress>();
  for (const r of rows) {
    let g = groups.get(r.group);
    if (!g) groups.set(r.group, (g = { group: r.group, topics: [], diffTotal: 0, inflightTotal: 0 }));
    if (!g.topics.includes(r.topic)) g.topics.push(r.topic);
    g.diffTotal += r.diff;
    g.inflightTotal += r.inflight;
  }
  return { brokerName, rows, groups: [...groups.values()], truncated };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
