// `mqstore admin brokerStatus` text: the node status as RocketMQ's BrokerStatusSubCommand prints
// the runtime KV table (spec §8.1): one `%-32s: %s` line per key, keys in TreeMap (code unit)
// order. RocketMQ's key names are used where the value means the same (commitLogMaxOffset,
// putTps, remainHowManyDataToFlush, ...); mqstore's own values keep their /status names.
import type { NodeStatus } from './node-status.js';

const JAVA_INT_MAX = 2 ** 31 - 1;

export function brokerStatusTable(s: NodeStatus): Array<[string, string]> {
  const kv: Record<string, string> = {
    bootTimestamp: String(s.bootTimestamp),
    brokerActive: 'true',
    brokerAddr: s.brokerAddr,
    brokerClusterName: s.brokerClusterName,
    brokerId: String(s.brokerId),
    brokerName: s.brokerName,
    brokerRole: s.brokerRole,
    brokerVersionDesc: `mqstore ${s.version}`,
    commitLogMaxOffset: String(s.maxPhyOffset),
    commitLogMinOffset: String(s.minPhyOffset),
    committedOffset: String(s.committedOffset),
    diskFull: String(s.diskFull),
    dispatchBehindMessages: String(s.dispatchBehindMessages),
    flushDiskType: s.flushDiskType,
    flushedOffset: String(s.flushedOffset),
    haService: s.ha ? `${s.ha.kind} (${s.haService})` : `none${s.haNote ? ` (${s.haNote})` : ''}`,
    ioBackend: s.ioBackend,
    lastRecovery: recoveryText(s.lastRecovery),
    persistencePlacement: s.persistencePlacement,
    putMessageTimesTotal: String(s.putMessageTimesTotal),
    putTps: s.putTps.toFixed(2),
    remainHowManyDataToFlush: humanReadableByteCount(s.flushBehindBytes),
    remainTransientStoreBufferNumbs: String(s.transientStorePoolEnable ? (s.transientStorePoolAvailable ?? 0) : JAVA_INT_MAX),
    runtime: formatRuntime(s.uptimeMs),
    serviceFailure: s.serviceFailure ?? 'none',
    storePathRootDir: s.storePathRootDir,
    writeMode: s.writeMode,
    wroteOffset: String(s.wroteOffset),
  };
  if (s.transientStorePoolEnable) kv.remainHowManyDataToCommit = humanReadableByteCount(s.commitBehindBytes);
  if (s.haMasterAddress) kv.haMasterAddress = s.haMasterAddress;
  return Object.entries(kv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function formatBrokerStatus(s: NodeStatus): string {
  return brokerStatusTable(s)
    .map(([k, v]) => `${k.padEnd(32)}: ${v}`)
    .join('\n');
}

/** RocketMQ UtilAll.humanReadableByteCount(bytes, false): "512 B", "1.5 KiB", "2.0 GiB". */
export function humanReadableByteCount(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const exp = Math.min(6, Math.floor(Math.log(bytes) / Math.log(1024)));
  return `${(bytes / 1024 ** exp).toFixed(1)} ${'KMGTPE'.charAt(exp - 1)}iB`;
}

/** RocketMQ StoreStatsService.getFormatRuntime: "[ d days, h hours, m minutes, s seconds ]". */
export function formatRuntime(ms: number): string {
  const total = Math.floor(ms / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return `[ ${days} days, ${hours} hours, ${minutes} minutes, ${total % 60} seconds ]`;
}

function recoveryText(r: NodeStatus['lastRecovery']): string {
  if (!r) return 'none';
  const corrupt = r.corruption ? `, corruption in ${r.corruption.file} at ${r.corruption.position}: ${r.corruption.reason}` : '';
  return `log end ${r.endOffset}, scanned ${r.scannedBytes} bytes from ${r.scannedFrom}${corrupt}`;
}
