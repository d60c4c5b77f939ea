// Smoke run of the broker suite (issue 11 "Benchmark") so it cannot rot: one short case with the
// official client against an ASYNC_FLUSH broker, the echo ceilings and the send stages; the
// suite's own delivery check runs (a lost or duplicated message would throw). Redis rows are
// left out here (the full suite has them where redis-server is installed).
import { describe, expect, it } from 'vitest';
import { brokerSuite } from '../../bench/broker.bench.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-broker-bench-');

describe('broker bench smoke', () => {
  it('measures send and receive+ack with the delivery check, beside the echo, and renders the table', async () => {
    const text = await brokerSuite({ dir: newDir(), timeMs: 300, inflight: 8, bodyBytes: 1024, producers: 2, receivers: 1, modes: ['ASYNC_FLUSH'], redis: false, separateProcess: false });
    expect(text).toMatch(/^\| grpc-js unary echo \(1184 B\) \| \d+ \|/m);
    expect(text).toMatch(/^\| the same echo with the official client's 7 headers and deadline per call \| \d+ \|/m);
    const row = text.split('\n').find((l) => l.startsWith('| broker, ASYNC_FLUSH |'));
    expect(row, text).toBeDefined();
    const cells = row!.split('|').map((c) => c.trim());
    expect(Number(cells[2])).toBeGreaterThan(0); // send msg/s
    expect(Number(cells[7])).toBeGreaterThan(0); // receive+ack msg/s
    expect(cells[11]).toMatch(/^\d+ sent, all received and acked/);
    expect(text).toMatch(/^\| store\.putMessage, ASYNC_FLUSH, 32 in flight \| \d+\.\d \|$/m);
    expect(text).toMatch(/1-min load average/);
  }, 120_000);
});
