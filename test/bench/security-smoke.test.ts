// Smoke run of the replication security bench (bench/repl-security.bench.ts) so it cannot rot:
// tiny sizes, every row rendered with a positive number.
import { describe, expect, it } from 'vitest';
import { replicationSecuritySuite } from '../../bench/repl-security.bench.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-sec-bench-');

describe('replication security bench smoke', () => {
  it('measures handshakes and catch-up per transport', async () => {
    const text = await replicationSecuritySuite({ dir: newDir(), connections: 5, catchUpBytes: 1e6, segmentBytes: 8 << 20 });
    expect(text).toMatch(/\| plain \| \d+\.\d{3} \|/);
    expect(text).toMatch(/\| auth \| \d+\.\d{3} \|/);
    expect(text).toMatch(/\| peer auth, socket sender \| \d+ \|/);
    expect(text).toContain('peer authentication:');
    if (!text.includes('TLS rows skipped')) expect(text).toMatch(/TLS throughput ratio to plain .*: \d+\.\d\dx/);
  }, 120_000);
});
