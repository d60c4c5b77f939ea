// `mqstore admin haStatus` text, laid out as RocketMQ 5's HAStatusSubCommand (spec §8.3):
// master: #MasterAddr, #MasterCommitLogMaxOffset, #SlaveNum, #InSyncSlaveNum, then one row per
// slave connection (`%-32s  %-16d %16d %16.2f %16s %16d`); slave: #MasterAddr,
// #CommitLogMaxOffset, #TransferSpeed(KB/s), #LastReadTime, #LastWriteTime, #MasterFlushOffset.
// Where mqstore has no value RocketMQ prints, the column shows "-" (e.g. #TransferFromWhere when
// the HA service does not report it); mqstore adds #Connected and #Diff for a slave. A node
// without an HA service prints the same header and a `#HAService` line saying why.
import type { HaMasterStatus, HaSlaveStatus } from './ha-status-provider.js';
import type { NodeStatus } from './node-status.js';

export function formatHaStatus(s: NodeStatus): string {
  const ha = s.ha;
  if (ha?.kind === 'master') return masterText(s.brokerAddr, ha);
  if (ha?.kind === 'slave') return slaveText(ha);
  const why = `#HAService\tnot running (${s.haNote ?? 'no HA service in this node'})`;
  if (s.brokerRole === 'SLAVE') {
    return [``, `#MasterAddr\t${s.haMasterAddress ?? '-'}`, `#CommitLogMaxOffset\t${s.maxPhyOffset}`, `#Connected\tfalse`, why].join('\n');
  }
  return [``, `#MasterAddr\t${s.brokerAddr}`, `#MasterCommitLogMaxOffset\t${s.maxPhyOffset}`, `#SlaveNum\t0`, `#InSyncSlaveNum\t0`, why].join('\n');
}

function masterText(brokerAddr: string, ha: HaMasterStatus): string {
  const lines = [
    '',
    `#MasterAddr\t${brokerAddr}`,
    `#MasterCommitLogMaxOffset\t${ha.masterMaxOffset}`,
    `#SlaveNum\t${ha.slaves.length}`,
    `#InSyncSlaveNum\t${ha.slaves.filter((x) => x.inSync).length}`,
    `${'#SlaveAddr'.padEnd(32)}  ${'#SlaveAckOffset'.padEnd(16)} ${'#Diff'.padStart(16)} ${'#TransferSpeed(KB/s)'.padStart(16)} ${'#Status'.padStart(16)} ${'#TransferFromWhere'.padStart(16)}`,
  ];
  for (const c of ha.slaves) {
    const speed = ((c.transferredBytesPerSecond ?? 0) / 1024).toFixed(2);
    const from = c.transferFromOffset === undefined ? '-' : String(c.transferFromOffset);
    lines.push(
      `${c.address.padEnd(32)}  ${String(c.ackedOffset).padEnd(16)} ${String(c.lagBytes).padStart(16)} ${speed.padStart(16)} ` +
        `${(c.inSync ? 'OK' : 'Fall Behind').padStart(16)} ${from.padStart(16)}`,
    );
  }
  return lines.join('\n');
}

function slaveText(ha: HaSlaveStatus): string {
  const speed = ha.receivedBytesPerSecond === undefined ? '-' : (ha.receivedBytesPerSecond / 1024).toFixed(2);
  return [
    '',
    `#MasterAddr\t${ha.masterAddress}`,
    `#CommitLogMaxOffset\t${ha.slaveMaxOffset}`,
    `#TransferSpeed(KB/s)\t${speed}`,
    `#LastReadTime\t${ha.lastReadTimestamp === undefined ? '-' : humanTime(ha.lastReadTimestamp)}`,
    `#LastWriteTime\t${ha.lastWriteTimestamp === undefined ? '-' : humanTime(ha.lastWriteTimestamp)}`,
    `#MasterFlushOffset\t${ha.masterMaxOffset}`,
    `#Connected\t${ha.connected}`,
    `#Diff\t${ha.lagBytes}`,
  ].join('\n');
}

/** RocketMQ UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS" in local time. */
export function humanTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
