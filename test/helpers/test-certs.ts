// TLS material for the admin HTTPS tests, made at test time by `openssl` in a temporary
// directory (no key is ever committed): a CA and a server certificate it signed for
// IP:127.0.0.1 / DNS:localhost. opensslMissing() says why the TLS tests skip when it is absent.
// (The replication TLS tests have a sibling in replication-secrets.ts; the two can merge.)
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OPENSSL_TIMEOUT_MS = 30_000;

export function opensslMissing(): string | null {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: OPENSSL_TIMEOUT_MS });
  if (r.error) return `openssl not found (${r.error.message}); the HTTPS tests need it to make a test certificate`;
  return r.status === 0 ? null : `openssl version failed: ${r.stderr}`;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: OPENSSL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

export interface ServerCert {
  /** PEM file paths. */
  cert: string;
  key: string;
  ca: string;
}

/** A CA `ca-NAME.pem` and a server certificate `NAME.pem` / `NAME.key` (mode 600) it signed. */
export function makeServerCert(dir: string, name: string): ServerCert {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', `ca-${name}.key`, '-out', `ca-${name}.pem`, '-days', '2', '-subj', `/CN=mqstore test CA ${name}`], dir);
  writeFileSync(join(dir, `ext-${name}.cnf`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=mqstore admin ${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `ca-${name}.pem`, '-CAkey', `ca-${name}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `ext-${name}.cnf`], dir);
  chmodSync(join(dir, `${name}.key`), 0o600);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), ca: join(dir, `ca-${name}.pem`) };
}
