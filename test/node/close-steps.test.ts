// closeInOrder: steps run in order, a failing step does not stop the later ones, and the first
// failure is what the caller gets.
import { describe, expect, it } from 'vitest';
import { closeInOrder } from '../../src/node/close-steps.js';
import { memoryLogger } from '../../src/util/logger.js';

describe('closeInOrder', () => {
  it('attempts every step in order and rethrows the first failure', async () => {
    const ran: string[] = [];
    const logger = memoryLogger();
    const step = (what: string, fail: boolean) => ({
      what,
      close: async () => {
        ran.push(what);
        if (fail) throw new Error(`${what} broke`);
      },
    });
    const err = await closeInOrder([step('admin server', true), step('HA service', true), step('store', false)], logger).catch((e: unknown) => e);
    expect(ran).toEqual(['admin server', 'HA service', 'store']);
    expect((err as Error).message).toBe('admin server broke');
    expect(logger.lines.filter((l) => l.startsWith('ERROR'))).toEqual([
      'ERROR [mqstore] close: closing the admin server failed: admin server broke',
      'ERROR [mqstore] close: closing the HA service failed: HA service broke',
    ]);
  });

  it('resolves when every step closes', async () => {
    const ran: string[] = [];
    await closeInOrder([{ what: 'a', close: async () => void ran.push('a') }, { what: 'b', close: async () => void ran.push('b') }], memoryLogger());
    expect(ran).toEqual(['a', 'b']);
  });
});
