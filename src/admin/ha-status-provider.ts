// What the admin server, the metrics and the `mqstore admin` printers need from the HA service
// (src/ha/), as our own small interface: a status snapshot, an optional promote, and close.
// The HA service is built separately; this file is the contract we consume, so the admin side
// compiles and runs without it (noHaProvider) and does not depend on its internals.
//
// normalizeHaStatus() accepts what the HA service returns (any object of the documented shape)
// and checks it: a master status is recognised by its `slaves` array, a slave status by its
// `masterAddress`. Unknown extra fields are dropped; missing required fields are an error
// (ERR_ADMIN_BAD_HA_STATUS), so a contract drift shows up as a clear 500, not as wrong numbers.
import { AdminError, AdminErrorCode } from './admin-error.js';

/** One slave connection as the master sees it. */
export interface HaSlaveConnection {
  address: string;
  ackedOffset: number;
  /** masterMaxOffset - ackedOffset. */
  lagBytes: number;
  /** Bytes sent on this connection since it opened. */
  transferredBytes: number;
  inSync: boolean;
  /** Next offset the sender will send (RocketMQ #TransferFromWhere), when the service reports it. */
  transferFromOffset?: number;
  /** Bytes sent in the last second, computed by the admin side (TransferRate). */
  transferredBytesPerSecond?: number;
}

export interface HaMasterStatus {
  role: string;
  kind: 'master';
  listenPort: number;
  slaves: HaSlaveConnection[];
  masterMaxOffset: number;
  /** The offset enough slaves (inSyncReplicas) acknowledged, when the service reports it. */
  replicatedOffset?: number;
}

export interface HaSlaveStatus {
  role: string;
  kind: 'slave';
  masterAddress: string;
  connected: boolean;
  slaveMaxOffset: number;
  /** The master's offset as last heard of (-1 before the first frame). */
  masterMaxOffset: number;
  lagBytes: number;
  /** The last connection error, when the service reports it. */
  lastError?: string | null;
  /** Bytes received from the master since start, when the service reports it. */
  receivedBytes?: number;
  receivedBytesPerSecond?: number;
  lastReadTimestamp?: number;
  lastWriteTimestamp?: number;
  /** Reconnects since replication last made progress; the pending reconnect's delay (0: none). */
  consecutiveFailures?: number;
  reconnectDelayMs?: number;
  /** Set when replication stopped because this log diverged from the master's: the bytes a
   * rejoin would drop, and why it would refuse to (null: a restart as SLAVE drops them). */
  diverged?: { truncateTo: number; droppedBytes: number; commonEpoch: number; refusal: string | null } | null;
}

export type HaStatus = HaMasterStatus | HaSlaveStatus;

export interface PromoteOutcome {
  /** What the HA service returned, passed through to the caller as JSON. */
  result: unknown;
}

export interface HaStatusProvider {
  /** 'ha-service' when the real HA service runs; 'none' otherwise (see `note`). */
  readonly kind: 'ha-service' | 'none';
  /** Why there is no HA service, for /status and the printers; null when there is one. */
  readonly note: string | null;
  /** The current HA status, or null when there is no HA service. */
  status(): HaStatus | null;
  /** The HA port this node listens on (a master), else null. */
  haPort(): number | null;
  /** Promote this node to master; absent when the service cannot. */
  readonly promote?: (role?: 'ASYNC_MASTER' | 'SYNC_MASTER') => Promise<PromoteOutcome>;
  close(): Promise<void>;
}

/** A node without an HA service: status null, no promote. */
export function noHaProvider(note: string): HaStatusProvider {
  return { kind: 'none', note, status: () => null, haPort: () => null, close: async () => {} };
}

/** The structural shape the HA service's startHa() returns (src/ha/ha-service.ts). */
export interface HaServiceLike {
  /** The master's HA port (the real one when haListenPort was 0); undefined on a slave. */
  readonly port?: number | undefined;
  status(): unknown;
  close(): Promise<void>;
  promote?: (...args: never[]) => unknown;
}

