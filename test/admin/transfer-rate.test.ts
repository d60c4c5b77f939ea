// The transfer-rate decorator samples on its Scheduler, at its interval, on its clock: with a
// ManualClock + ManualScheduler the rate follows simulated time, and close() stops the timer.
import { describe, expect, it } from 'vitest';
import { haServiceProvider } from '../../src/admin/ha-status-provider.js';
import { withTransferRates } from '../../src/admin/transfer-rate.js';
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler } from '../../src/util/scheduler.js';

const slave = (transferredBytes: number) => ({ address: '10.0.0.2:40000', ackedOffset: 0, lagBytes: 0, transferredBytes, inSync: true });

describe('withTransferRates on a manual scheduler', () => {
  it('samples once per interval of simulated time and stops on close', async () => {
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    let bytes = 0;
    const raw = () => ({ role: 'ASYNC_MASTER', listenPort: 1, masterMaxOffset: 0, replicatedOffset: 0, slaves: [slave(bytes)] });
    const p = withTransferRates(haServiceProvider({ status: raw, close: async () => {} }), { intervalMs: 1000, nowMs: () => clock.monotonicMs(), scheduler });
    const rate = (): number | undefined => {
      const s = p.status();
      return s?.kind === 'master' ? s.slaves[0]!.transferredBytesPerSecond : undefined;
    };
    expect(scheduler.size).toBe(1);
    scheduler.advance(1000); // first sample: no rate yet
    bytes = 3000;
    scheduler.advance(999);
    expect(rate()).toBe(0); // the second sample is not due yet
    scheduler.advance(1);
    expect(rate()).toBe(3000);
    bytes = 4000;
    scheduler.advance(1000);
    expect(rate()).toBe(1000);
    await p.close();
    expect(scheduler.size).toBe(0);
    bytes = 100_000;
    scheduler.advance(5000);
    expect(rate()).toBe(1000);
  });
});
