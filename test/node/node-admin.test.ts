// prepareNodeAdmin, the admin port's start rules: a non-loopback admin host without
// adminTokenFile refuses to start (ConfigError naming the key) unless adminTrustedNetwork=true;
// a wildcard host is warned about; the token file must exist, be one token of >= 16 characters
// (its trailing newline trimmed) in a file only its owner can write and others cannot read; the related
// config cross-checks; and through openNode: a refused start happens before the store opens (no
// recovery, no rejoin check against a master, no port), and the same config then opens on loopback.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { ConfigError, memoryLogger, openNode } from '../../src/index.js';
import { prepareNodeAdmin } from '../../src/node/node-admin.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { CALM_DISK_USAGE, smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { configError } from '../helpers/config-errors.js';

const newDir = tempDirs('mqstore-node-admin-');
const quiet = { warn: () => undefined };

function file(content: string, mode = 0o600): string {
  const path = join(newDir(), 'admin.token');
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

function prepare(keys: Record<string, unknown>, host: string | undefined) {
  const logger = memoryLogger();
  const run = () => prepareNodeAdmin(loadStoreConfig({ storePathRootDir: newDir(), ...keys }, quiet), { host }, logger);
  return { run, logger };
}

describe('a non-loopback admin host', () => {
  it('without adminTokenFile: refuses, naming adminTokenFile and adminTrustedNetwork', () => {
    for (const host of ['192.0.2.10', '0.0.0.0', '::', 'node1.example.com']) {
      const err = configError(prepare({}, host).run);
      expect(err.key, host).toBe('adminTokenFile');
      expect(err.message).toMatch(/not a loopback address/);
      expect(err.message).toMatch(/openssl rand -hex 32/);
      expect(err.message).toMatch(/adminTrustedNetwork=true/);
    }
  });

  it('a wildcard host is warned about even when it may start', () => {
    const { run, logger } = prepare({ adminTokenFile: file('t'.repeat(32)) }, '0.0.0.0');
    expect(run().token).toBe('t'.repeat(32));
    expect(logger.lines.some((l) => l.startsWith('WARN') && /binds to every interface \(0\.0\.0\.0\)/.test(l))).toBe(true);
    expect(logger.lines.some((l) => /clear text/.test(l)), 'plain HTTP with a token on the network').toBe(true);
  });

  it('adminTrustedNetwork=true: starts without a token, with a warning', () => {
    const { run, logger } = prepare({ adminTrustedNetwork: true }, '192.0.2.10');
    expect(run().token).toBeNull();
    expect(logger.lines.some((l) => l.startsWith('WARN') && /need no token on 192\.0\.2\.10 \(adminTrustedNetwork=true\)/.test(l))).toBe(true);
  });
});

describe('a loopback admin host', () => {
  it('without a token: starts (the default of npm start and the tests), saying writes are open to local processes', () => {
    for (const host of [undefined, '127.0.0.1', '::1', 'localhost']) {
      const { run, logger } = prepare({}, host);
      expect(run()).toMatchObject({ token: null, readAuth: 'open', host: host ?? '127.0.0.1' });
      expect(logger.lines.some((l) => /admin writes need no token \(loopback host/.test(l)), String(host)).toBe(true);
      expect(logger.lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    }
  });
});

describe('adminTokenFile', () => {
  it('the token is the file content with its trailing newline trimmed', () => {
    expect(prepare({ adminTokenFile: file('abcdefghijklmnopqrstuvwxyz012345\n') }, '127.0.0.1').run().token).toBe('abcdefghijklmnopqrstuvwxyz012345');
    expect(prepare({ adminTokenFile: file('  abcdefghijklmnop\r\n\n') }, '127.0.0.1').run().token).toBe('abcdefghijklmnop');
  });

  it('missing, a directory, empty, blank, more than one word, short, or a loose mode: ConfigError naming the key and why', () => {
    const dir = newDir();
    mkdirSync(join(dir, 'sub'));
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'nope.token'), /does not exist/],
      [join(dir, 'sub'), /not a regular file/],
      [file(''), /is empty/],
      [file(' \n\n'), /is empty/],
      [file('two words\n'), /printable ASCII without spaces/],
      [file('x'.repeat(5000)), /more than the 4096/],
      [file('short\n'), /holds 5 characters, fewer than 16/],
      [file('z'.repeat(40), 0o644), /may be read by others .*mode 0644.*chmod 600/],
      [file('z'.repeat(40), 0o620), /written by its group \(mode 0620\)/],
    ];
    for (const [path, why] of cases) {
      const err = configError(prepare({ adminTokenFile: path }, '127.0.0.1').run);
      expect(err.key, path).toBe('adminTokenFile');
      expect(err.message, path).toMatch(why);
    }
  });

  it('mode 0640 (group may read) and 16 characters pass', () => {
    expect(prepare({ adminTokenFile: file('0123456789abcdef', 0o640) }, '127.0.0.1').run().token).toBe('0123456789abcdef');
  });
});

