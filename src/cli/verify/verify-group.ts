// `mqstore verify --group-addr a,b,c` / `--group <dir>,<dir>,...`: the CommitLogs of a
// replica group (a DLedger group of 3 or 5) compared byte for byte up to a bound, so "all logs
// are identical up to the confirm offset" is one command.
//
// The bound:
//   --up-to N        given;
//   --group-addr     else the least confirm offset the members report in /status `dledger`
//                    (a member without `dledger` counts with its maxPhyOffset): every member
//                    holds the committed prefix, while bytes past it may differ (an old
//                    leader's unacknowledged tail not cut yet);
//   --group          else each log's scanned end (then a member behind is a prefix, not a
//                    difference; give --up-to to compare only a committed prefix).
// The reference is the member reporting role LEADER, else the first one; every other member is
// related to it (log-relation.ts). The group is identical when no member differs from the
// reference inside the range both hold (with a bound: every member holds all of it).
// The files are only read.
import { fetchNodeStatus, type AdminAddress } from '../../admin/admin-client.js';
import type { NodeStatus } from '../../admin/node-status.js';
import { readLogExtent, type LogExtent } from './commit-log-dir.js';
import type { CompareOptions, Difference } from './compare-logs.js';
import { relateLogs, type Relation } from './log-relation.js';

/** What /status says about a DLedger member (read loosely: older nodes have no `dledger`). */
interface DLedgerView {
  selfId?: string;
  role?: string;
  term?: number;
  confirmOffset?: number;
}

export interface GroupMemberSummary {
  dir: string;
  node: { addr: string; selfId: string | null; role: string | null; term: number | null; confirmOffset: number | null; maxPhyOffset: number } | null;
  minOffset: number;
  /** Where this member's compared log ends (the bound, when there is one). */
  endOffset: number;
  /** Relative to the reference ('identical' for the reference itself). */
  relation: Relation;
  identicalUpTo: number;
  firstDifference: Difference | null;
}

export interface GroupVerifyReport {
  mode: 'group';
  result: 'identical' | 'different';
  /** The compared bound, or null (--group without --up-to: the logs' own ends). */
  upTo: number | null;
  upToSource: 'given' | 'confirm-offsets' | 'log-ends';
  reference: number;
  /** Every member holds the same bytes as the reference over [from, identicalUpTo). */
  identicalUpTo: number;
  members: GroupMemberSummary[];
  comparedBytes: number;
  elapsedMs: number;
}

export interface GroupVerifyInput {
  dirs?: readonly string[];
  addrs?: readonly AdminAddress[];
  upTo?: number;
  compare: CompareOptions;
}

interface Member {
  dir: string;
  addr: string | null;
  status: NodeStatus | null;
  dledger: DLedgerView | null;
}

async function members(input: GroupVerifyInput): Promise<Member[]> {
  if (input.addrs) {
    return Promise.all(
      input.addrs.map(async (a) => {
        const status = await fetchNodeStatus(a);
        const dledger = ((status as { dledger?: DLedgerView | null }).dledger ?? null) as DLedgerView | null;
        return { dir: status.storePathCommitLog, addr: `${a.host}:${a.port}`, status, dledger };
      }),
    );
  }
  return (input.dirs ?? []).map((dir) => ({ dir, addr: null, status: null, dledger: null }));
}

function boundOf(input: GroupVerifyInput, group: readonly Member[]): { upTo: number | null; source: GroupVerifyReport['upToSource'] } {
  if (input.upTo !== undefined) return { upTo: input.upTo, source: 'given' };
  if (!input.addrs) return { upTo: null, source: 'log-ends' };
  const confirms = group.map((m) => m.dledger?.confirmOffset ?? m.status!.maxPhyOffset);
  return { upTo: Math.min(...confirms), source: 'confirm-offsets' };
}

export async function verifyGroup(input: GroupVerifyInput): Promise<GroupVerifyReport> {
  const started = performance.now();
  const group = await members(input);
  const { upTo, source } = boundOf(input, group);
  const extents: LogExtent[] = group.map((m) => readLogExtent(m.dir, upTo ?? undefined));
  const leader = group.findIndex((m) => m.dledger?.role === 'LEADER');
  const reference = leader >= 0 ? leader : 0;
  const order = [reference, ...group.map((_, i) => i).filter((i) => i !== reference)];
  const verdicts = await relateLogs(
    order.map((i) => extents[i]!),
    input.compare,
  );
  const summaries: GroupMemberSummary[] = group.map((m, i) => {
    const e = extents[i]!;
    const node = m.status
      ? {
          addr: m.addr!,
          selfId: m.dledger?.selfId ?? null,
          role: m.dledger?.role ?? null,
          term: m.dledger?.term ?? null,
          confirmOffset: m.dledger?.confirmOffset ?? null,
          maxPhyOffset: m.status.maxPhyOffset,
        }
      : null;
    if (i === reference) return { dir: e.dir, node, minOffset: e.minOffset, endOffset: e.endOffset, relation: 'identical', identicalUpTo: e.endOffset, firstDifference: null };
    const v = verdicts[order.indexOf(i) - 1]!;
    return { dir: e.dir, node, minOffset: e.minOffset, endOffset: v.memberEnd, relation: v.relation, identicalUpTo: v.identicalUpTo, firstDifference: v.difference };
  });
  const others = summaries.filter((_, i) => i !== reference);
  return {
    mode: 'group',
    result: others.some((s) => s.relation === 'different') ? 'different' : 'identical',
    upTo,
    upToSource: source,
    reference,
    identicalUpTo: Math.min(...others.map((s) => s.identicalUpTo)),
    members: summaries,
    comparedBytes: verdicts.reduce((sum, v) => sum + v.comparedBytes, 0),
    elapsedMs: Math.round(performance.now() - started),
  };
}

export function formatGroupReport(r: GroupVerifyReport): string {
  const lines: string[] = [];
  r.members.forEach((m, i) => {
    const n = m.node;
    const who = n ? `${n.addr}${n.selfId !== null ? ` ${n.selfId}` : ''}${n.role !== null ? ` (${n.role}, term ${n.term ?? '?'})` : ''} confirm ${n.confirmOffset ?? '-'} maxPhyOffset ${n.maxPhyOffset}: ` : '';
    const rel = i === r.reference ? 'reference' : m.relation === 'different' ? `DIFFERENT at offset ${m.firstDifference!.offset}: ${m.firstDifference!.detail}` : m.relation;
    lines.push(`member ${i}: ${who}${m.dir}: log [${m.minOffset}, ${m.endOffset}) ${rel}`);
  });
  const bound = r.upTo === null ? 'each log to its end' : `up to offset ${r.upTo} (${r.upToSource === 'given' ? '--up-to' : 'the least confirm offset'})`;
  const verdict = r.result === 'identical' ? `identical up to offset ${r.identicalUpTo} on all ${r.members.length} members` : 'DIFFERENT';
  lines.push(`group: ${verdict}; compared ${bound}, ${r.comparedBytes} bytes in ${r.elapsedMs} ms`);
  return lines.join('\n');
}
