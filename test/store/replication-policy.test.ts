// The replication policy seam (src/replication/replication-policy.ts): the store asks the
// policy whether a put is admitted, what it waits for after the append, and how far consumers
// may read (the confirm offset; readUnCommitted lifts that limit). Exercised with a scripted
// policy, with noReplication, and with the classic policy's SYNC_MASTER answer when no HA runs.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { noReplication } from '../../src/replication/no-replication.js';
import type { ReplicationPolicy } from '../../src/replication/replication-policy.js';
import type { ReplicationWait } from '../../src/replication/replication-types.js';
import { memoryLogger } from '../../src/util/logger.js';
import { openStore, smallConfig, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();

/** A policy the test drives: a settable confirm offset, and puts that wait until released. */
function scriptedPolicy() {
  const waiting: Array<{ end: number; release: (w: ReplicationWait) => void }> = [];
  const state = { confirm: 0 as number | null, refusal: null as string | null, follows: false };
  const policy: ReplicationPolicy = {
    role: 'SCRIPTED',
    get follows() {
      return state.follows;
    },
    wantsPromptCommit: true,
    putRefusal: () => state.refusal,
    afterAppend: (end) => new Promise<ReplicationWait>((release) => waiting.push({ end, release })),
    confirmOffset: () => state.confirm,
  };
  return { policy, waiting, state };
}

describe('the replication policy decides', () => {
  it('what a put waits for after its append, and the status of each answer', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      const { policy, waiting } = scriptedPolicy();
      store.setReplicationPolicy(policy);
      expect(store.runtimeInfo().brokerRole).toBe('SCRIPTED');
      const puts = [0, 1, 2].map((i) => store.putMessage({ topic: 'P', body: `m${i}` }));
      await waitUntil(() => waiting.length === 3, 'three puts wait for replication');
      expect(waiting.map((w) => w.end)).toEqual([...waiting.map((w) => w.end)].sort((a, b) => a - b)); // in append order
      waiting[0]!.release('ok');
      waiting[1]!.release('timed-out');
      waiting[2]!.release('not-available');
      const results = await Promise.all(puts);
      expect(results.map((r) => r.status)).toEqual(['PUT_OK', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);
      expect(results[1]!.physicalOffset).toBeGreaterThan(0); // written, only not confirmed
      // a producer that does not wait (WAIT=false) is answered at once
      expect((await store.putMessage({ topic: 'P', body: 'no wait', properties: { WAIT: 'false' } })).status).toBe('PUT_OK');
      expect(waiting).toHaveLength(3);
    } finally {
      await store.close();
    }
  });

  it('whether a put is admitted, and whether replicated bytes are', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      const { policy, state } = scriptedPolicy();
      store.setReplicationPolicy(policy);
      state.refusal = 'not the leader (term 7)';
      expect(await store.putMessage({ topic: 'P', body: 'x' })).toMatchObject({ status: 'SERVICE_NOT_AVAILABLE', reason: 'not the leader (term 7)' });
      expect(store.appendReplicated(0, new Uint8Array(8)).status).toBe('NOT_SLAVE');
      state.follows = true;
      expect(store.appendReplicated(0, new Uint8Array(8)).status).not.toBe('NOT_SLAVE');
      expect(store.runtimeInfo().wroteOffset).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('how far consumers read: records past the confirm offset stay invisible until it moves', async () => {
    for (const readUnCommitted of [false, true]) {
      const store = await openStore(smallConfig(newDir(), 'node', { readUnCommitted }), { logger: memoryLogger() });
      try {
        const { policy, waiting, state } = scriptedPolicy();
        store.setReplicationPolicy(policy);
        const puts = [0, 1, 2, 3].map((i) => store.putMessage({ topic: 'V', body: `v${i}` }));
        await waitUntil(() => waiting.length === 4, 'four puts appended');
        await store.waitCommitted(waiting[3]!.end, 10_000);
        state.confirm = waiting[1]!.end; // the first two are confirmed
        expect(store.getMaxOffsetInQueue('V', 0)).toBe(readUnCommitted ? 4 : 2);
        expect(store.runtimeInfo().confirmOffset).toBe(waiting[1]!.end);
        const got = await store.getMessage({ group: 'g', topic: 'V', queueId: 0, offset: 0, maxMsgNums: 32 });
        expect(got.messages.map((m) => new TextDecoder().decode(m.body!))).toEqual(readUnCommitted ? ['v0', 'v1', 'v2', 'v3'] : ['v0', 'v1']);
        state.confirm = waiting[3]!.end;
        expect(store.getMaxOffsetInQueue('V', 0)).toBe(4);
        for (const w of waiting) w.release('ok');
        await Promise.all(puts);
      } finally {
        await store.close();
      }
    }
  });

  it('noReplication: a SYNC_MASTER-configured store answers PUT_OK with no slave; the classic policy answers SLAVE_NOT_AVAILABLE', async () => {
    const store = await openStore(smallConfig(newDir(), 'node', { brokerRole: 'SYNC_MASTER' }), { logger: memoryLogger() });
    try {
      expect((await store.putMessage({ topic: 'N', body: 'classic' })).status).toBe('SLAVE_NOT_AVAILABLE');
      store.setReplicationPolicy(noReplication);
      expect((await store.putMessage({ topic: 'N', body: 'none' })).status).toBe('PUT_OK');
      store.setReplicationPolicy(null);
      expect(store.replication.role).toBe('SYNC_MASTER');
    } finally {
      await store.close();
    }
  });

  it('a live truncation keeps the unconfirmed records below the cut waiting for the confirm offset; next queue offsets cover them', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      const { policy, state } = scriptedPolicy();
      store.setReplicationPolicy({ ...policy, afterAppend: () => null, get follows() { return state.follows; }, confirmOffset: () => state.confirm });
      const puts = [];
      for (let i = 0; i < 4; i++) puts.push(await store.putMessage({ topic: 'C', body: `c${i}` }));
      const cut = puts[2]!.physicalOffset; // keep c0, c1; drop c2, c3
      state.follows = true;
      await store.truncateLog(cut);
      const read = async () => (await store.getMessage({ group: 'g', topic: 'C', queueId: 0, offset: 0, maxMsgNums: 10 })).messages.map((m) => new TextDecoder().decode(m.body));
      expect(await read()).toEqual([]);
      state.confirm = cut;
      await waitUntil(() => store.getMaxOffsetInQueue('C', 0) === 2, 'c0 and c1 dispatched once confirmed');
      expect(await read()).toEqual(['c0', 'c1']);
      state.follows = false;
      const next = await store.putMessage({ topic: 'C', body: 'c2-again' });
      expect(next.queueOffset).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('the optional hooks: onAppended for every put (WAIT=false too), busyRefusal, waitFailure', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      const ends: number[] = [];
      let busy: string | null = null;
      store.setReplicationPolicy({
        ...noReplication,
        role: 'HOOKS',
        onAppended: (end) => ends.push(end),
        busyRefusal: () => busy,
        afterAppend: () => Promise.resolve('timed-out'),
        waitFailure: (w) => ({ status: 'IN_SYNC_REPLICAS_NOT_ENOUGH', reason: `scripted ${w}` }),
      });
      const r = await store.putMessage({ topic: 'H', body: 'a' });
      expect(r).toMatchObject({ status: 'IN_SYNC_REPLICAS_NOT_ENOUGH', reason: 'scripted timed-out' });
      await store.putMessage({ topic: 'H', body: 'b', properties: { WAIT: 'false' } });
      expect(ends).toHaveLength(2);
      expect(ends[1]).toBe(store.runtimeInfo().wroteOffset);
      busy = 'too many waiting';
      expect(await store.putMessage({ topic: 'H', body: 'c' })).toMatchObject({ status: 'OS_PAGE_CACHE_BUSY', reason: 'too many waiting' });
      expect(ends).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it('console.log of a put result shows the plain result a user reads', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      const r = await store.putMessage({ topic: 'Show', body: 'hello' });
      const shown = inspect(r);
      expect(shown).toMatch(/^\{\s*status: 'PUT_OK',\s*offsetMsgId: '[0-9A-F]{32}'/);
      expect(shown).not.toMatch(/storeHost|single|batch|ids/);
      expect(JSON.parse(JSON.stringify(r))).toMatchObject({ status: 'PUT_OK', queueOffset: 0, messageCount: 1, offsetMsgId: r.offsetMsgId });
    } finally {
      await store.close();
    }
  });
});
