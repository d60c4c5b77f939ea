// `mqstore admin dledgerStatus` text: this member's Raft state, then one row per other member
// (what the leader knows of it; "-" on a member that does not lead). A node that is not a
// DLedger member prints one `#DLedger` line saying so.
import type { NodeStatus } from './node-status.js';

export function formatDLedgerStatus(s: NodeStatus): string {
  const d = s.dledger;
  if (!d) return ['', `#DLedger\tnot a DLedger member (enableDLegerCommitLog=false)`].join('\n');
  const leader = d.leaderId === null ? '-' : `${d.leaderId}${d.leaderAddr ? ` (${d.leaderAddr})` : ''}`;
  const lines = [
    '',
    `#Group\t${d.group}`,
    `#SelfId\t${d.selfId}`,
    `#Role\t${d.role}`,
    `#Term\t${d.term}`,
    `#Leader\t${leader}`,
    `#AcceptingPuts\t${d.acceptingPuts}`,
    `#ConfirmOffset\t${d.confirmOffset}`,
    `#LogEnd\t${d.logEnd}`,
    `#Elections\t${d.elections}`,
    ...(d.failure ? [`#Failure\t${d.failure}`] : []),
    `${'#Peer'.padEnd(12)} ${'#Addr'.padEnd(24)} ${'#MatchOffset'.padStart(16)} ${'#LagBytes'.padStart(16)} ${'#Connected'.padStart(10)}`,
  ];
  for (const p of d.peers) {
    lines.push(`${p.id.padEnd(12)} ${p.addr.padEnd(24)} ${String(p.matchOffset ?? '-').padStart(16)} ${String(p.lagBytes ?? '-').padStart(16)} ${String(p.connected).padStart(10)}`);
  }
  return lines.join('\n');
}
