// The replication security policy: a loopback node needs nothing; a node on a network address
// without replicationSecretFile is refused with a ConfigError naming the key (openNode refuses
// before the store opens), unless replicationTrustedNetwork=true (then a warning); a wildcard
// bind address is a warning; the secret file is checked (missing, too short, readable by
// others) and the TLS keys need their files; with TLS on, HA picks the socket sender.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { readSecretFile } from '../../src/net/security-files.js';
import { ConfigError } from '../../src/errors.js';
import { chooseSenderFactory } from '../../src/ha/ha-sender-choice.js';
import { tcpSender } from '../../src/ha/ha-tcp-sender.js';
import { replicationSecurity } from '../../src/net/replication-security.js';
import { isLoopbackHost, isWildcardHost } from '../../src/util/ip-address.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import { openNode } from '../../src/node/open-node.js';
import { systemClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { realScheduler } from '../../src/util/scheduler.js';
import { makeCaAndNodeCert, opensslUnavailable, writeSecretFile } from '../helpers/replication-secrets.js';
import { smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { configError } from '../helpers/config-errors.js';

const newDir = tempDirs('mqstore-repl-sec-');
const quiet = { warn: () => {} };

function policy(keys: Record<string, unknown>) {
  const logger = memoryLogger();
  const config = loadStoreConfig(keys, quiet);
  const run = () => replicationSecurity(config, { clock: systemClock, scheduler: realScheduler, logger });
  return { logger, run };
}

describe('replication security policy', () => {
  it('loopback needs no secret: the plain TCP transport, no warning', () => {
    for (const keys of [{}, { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' }, { brokerIP1: 'localhost' }, { brokerIP1: '::1' }]) {
      const { logger, run } = policy(keys);
      const s = run();
      expect(s.transport).toBe(tcpTransport);
      expect(s.authenticated).toBe(false);
      expect(logger.lines).toEqual([]);
    }
  });

  it('a network address without a secret is refused, naming the key and the way out', () => {
    for (const keys of [{ brokerIP1: '10.1.2.3' }, { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '10.0.0.5:10912' }, { brokerIP1: 'broker-a.example' }, { brokerIP1: '0.0.0.0' }]) {
      const e = configError(policy(keys).run);
      expect(e.key).toBe('replicationSecretFile');
      expect(e.message).toContain('replicationTrustedNetwork=true');
      expect(e.message).toContain('not a loopback address');
    }
  });

  it('replicationTrustedNetwork=true runs without a secret, with a warning', () => {
    const { logger, run } = policy({ brokerIP1: '10.1.2.3', replicationTrustedNetwork: true });
    expect(run().transport).toBe(tcpTransport);
    expect(logger.lines.filter((l) => l.includes('WITHOUT authentication'))).toHaveLength(1);
  });

  it('warns when the HA port binds a wildcard address', () => {
    for (const host of ['0.0.0.0', '::']) {
      const { logger, run } = policy({ brokerIP1: host, replicationTrustedNetwork: true });
      run();
      expect(logger.lines.filter((l) => l.includes('every network interface') && l.includes('brokerIP1'))).toHaveLength(1);
    }
  });

  it('with a secret: the peer-auth transport over TCP, bound to brokerName and brokerId', () => {
    const dir = newDir();
    const { run } = policy({ brokerIP1: '10.1.2.3', brokerName: 'broker-z', replicationSecretFile: writeSecretFile(dir) });
    const s = run();
    expect(s.transport.kind).toBe('auth+tcp');
    expect(s.transport.providesFileDescriptors).toBe(true);
    expect((s.transport as unknown as { peerAuth: { group: string; selfId: string; service: string } }).peerAuth).toMatchObject({ group: 'broker-z', selfId: '0', service: 'ha' });
  });

  it('checks the secret file: missing, too short, readable by others, a directory', () => {
    const dir = newDir();
    const missing = configError(() => readSecretFile('replicationSecretFile', join(dir, 'nope')));
    expect(missing.message).toContain('does not exist');
    const empty = configError(() => readSecretFile('replicationSecretFile', writeSecretFile(dir, 'empty', '\n')));
    expect(empty.message).toContain('is empty');
    const short = configError(() => readSecretFile('replicationSecretFile', writeSecretFile(dir, 'short', 'hunter2\n')));
    expect(short.message).toMatch(/holds 7 characters, fewer than 16/);
    const open = configError(() => readSecretFile('replicationSecretFile', writeSecretFile(dir, 'open', 'a'.repeat(40), 0o644)));
    expect(open.message).toContain('chmod 600');
    expect(open.message).toContain('0644');
    configError(() => readSecretFile('replicationSecretFile', dir));
    // the trailing newline and spaces are not part of the secret
    const ok = readSecretFile('replicationSecretFile', writeSecretFile(dir, 'ok', 'x'.repeat(20) + ' \r\n', 0o640));
    expect(ok.toString()).toBe('x'.repeat(20));
  });

  it('TLS needs its three files, and refuses haTransferMode=sendfile', () => {
    const e = configError(() => loadStoreConfig({ replicationTlsEnable: true }, quiet));
    expect(e.key).toBe('replicationTlsCertFile');
    const f = configError(() => loadStoreConfig({ replicationTlsEnable: true, replicationTlsCertFile: '/c', replicationTlsKeyFile: '/k', replicationTlsCaFile: '/a', haTransferMode: 'sendfile' }, quiet));
    expect(f.key).toBe('haTransferMode');
  });

  it.skipIf(opensslUnavailable() !== null)('with TLS on the transport has no descriptors and HA picks the socket sender', () => {
    const dir = newDir();
    const c = makeCaAndNodeCert(dir, 'n');
    const { run } = policy({ replicationTlsEnable: true, replicationTlsCertFile: c.cert, replicationTlsKeyFile: c.key, replicationTlsCaFile: c.ca, replicationSecretFile: writeSecretFile(dir) });
    const s = run();
    expect(s.transport.kind).toBe('auth+tls');
    expect(s.transport.providesFileDescriptors).toBe(false);
    const logger = memoryLogger();
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'auto' }, logger, () => null, s.transport)).toBe(tcpSender);
    expect(logger.lines.join('\n')).toContain('auth+tls transport has no OS socket descriptors');
    expect(() => chooseSenderFactory({ haTransferMode: 'sendfile', ioBackend: 'auto' }, logger, () => null, s.transport)).toThrow(ConfigError);
  });

  it('openNode refuses a networked node without a secret before the store opens', async () => {
    const dir = newDir();
    const root = join(dir, 'store');
    await expect(openNode(smallConfig(root, 'node', { brokerIP1: '10.1.2.3' }), { logger: memoryLogger() })).rejects.toMatchObject({ key: 'replicationSecretFile' });
    expect(existsSync(root)).toBe(false);
  });

  it('host classification', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '0.0.0.0', '::', 'example.com', '192.168.1.1'].some(isLoopbackHost)).toBe(false);
    expect(['0.0.0.0', '::', ''].every(isWildcardHost)).toBe(true);
    expect(isWildcardHost('127.0.0.1')).toBe(false);
  });
});
