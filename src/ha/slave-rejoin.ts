// Opening the store of a node that starts as SLAVE: before replication begins, ask the master
// for its epoch history (one short connection to its HA port: the epoch frame, then close) and
// check this log against it (epoch-history.ts). A log that diverged — an old master rejoining
// after its slave was promoted and written to, or a slave ahead of a master that lost unflushed
// bytes — is cut back to where the two agree while the store is open (MessageStore.truncateLog:
// the dropped bytes are copied to quarantine/ first, the ConsumeQueues follow). The dropped byte
// count and the copy's place are logged and returned.
// Unless haRejoinAllowTruncate is set, the cut is refused (rejoin-guard.ts) when the master's
// history is not newer than this node's (a new or wiped master), when it would drop bytes this
// node acknowledged as a slave, or more than haRejoinTruncateMaxBytes: nothing is dropped, one
// ERROR line says why and what the operator can do, the outcome is 'refused', and the store opens
// anyway (its HA client then refuses to follow, visible in the HA status).
//
// An unreachable master does not block the start: the HaClient makes the same check on every
// connection and stops replication (never appends) if it finds a divergence then.
// The connection and its timeout go through the injected transport and scheduler (defaults:
// tcpTransport, realScheduler), the same runtime the node passes to startHa.
import { parseHostPort } from '../config/value-formats.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable } from '../util/scheduler.js';
import { EpochFile } from './epoch-file.js';
import { checkDivergence, formatEpochs } from './epoch-history.js';
import { EpochFrameDecoder, type EpochFrame } from './ha-protocol.js';
import { haRuntime, type HaRuntime } from './ha-runtime.js';
import { judgeTruncation, refusalAdvice, type RefusalKind } from './rejoin-guard.js';
import { loadOrCreateStoreId } from './store-identity.js';

/** What rejoin needs from a store (MessageStore satisfies it). */
export interface RejoinStore {
  readonly brokerRole: string;
  readonly fileIO: FileIO;
  readonly config: {
    readonly storePathRootDir: string;
    readonly storePathCommitLog: string;
    readonly mappedFileSizeCommitLog: number;
    readonly haMasterAddress: string | null;
    readonly brokerId: number;
    readonly haRejoinTruncateMaxBytes: number;
    readonly haRejoinAllowTruncate: boolean;
  };
  getMaxPhyOffset(): number;
  truncateLog(offset: number): Promise<{ droppedBytes: number; deletedSegments: number; quarantineDir: string | null }>;
  close(): Promise<void>;
}

export type RejoinOutcome =
  | { kind: 'not-a-slave' | 'empty-log' | 'consistent' }
  | { kind: 'master-unreachable'; reason: string }
  | { kind: 'truncated'; truncateTo: number; droppedBytes: number; commonEpoch: number; quarantineDir: string | null }
  /** The log diverged, but dropping [truncateTo, end) was refused (rejoin-guard.ts): nothing dropped. */
  | { kind: 'refused'; truncateTo: number; droppedBytes: number; commonEpoch: number; refusals: RefusalKind[]; reason: string };

/** transport, clock, scheduler: as in HaOptions (the node passes the same ones to both; the
 * clock is not read here today). */
export interface RejoinOptions extends Partial<HaRuntime> {
  /** Longest wait for the master's epoch frame (default 5000 ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** open(), and for a SLAVE with data, the divergence check and truncation described above. */
export async function openWithRejoin<S extends RejoinStore>(open: () => Promise<S>, logger: Logger, options: RejoinOptions = {}): Promise<{ store: S; rejoin: RejoinOutcome }> {
  const store = await open();
  const c = store.config;
  if (store.brokerRole !== 'SLAVE' || c.haMasterAddress === null) return { store, rejoin: { kind: 'not-a-slave' } };
  const end = store.getMaxPhyOffset();
  if (end === 0) return { store, rejoin: { kind: 'empty-log' } };
  const target = parseHostPort(c.haMasterAddress);
  let frame: EpochFrame;
  try {
    if (target === undefined) throw new Error(`haMasterAddress ${JSON.stringify(c.haMasterAddress)} is not host:port`);
    frame = await fetchEpochFrame(target, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, haRuntime(options));
  } catch (err) {
    const reason = (err as Error).message;
    logger.warn(`rejoin check skipped: master ${c.haMasterAddress} not reachable (${reason}); replication checks again on connect`);
    return { store, rejoin: { kind: 'master-unreachable', reason } };
  }
  const runtime = haRuntime(options);
  let local;
  let storeId: string;
  try {
    local = new EpochFile(store.fileIO, c.storePathRootDir).load();
    storeId = loadOrCreateStoreId(store.fileIO, c.storePathRootDir, runtime.random);
  } catch (err) {
    await store.close();
    throw err;
  }
  const check = checkDivergence(local, end, frame.entries, frame.masterMaxOffset);
  if (check.kind === 'consistent') return { store, rejoin: { kind: 'consistent' } };
  const { truncateTo, droppedBytes, commonEpoch } = check;
  const what = `this log diverged from master ${c.haMasterAddress} after offset ${truncateTo} (last common epoch ${commonEpoch}; master ${formatEpochs(frame.entries)} ending at ${frame.masterMaxOffset}, local ${formatEpochs(local)} ending at ${end})`;
  const verdict = judgeTruncation(
    { local, localEnd: end, master: frame.entries, masterEnd: frame.masterMaxOffset, truncateTo },
    { storeId, brokerId: c.brokerId, truncateMaxBytes: c.haRejoinTruncateMaxBytes, allowTruncate: c.haRejoinAllowTruncate },
  );
  if (!verdict.allowed) {
    logger.error(`rejoin refused: ${what}; not dropping its ${droppedBytes} bytes [${truncateTo}, ${end}) because ${verdict.reason}; ${refusalAdvice()}`);
    return { store, rejoin: { kind: 'refused', truncateTo, droppedBytes, commonEpoch, refusals: verdict.kinds, reason: verdict.reason } };
  }
  if (verdict.overridden.length > 0) logger.warn(`rejoin: haRejoinAllowTruncate=true overrides the refusal (${verdict.overridden.join(', ')}): dropping bytes this node would otherwise keep`);
  logger.warn(`rejoin: ${what}: dropping ${droppedBytes} bytes [${truncateTo}, ${end})`);
  let cut;
  try {
    cut = await store.truncateLog(truncateTo);
  } catch (err) {
    await store.close();
    throw err;
  }
  logger.warn(`rejoin: truncated the CommitLog to ${truncateTo} (${cut.deletedSegments} segment file(s) deleted); the dropped bytes are kept in ${cut.quarantineDir}`);
  return { store, rejoin: { kind: 'truncated', truncateTo, droppedBytes, commonEpoch, quarantineDir: cut.quarantineDir } };
}

/** Connect to a master's HA port, read its epoch frame, close. */
export function fetchEpochFrame(target: { host: string; port: number }, timeoutMs: number, runtime: Pick<HaRuntime, 'transport' | 'scheduler'>): Promise<EpochFrame> {
  return new Promise((resolve, reject) => {
    const socket = runtime.transport.connect(target);
    const decoder = new EpochFrameDecoder();
    let timer: Cancelable | null = null;
    const finish = (err: Error | null, frame?: EpochFrame): void => {
      timer?.cancel();
      socket.destroy();
      if (err) reject(err);
      else resolve(frame!);
    };
    timer = runtime.scheduler.after(timeoutMs, () => finish(new Error(`no epoch frame within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => {
      try {
        const done = decoder.push(chunk);
        if (done) finish(null, done.frame);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error('the master closed the connection before its epoch frame')));
  });
}
