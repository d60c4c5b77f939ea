// Counts of what the broker served, for the Prometheus series (metrics/broker-metrics.ts):
// messages and body bytes put per (topic, message type), send refusals per status code, and
// messages delivered (receive) and acked per (topic, consumer group). Plain numbers in maps:
// prom-client is not imported here, and nothing is computed per request beyond a map update.
//
// Label cardinality is bounded: at most MAX_COUNTED_TOPICS distinct topics and
// MAX_COUNTED_GROUP_TOPICS distinct (topic, group) pairs get their own row; what comes after
// is added to the OTHER_LABEL row ("_other_"), so the totals stay exact and a client that
// invents topic names cannot grow the broker's memory or the scrape without bound. Send
// refusal codes are a closed set (status-codes.ts).
export const MAX_COUNTED_TOPICS = 256;
export const MAX_COUNTED_GROUP_TOPICS = 1024;
export const OTHER_LABEL = '_other_';

export interface TopicCount {
  topic: string;
  messageType: string;
  messages: number;
  bytes: number;
}

export interface GroupTopicCount {
  topic: string;
  group: string;
  received: number;
  acked: number;
}

export interface BrokerCountsSnapshot {
  sent: TopicCount[];
  sendFailures: Array<{ code: string; count: number }>;
  consumed: GroupTopicCount[];
}

export class BrokerCounters {
  private readonly sent = new Map<string, TopicCount>();
  private readonly failures = new Map<string, number>();
  private readonly consumed = new Map<string, GroupTopicCount>();

  /** One message put (status OK) on `topic`. */
  recordSent(topic: string, messageType: string, bodyBytes: number): void {
    const t = this.sent.size < MAX_COUNTED_TOPICS || this.sent.has(`${topic}\u0001${messageType}`) ? topic : OTHER_LABEL;
    const key = `${t}\u0001${messageType}`;
    let row = this.sent.get(key);
    if (!row) this.sent.set(key, (row = { topic: t, messageType, messages: 0, bytes: 0 }));
    row.messages++;
    row.bytes += bodyBytes;
  }

  /** One message refused or failed with the protocol's code name. */
  recordSendFailure(code: string): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  recordReceived(group: string, topic: string, count: number): void {
    this.groupTopic(group, topic).received += count;
  }

  recordAcked(group: string, topic: string, count: number): void {
    this.groupTopic(group, topic).acked += count;
  }

  snapshot(): BrokerCountsSnapshot {
    return {
      sent: [...this.sent.values()].map((r) => ({ ...r })),
      sendFailures: [...this.failures].map(([code, count]) => ({ code, count })),
      consumed: [...this.consumed.values()].map((r) => ({ ...r })),
    };
  }

  private groupTopic(group: string, topic: string): GroupTopicCount {
    let key = `${topic}\u0001${group}`;
    let row = this.consumed.get(key);
    if (row) return row;
    if (this.consumed.size >= MAX_COUNTED_GROUP_TOPICS) {
      key = `${OTHER_LABEL}\u0001${OTHER_LABEL}`;
      row = this.consumed.get(key);
      if (row) return row;
      group = OTHER_LABEL;
      topic = OTHER_LABEL;
    }
    row = { topic, group, received: 0, acked: 0 };
    this.consumed.set(key, row);
    return row;
  }
}
