// Makes a promotion durable before it happens (write-ahead): the promotion record
// (promotion-record.ts) is written and fsynced first, then the HA service promotes. If the
// promotion is refused or fails, the record is removed again, so a record exists whenever the
// node acts as a promoted master and (but for a failed removal, which is logged) only then.
// Promotions are serialised: a second call waits for the first (the second is then refused by
// the HA service: the node is no longer a SLAVE, and that refusal must not remove the first's record).
import type { MessageStoreConfig } from '../config/store-config.js';
import { removeFile } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';
import { newPromotionRecord, promotionRecordPath, writePromotionRecord, type MasterRole } from './promotion-record.js';

export interface PersistPromotionInput {
  io: FileIO;
  config: Readonly<MessageStoreConfig>;
  /** The store's role right now. */
  brokerRole: () => string;
  nowMs: () => number;
  logger: Logger;
}

export type DurablePromote = <T>(role: MasterRole, promote: () => Promise<T>) => Promise<T>;

export function persistingPromotion(input: PersistPromotionInput): DurablePromote {
  const path = promotionRecordPath(input.config.storePathRootDir);
  let last: Promise<unknown> = Promise.resolve();
  const once = async <T>(role: MasterRole, promote: () => Promise<T>): Promise<T> => {
    // not a SLAVE: nothing to record; the HA service gives the refusal
    if (input.brokerRole() !== 'SLAVE') return promote();
    writePromotionRecord(input.io, path, newPromotionRecord(input.config, role, input.nowMs()));
    try {
      const result = await promote();
      input.logger.warn(`promoted to ${role}; recorded in ${path}: a restart with this config keeps the role (update the config: README, "Failover")`);
      return result;
    } catch (err) {
      if (input.brokerRole() === 'SLAVE') {
        try {
          removeFile(input.io, path);
        } catch (removeErr) {
          input.logger.error(`promotion failed and its record ${path} could not be removed (${(removeErr as Error).message}): delete it before restarting this node as a SLAVE`);
        }
      } else {
        input.logger.error(`promotion to ${role} failed after the role changed (${(err as Error).message}); the record ${path} is kept`);
      }
      throw err;
    }
  };
  return <T>(role: MasterRole, promote: () => Promise<T>): Promise<T> => {
    const run = last.then(
      () => once(role, promote),
      () => once(role, promote),
    );
    last = run.catch(() => undefined);
    return run;
  };
}
