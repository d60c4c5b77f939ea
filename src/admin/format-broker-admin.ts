// `mqstore admin topicList | consumerProgress | clusterList` text, in mqadmin's column style:
// a `#Header` line, then fixed-width columns ('%-Ns' padding, two spaces apart), then for
// consumerProgress mqadmin's summary lines (Consume Diff Total, Inflight Total).
import type { ClusterList } from './cluster-list.js';
import type { ConsumerProgress } from './consumer-progress.js';

export interface TopicRow {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  messageType: string;
  order: boolean;
}

/** RocketMQ PermName.perm2String: R (4), W (2), X (1, inherit) or '-'. */
export function permString(perm: number): string {
  return `${perm & 4 ? 'R' : '-'}${perm & 2 ? 'W' : '-'}${perm & 1 ? 'X' : '-'}`;
}

function table(header: string[], widths: number[], rows: string[][]): string {
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatTopicList(rows: TopicRow[]): string {
  return table(
    ['#Topic', '#ReadQueues', '#WriteQueues', '#Perm', '#MessageType'],
    [48, 11, 12, 9, 12],
    rows.map((r) => [r.topicName, String(r.readQueueNums), String(r.writeQueueNums), `${r.perm} ${permString(r.perm)}`, r.messageType]),
  );
}

/** yyyy-MM-dd HH:mm:ss in UTC (mqadmin prints the broker's local time; UTC is unambiguous). */
export function formatTimestamp(ms: number | null): string {
  if (ms === null || ms <= 0) return 'N/A';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function formatConsumerProgress(p: ConsumerProgress, group: string | undefined): string {
  if (group === undefined) {
    const body = table(
      ['#Group', '#Topics', '#Diff Total', '#Inflight Total'],
      [48, 32, 12, 15],
      p.groups.map((g) => [g.group, g.topics.join(','), String(g.diffTotal), String(g.inflightTotal)]),
    );
    return p.truncated ? `${body}\n(truncated: more queues than the broker lists at once)` : body;
  }
  const body = table(
    ['#Topic', '#Broker Name', '#QID', '#Broker Offset', '#Consumer Offset', '#Diff', '#Inflight', '#LastTime'],
    [48, 24, 4, 14, 16, 10, 9, 19],
    p.rows.map((r) => [r.topic, p.brokerName, String(r.queueId), String(r.brokerOffset), r.consumerOffset === null ? '-' : String(r.consumerOffset), String(r.diff), String(r.inflight), formatTimestamp(r.lastTimestamp)]),
  );
  const g = p.groups.find((x) => x.group === group);
  const lines = [body, '', `Consume Diff Total: ${g?.diffTotal ?? 0}`, `Consume Inflight Total: ${g?.inflightTotal ?? 0}`];
  if (p.truncated) lines.push('(truncated: more queues than the broker lists at once)');
  return lines.join('\n');
}

export function formatClusterList(c: ClusterList): string {
  const body = table(
    ['#Cluster Name', '#Broker Name', '#BID', '#Addr', '#Role', '#Version', '#InTPS'],
    [16, 16, 4, 24, 22, 16, 8],
    c.members.map((m) => [
      m.clusterName,
      m.brokerName,
      m.brokerId === null ? (m.peerId ?? '-') : m.peerId !== null ? `${m.brokerId}/${m.peerId}` : String(m.brokerId),
      `${m.addr}${m.self ? ' *' : ''}`,
      m.role,
      m.version ?? '-',
      m.inTps === null ? '-' : m.inTps.toFixed(2),
    ]),
  );
  const mode = c.mode === 'dledger' ? `DLedger group${c.term !== null ? `, term ${c.term}` : ''}` : 'master/slave';
  return `${body}\n(${mode}; * = the node asked)`;
}
