// A promotion survives a restart: `<storePathRootDir>/config/promotion.json` records that this
// store directory was promoted from SLAVE to a master role (`mqstore admin promote`, or
// StoreNode.promote). The role follows the data, not the config file: a promoted node holds
// writes its old master never had, and starting it again as a SLAVE of that master would make
// it follow (and cut back to) the old log.
//
// File (JSON, written atomically and fsynced before the role changes; see persist-promotion.ts):
//   { "version": 1, "brokerRole": "ASYNC_MASTER" | "SYNC_MASTER", "promotedAtMs": <epoch ms>,
//     "brokerName": "...", "previous": { "brokerRole": "SLAVE", "brokerId": 1,
//     "haMasterAddress": "host:port" | null } }
//
// At start (promotionAtStart), with a record present:
//   config says a master role         -> the config is followed (it agrees); the record is kept
//   config says SLAVE of the same     -> the config was not changed since the promotion: the node
//   haMasterAddress as `previous`        runs as the recorded role with brokerId 0 (a master is
//                                        brokerId 0, RocketMQ's rule) and says so loudly
//   config says SLAVE of another      -> refused (ConfigError, exit 2): demoting a promoted node
//   master                               is an operator's decision: delete the file first
// A record that cannot be read or parsed is refused (ERR_STORE_CORRUPT naming the file).
import { join } from 'node:path';
import { loadStoreConfig, type StoreConfigInput } from '../config/load-config.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import { ConfigError, ErrorCode, IoError, StoreError } from '../errors.js';
import { readTextFile, writeFileAtomic, ensureDir } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';

export type MasterRole = 'ASYNC_MASTER' | 'SYNC_MASTER';

export interface PromotionRecord {
  version: 1;
  brokerRole: MasterRole;
  promotedAtMs: number;
  brokerName: string;
  previous: { brokerRole: 'SLAVE'; brokerId: number; haMasterAddress: string | null };
}

export type PromotionAtStart =
  | { kind: 'none' }
  | { kind: 'config-agrees'; record: PromotionRecord; path: string }
  | { kind: 'applied'; record: PromotionRecord; path: string };

export function promotionRecordPath(storePathRootDir: string): string {
  return join(storePathRootDir, 'config', 'promotion.json');
}

export function readPromotionRecord(io: FileIO, path: string): PromotionRecord | null {
  let text: string | null;
  try {
    text = readTextFile(io, path);
  } catch (err) {
    // a store root that is a file (or under one) holds no record; the store's open names the key
    if (err instanceof IoError && err.errnoCode === 'ENOTDIR') return null;
    throw err;
  }
  if (text === null) return null;
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `not JSON (${(err as Error).message})`);
  }
  const r = o as Partial<PromotionRecord> | null;
  const p = r?.previous;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.version !== 1 ||
    (r.brokerRole !== 'ASYNC_MASTER' && r.brokerRole !== 'SYNC_MASTER') ||
    typeof r.promotedAtMs !== 'number' ||
    typeof r.brokerName !== 'string' ||
    typeof p !== 'object' ||
    p === null ||
    p.brokerRole !== 'SLAVE' ||
    typeof p.brokerId !== 'number' ||
    (p.haMasterAddress !== null && typeof p.haMasterAddress !== 'string')
  ) {
    throw corrupt(path, `not a version 1 promotion record: ${text.slice(0, 300)}`);
  }
  return r as PromotionRecord;
}

export function writePromotionRecord(io: FileIO, path: string, record: PromotionRecord): void {
  ensureDir(io, join(path, '..'));
  writeFileAtomic(io, path, `${JSON.stringify(record, null, 2)}\n`);
}

export function newPromotionRecord(config: Readonly<MessageStoreConfig>, role: MasterRole, nowMs: number): PromotionRecord {
  return {
    version: 1,
    brokerRole: role,
    promotedAtMs: nowMs,
    brokerName: config.brokerName,
    previous: { brokerRole: 'SLAVE', brokerId: config.brokerId, haMasterAddress: config.haMasterAddress },
  };
}

/** The config input to open with (the recorded role applied when it must be) and what was decided. */
export function promotionAtStart(input: StoreConfigInput, io: FileIO, logger: Logger): { input: StoreConfigInput; decision: PromotionAtStart } {
  // the same config the store will load; its warnings come once, from the store's own load
  const config = loadStoreConfig(input, { warn: () => {} });
  const path = promotionRecordPath(config.storePathRootDir);
  const record = readPromotionRecord(io, path);
  if (record === null) return { input, decision: { kind: 'none' } };
  const when = new Date(record.promotedAtMs).toISOString();
  if (config.brokerRole !== 'SLAVE') {
    logger.info(`this store directory was promoted to ${record.brokerRole} on ${when} (${path}); the config says ${config.brokerRole}, which agrees`);
    return { input, decision: { kind: 'config-agrees', record, path } };
  }
  if (config.haMasterAddress !== record.previous.haMasterAddress) {
    throw new ConfigError(
      'brokerRole',
      'SLAVE',
      `a master role: this store directory was promoted from SLAVE (of ${record.previous.haMasterAddress}) to ${record.brokerRole} on ${when}, and the config now makes it a SLAVE of ${String(config.haMasterAddress)}; ` +
        `to demote it, first check with 'mqstore verify' that the new master holds this node's log, then delete ${path} (see the README, "Failover")`,
    );
  }
  logger.warn(
    `PROMOTED: this store directory was promoted to ${record.brokerRole} on ${when} (recorded in ${path}). ` +
      `The config still says brokerRole=SLAVE brokerId=${config.brokerId} haMasterAddress=${String(config.haMasterAddress)}; running as ${record.brokerRole} with brokerId 0. ` +
      `Update the config to brokerRole=${record.brokerRole} brokerId=0 without haMasterAddress (README, "Failover"); to make this node a slave again, delete ${path} first.`,
  );
  return { input: { ...input, brokerRole: record.brokerRole, brokerId: 0 }, decision: { kind: 'applied', record, path } };
}

function corrupt(path: string, why: string): StoreError {
  return new StoreError(ErrorCode.CORRUPT, `promotion record ${path}: ${why}; fix or delete it (it keeps a promoted node a master across restarts)`);
}
