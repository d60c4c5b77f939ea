// The promotion record (src/node/promotion-record.ts, persist-promotion.ts), in process:
//   - at start: none / config agrees / applied (SLAVE config unchanged -> the recorded master
//     role with brokerId 0, a loud warning) / refused (SLAVE of another master: ConfigError naming
//     the record); a damaged record is ERR_STORE_CORRUPT, not a guess;
//   - the record is written before the promotion runs, removed when it fails while still a SLAVE,
//     and a second promotion's refusal never removes the first's record.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { ConfigError, ErrorCode, StoreError } from '../../src/errors.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { persistingPromotion } from '../../src/node/persist-promotion.js';
import { newPromotionRecord, promotionAtStart, promotionRecordPath, readPromotionRecord, writePromotionRecord } from '../../src/node/promotion-record.js';
import { memoryLogger } from '../../src/util/logger.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-promotion-');
const io = new NodeFileIO();
const OLD_MASTER = '127.0.0.1:10912';

function slaveInput(dir: string, haMasterAddress = OLD_MASTER): Record<string, unknown> {
  return { storePathRootDir: dir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress, listenPort: 0, logLevel: 'warn' };
}

function recordIn(dir: string): string {
  const config = loadStoreConfig(slaveInput(dir), { warn: () => {} });
  const path = promotionRecordPath(dir);
  writePromotionRecord(io, path, newPromotionRecord(config, 'SYNC_MASTER', 1_700_000_000_000));
  return path;
}

describe('promotionAtStart', () => {
  it('no record: the input unchanged', () => {
    const dir = newDir();
    const input = slaveInput(dir);
    const r = promotionAtStart(input, io, memoryLogger());
    expect(r.decision.kind).toBe('none');
    expect(r.input).toBe(input);
  });

  it('a SLAVE config unchanged since the promotion: runs as the recorded role with brokerId 0, loudly', () => {
    const dir = newDir();
    const path = recordIn(dir);
    const logger = memoryLogger();
    const r = promotionAtStart(slaveInput(dir), io, logger);
    expect(r.decision).toMatchObject({ kind: 'applied', path, record: { brokerRole: 'SYNC_MASTER', previous: { brokerId: 1, haMasterAddress: OLD_MASTER } } });
    expect(r.input).toMatchObject({ brokerRole: 'SYNC_MASTER', brokerId: 0 });
    const effective = loadStoreConfig(r.input, { warn: () => {} });
    expect(effective.brokerRole).toBe('SYNC_MASTER'); // passes the brokerId rule
    expect(logger.lines.join('\n')).toMatch(/^WARN .*PROMOTED: .*SYNC_MASTER.*brokerId 0/m);
    expect(logger.lines.join('\n')).toContain(path);
  });

  it('a master config: the config is followed and the record kept', () => {
    const dir = newDir();
    const path = recordIn(dir);
    const input = { storePathRootDir: dir, brokerRole: 'ASYNC_MASTER' as const, brokerId: 0, listenPort: 0 };
    const r = promotionAtStart(input, io, memoryLogger());
    expect(r.decision.kind).toBe('config-agrees');
    expect(r.input).toBe(input);
    expect(existsSync(path)).toBe(true);
  });

  it('a SLAVE of another master: refused with a ConfigError naming the record', () => {
    const dir = newDir();
    const path = recordIn(dir);
    const err = (() => {
      try {
        promotionAtStart(slaveInput(dir, '127.0.0.1:20912'), io, memoryLogger());
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('brokerRole');
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('127.0.0.1:20912');
  });

  it('a damaged record is ERR_STORE_CORRUPT naming the file', () => {
    const dir = newDir();
    mkdirSync(join(dir, 'config'), { recursive: true });
    const path = promotionRecordPath(dir);
    for (const text of ['{not json', JSON.stringify({ version: 2, brokerRole: 'SLAVE' })]) {
      writeFileSync(path, text);
      expect(() => readPromotionRecord(io, path)).toThrow(StoreError);
      expect(() => promotionAtStart(slaveInput(dir), io, memoryLogger())).toThrow(/promotion record .*promotion\.json/);
      try {
        readPromotionRecord(io, path);
      } catch (e) {
        expect((e as StoreError).code).toBe(ErrorCode.CORRUPT);
      }
    }
  });
});

describe('persistingPromotion', () => {
  function setup(): { path: string; role: { value: string }; durable: ReturnType<typeof persistingPromotion> } {
    const dir = newDir();
    const config = loadStoreConfig(slaveInput(dir), { warn: () => {} });
    const role = { value: 'SLAVE' };
    const durable = persistingPromotion({ io, config, brokerRole: () => role.value, nowMs: () => 1_700_000_000_000, logger: memoryLogger() });
    return { path: promotionRecordPath(dir), role, durable };
  }

  it('writes the record before the promotion runs', async () => {
    const { path, role, durable } = setup();
    let seenBefore = false;
    await durable('ASYNC_MASTER', async () => {
      seenBefore = existsSync(path);
      role.value = 'ASYNC_MASTER';
    });
    expect(seenBefore).toBe(true);
    expect(readPromotionRecord(io, path)).toMatchObject({ brokerRole: 'ASYNC_MASTER', promotedAtMs: 1_700_000_000_000 });
  });

  it('a promotion that fails while still a SLAVE leaves no record', async () => {
    const { path, durable } = setup();
    await expect(durable('ASYNC_MASTER', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(existsSync(path)).toBe(false);
  });

  it('two at once: the second is refused by the service and the first one\'s record stays', async () => {
    const { path, role, durable } = setup();
    const promote = async (): Promise<void> => {
      if (role.value !== 'SLAVE') throw new StoreError(ErrorCode.INVALID_ARGUMENT, 'not SLAVE');
      await Promise.resolve();
      role.value = 'SYNC_MASTER';
    };
    const [first, second] = await Promise.allSettled([durable('SYNC_MASTER', promote), durable('ASYNC_MASTER', promote)]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect(readPromotionRecord(io, path)?.brokerRole).toBe('SYNC_MASTER');
  });
});