/** Wrap a running HA service (the object startHa returned) as a provider. */
export function haServiceProvider(service: HaServiceLike): HaStatusProvider {
  const promote = service.promote;
  return {
    kind: 'ha-service',
    note: null,
    status: () => normalizeHaStatus(service.status()),
    haPort: () => service.port ?? null,
    promote:
      typeof promote === 'function'
        ? async (role) => {
            const call = promote as (...args: unknown[]) => unknown;
            const result = role === undefined ? await call.call(service) : await call.call(service, role);
            return { result: result ?? null };
          }
        : undefined,
    close: () => service.close(),
  };
}

export function normalizeHaStatus(raw: unknown): HaStatus {
  if (raw === null || typeof raw !== 'object') throw bad('not an object', raw);
  const o = raw as Record<string, unknown>;
  const role = typeof o.role === 'string' ? o.role : String(o.role ?? '');
  if (Array.isArray(o.slaves)) {
    return {
      role,
      kind: 'master',
      listenPort: num(o, 'listenPort'),
      masterMaxOffset: num(o, 'masterMaxOffset'),
      slaves: o.slaves.slice(0, MAX_SLAVES).map(slaveConnection),
      ...optionalNumbers(o, ['replicatedOffset']),
    };
  }
  if (typeof o.masterAddress === 'string' || o.masterAddress === null) {
    return {
      role,
      kind: 'slave',
      masterAddress: o.masterAddress ?? '',
      connected: o.connected === true,
      slaveMaxOffset: num(o, 'slaveMaxOffset'),
      masterMaxOffset: num(o, 'masterMaxOffset'),
      lagBytes: num(o, 'lagBytes'),
      ...optionalNumbers(o, ['receivedBytes', 'lastReadTimestamp', 'lastWriteTimestamp', 'consecutiveFailures', 'reconnectDelayMs']),
      ...(typeof o.lastError === 'string' || o.lastError === null ? { lastError: o.lastError } : {}),
      ...divergedOf(o.diverged),
    };
  }
  throw bad('neither a master status (slaves[]) nor a slave status (masterAddress)', raw);
}

function divergedOf(raw: unknown): Pick<HaSlaveStatus, 'diverged'> {
  if (raw === null) return { diverged: null };
  if (raw === undefined || typeof raw !== 'object') return {};
  const o = raw as Record<string, unknown>;
  return { diverged: { truncateTo: num(o, 'truncateTo'), droppedBytes: num(o, 'droppedBytes'), commonEpoch: num(o, 'commonEpoch'), refusal: typeof o.refusal === 'string' ? o.refusal : null } };
}

/** More slave rows than this are cut (a bound on what /status and /metrics print). */
const MAX_SLAVES = 256;

function slaveConnection(raw: unknown): HaSlaveConnection {
  if (raw === null || typeof raw !== 'object') throw bad('a slave entry is not an object', raw);
  const o = raw as Record<string, unknown>;
  if (typeof o.address !== 'string') throw bad('a slave entry has no address', raw);
  return {
    address: o.address,
    ackedOffset: num(o, 'ackedOffset'),
    lagBytes: num(o, 'lagBytes'),
    transferredBytes: num(o, 'transferredBytes'),
    inSync: o.inSync === true,
    ...optionalNumbers(o, ['transferFromOffset']),
  };
}

function num(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw bad(`field '${key}' is not a number`, o);
}

function optionalNumbers(o: Record<string, unknown>, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (typeof v === 'bigint') out[k] = Number(v);
  }
  return out;
}

function bad(what: string, raw: unknown): AdminError {
  let shown: string;
  try {
    shown = JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))?.slice(0, 300) ?? String(raw);
  } catch (err) {
    shown = `<unprintable: ${(err as Error).message}>`;
  }
  return new AdminError(AdminErrorCode.BAD_HA_STATUS, `the HA service returned a status this node cannot read: ${what}: ${shown}`);
}
