// The broker's consumer groups: RocketMQ's config/subscriptionGroup.json (subscriptionGroupTable
// of SubscriptionGroupConfig rows, with RocketMQ's defaults). A group is created on first use
// (receive, ack, heartbeat, settings) when autoCreateSubscriptionGroup is on; otherwise an
// unknown group is refused with CONSUMER_GROUP_NOT_FOUND. Written atomically before use.
import type { MessageStoreConfig } from '../config/store-config.js';
import type { FileIO } from '../io/file-io.js';
import { ConfigJsonFile } from './config-json-file.js';
import { refuse } from './status-codes.js';

/** RocketMQ's group name rule (same characters as topics). */
const VALID_GROUP = /^[%|a-zA-Z0-9_-]+$/;
const MAX_GROUP_LENGTH = 255;

/** One row of subscriptionGroupTable, in RocketMQ's JSON shape. */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  subscriptionDataSet: unknown[];
  attributes: Record<string, string>;
}

export class GroupRegistry {
  private readonly file: ConfigJsonFile<SubscriptionGroupConfig>;
  private readonly groups: Map<string, SubscriptionGroupConfig>;

  constructor(
    io: FileIO,
    private readonly config: Readonly<MessageStoreConfig>,
    private readonly nowMs: () => number,
  ) {
    this.file = new ConfigJsonFile<SubscriptionGroupConfig>(io, config.storePathRootDir, 'subscriptionGroup.json', 'subscriptionGroupTable', checkGroupRow);
    this.groups = this.file.load();
  }

  get(name: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(name);
  }

  list(): SubscriptionGroupConfig[] {
    return [...this.groups.values()];
  }

  /** The group, created per autoCreateSubscriptionGroup; refuses ILLEGAL_CONSUMER_GROUP /
   * CONSUMER_GROUP_NOT_FOUND, and FORBIDDEN when the group's consumeEnable is false. */
  require(name: string): SubscriptionGroupConfig {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_GROUP_LENGTH || !VALID_GROUP.test(name)) {
      refuse('ILLEGAL_CONSUMER_GROUP', `consumer group '${String(name)}' is not a valid name (1..${MAX_GROUP_LENGTH} of %|a-zA-Z0-9_-)`);
    }
    let group = this.groups.get(name);
    if (!group) {
      if (!this.config.autoCreateSubscriptionGroup) {
        refuse('CONSUMER_GROUP_NOT_FOUND', `consumer group '${name}' does not exist on broker ${this.config.brokerName} and autoCreateSubscriptionGroup is false`);
      }
      group = this.put(name);
    }
    if (!group.consumeEnable) refuse('FORBIDDEN', `consumer group '${name}' has consumeEnable=false`);
    return group;
  }

  put(name: string, overrides: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
    const row: SubscriptionGroupConfig = {
      groupName: name,
      consumeEnable: true,
      consumeFromMinEnable: true,
      consumeBroadcastEnable: true,
      consumeMessageOrderly: false,
      retryQueueNums: 1,
      retryMaxTimes: 16,
      brokerId: 0,
      whichBrokerWhenConsumeSlowly: 1,
      notifyConsumerIdsChangedEnable: true,
      groupSysFlag: 0,
      consumeTimeoutMinute: 15,
      subscriptionDataSet: [],
      attributes: {},
      ...overrides,
    };
    const next = new Map(this.groups).set(name, row);
    this.file.save(next, this.nowMs());
    this.groups.set(name, row);
    return row;
  }
}

function checkGroupRow(name: string, row: unknown): string | null {
  if (typeof row !== 'object' || row === null) return 'not an object';
  const r = row as Partial<SubscriptionGroupConfig>;
  if (r.groupName !== name) return `groupName ${JSON.stringify(r.groupName)} differs from its key`;
  if (typeof r.consumeEnable !== 'boolean') return 'consumeEnable is not a boolean';
  if (!Number.isInteger(r.retryMaxTimes)) return 'retryMaxTimes is not an integer';
  return null;
}