describe('config cross-checks', () => {
  it('adminReadAuth=token needs adminTokenFile; the TLS files go in pairs', () => {
    expect(configError(() => loadStoreConfig({ adminReadAuth: 'token' }, quiet)).key).toBe('adminReadAuth');
    expect(loadStoreConfig({ adminReadAuth: 'token', adminTokenFile: '/x/token' }, quiet).adminReadAuth).toBe('token');
    expect(configError(() => loadStoreConfig({ adminTlsCertFile: '/x/cert.pem' }, quiet)).key).toBe('adminTlsKeyFile');
    expect(configError(() => loadStoreConfig({ adminTlsKeyFile: '/x/key.pem' }, quiet)).key).toBe('adminTlsCertFile');
    expect(configError(() => loadStoreConfig({ adminAllowedHosts: 'a.example,http://b' }, quiet)).key).toBe('adminAllowedHosts');
    expect(configError(() => loadStoreConfig({ adminReadAuth: 'sometimes' }, quiet)).key).toBe('adminReadAuth');
  });

  it('TLS files that are not PEM, or a key others may read: ConfigError naming the key', () => {
    const cert = file('not a certificate');
    const key = file('not a key');
    expect(configError(prepare({ adminTlsCertFile: cert, adminTlsKeyFile: key }, '127.0.0.1').run).key).toBe('adminTlsCertFile');
    const pemCert = file('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
    const looseKey = file('-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n', 0o644);
    const err = configError(prepare({ adminTlsCertFile: pemCert, adminTlsKeyFile: looseKey }, '127.0.0.1').run);
    expect([err.key, err.message]).toEqual(['adminTlsKeyFile', expect.stringMatching(/may be read by others/)]);
  });
});

describe('openNode with a refused admin host', () => {
  it('throws the ConfigError before the store opens or any port listens; the store opens afterwards', async () => {
    const dir = join(newDir(), 'store');
    const config = smallConfig(dir, 'node', { ...HA_TEST_DEFAULTS, listenPort: 0 });
    const logger = memoryLogger();
    const err = await openNode(config, { logger, store: { diskUsage: CALM_DISK_USAGE }, admin: { host: '0.0.0.0', port: 0 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('adminTokenFile');
    // the HA server never started (it would have logged its port), nor the admin server
    const portLines = (lines: string[]): string[] => lines.filter((l) => /\[mqstore\.(ha|admin)[.\]].*(listening on|server on)/.test(l));
    expect(portLines(logger.lines)).toEqual([]);
    expect(existsSync(dir), 'the store directory was never made').toBe(false);
    const againLogger = memoryLogger();
    const again = await openNode(config, { logger: againLogger, store: { diskUsage: CALM_DISK_USAGE }, admin: { host: '127.0.0.1', port: 0 } });
    expect(again.admin!.port).toBeGreaterThan(0);
    expect(portLines(againLogger.lines)).toHaveLength(2); // what the refused start did not log
    await again.close();
  });
});
