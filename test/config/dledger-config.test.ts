// The DLedger config keys: their formats one by one (with the mode off too), every bad
// combination a ConfigError naming the key at fault, and a valid group of 3 or 5 accepted (the
// node glue, src/dledger/, runs it).
import { describe, expect, it } from 'vitest';
import { parseDLedgerPeers } from '../../src/config/dledger-peers.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { DEFAULT_STORE_CONFIG } from '../../src/config/store-config.js';
import { ConfigError } from '../../src/errors.js';
import { raftTiming } from '../../src/raft/raft-settings.js';

const quiet = { warn: () => undefined };
const PEERS = 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913';
const group = { enableDLegerCommitLog: true, dLegerGroup: 'broker-a', dLegerPeers: PEERS, dLegerSelfId: 'n1' };

function keyOf(input: Record<string, unknown>): { key: string; message: string } {
  try {
    loadStoreConfig(input, quiet);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { key: (err as ConfigError).key, message: (err as Error).message };
  }
  throw new Error('loaded');
}

describe('DLedger config', () => {
  it('parses dLegerPeers and refuses malformed lists', () => {
    expect(parseDLedgerPeers('n0-a:1;n1-[::1]:2;n2-10.0.0.3:3;')).toMatchObject([
      { id: 'n0', address: { host: 'a', port: 1 } },
      { id: 'n1', address: { host: '::1', port: 2 } },
      { id: 'n2', address: { host: '10.0.0.3', port: 3 } },
    ]);
    expect(parseDLedgerPeers('n0-a:1;n0-b:2')).toMatch(/appears twice/);
    expect(parseDLedgerPeers('n0-a:1;n1-a:1')).toMatch(/same address/);
    expect(parseDLedgerPeers('a:1')).toMatch(/not id-host:port/);
    expect(parseDLedgerPeers('n0-a:70000')).toMatch(/port 1-65535/);
  });

  it('the keys are checked one by one with the mode off; the mode off needs nothing else', () => {
    expect(loadStoreConfig({ dLegerPeers: PEERS, dLegerSelfId: 'n0' }, quiet).dLegerPeers).toBe(PEERS);
    expect(keyOf({ dLegerPeers: 'n0-a:1;n0-b:2' }).key).toBe('dLegerPeers');
    expect(keyOf({ dLegerSelfId: 'n-0' }).key).toBe('dLegerSelfId');
    expect(keyOf({ heartBeatTimeIntervalMs: 0 }).key).toBe('heartBeatTimeIntervalMs');
    expect(keyOf({ maxHeartBeatLeak: 1 }).key).toBe('maxHeartBeatLeak');
    expect(loadStoreConfig({ isEnableBatchPush: 'true' }, quiet).enableBatchPush).toBe(true);
  });

  it('every bad combination names its key', () => {
    expect(keyOf({ ...group, dLegerGroup: undefined }).key).toBe('dLegerGroup');
    expect(keyOf({ ...group, dLegerPeers: undefined }).key).toBe('dLegerPeers');
    expect(keyOf({ ...group, dLegerSelfId: undefined }).key).toBe('dLegerSelfId');
    expect(keyOf({ ...group, dLegerSelfId: 'n7' })).toMatchObject({ key: 'dLegerSelfId', message: expect.stringContaining('n0, n1, n2') });
    expect(keyOf({ ...group, dLegerPeers: 'n0-h:1;n1-h:2;n2-h:3;n3-h:4' })).toMatchObject({ key: 'dLegerPeers', message: expect.stringContaining('3 or 5 members') });
    expect(keyOf({ ...group, dLegerPeers: 'n0-h:1;n1-h:2' }).key).toBe('dLegerPeers');
    expect(keyOf({ ...group, preferredLeaderId: 'n9' }).key).toBe('preferredLeaderId');
    expect(keyOf({ ...group, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' }).key).toBe('brokerRole');
    expect(keyOf({ ...group, haMasterAddress: '127.0.0.1:10912' }).key).toBe('haMasterAddress');
    expect(keyOf({ ...group, listenPort: 40912 })).toMatchObject({ key: 'dLegerPeers', message: expect.stringContaining('listenPort') });
    expect(keyOf({ ...group, minVoteIntervalMs: 500, maxVoteIntervalMs: 100 }).key).toBe('maxVoteIntervalMs');
  });

  it('a valid group of 3 or 5 is accepted', () => {
    expect(() => loadStoreConfig(group, quiet)).not.toThrow();
    expect(() => loadStoreConfig({ ...group, dLegerPeers: 'n0-h:1;n1-h:2;n2-h:3;n3-h:4;n4-h:5', preferredLeaderId: 'n3' }, quiet)).not.toThrow();
  });

  it('the default timing detects a dead leader within a second', () => {
    const d = Object.fromEntries(Object.entries(DEFAULT_STORE_CONFIG).map(([k, spec]) => [k, spec.default])) as unknown as Parameters<typeof raftTiming>[0];
    const timing = raftTiming(d);
    expect(timing.electionTimeoutMs).toBe(300);
    // the last heartbeat heard -> the follower's (pre-)vote starts
    expect(timing.electionTimeoutMs + timing.electionJitterMaxMs).toBeLessThanOrEqual(600);
    expect(timing.leaseMarginMs).toBeGreaterThan(0);
    expect(timing.maxAppendBytes).toBe(DEFAULT_STORE_CONFIG.haTransferBatchSize.default);
  });
});
