// Secret files and TLS certificates for the replication security tests, made at test time in a
// temporary directory (no key material is ever committed). Certificates come from `openssl`:
// two independent CAs, a node certificate from each (SAN IP:127.0.0.1, DNS:localhost); when
// openssl is missing, `opensslUnavailable` says why and the TLS tests skip with that reason.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A secret file (mode 0600) with a fresh random secret, or the given text. */
export function writeSecretFile(dir: string, name = 'replication.secret', content: string = randomBytes(32).toString('hex') + '\n', mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

const OPENSSL_TIMEOUT_MS = 30_000;

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: OPENSSL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

/** Why openssl cannot make certificates here, or null. */
export function opensslUnavailable(): string | null {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8', timeout: OPENSSL_TIMEOUT_MS });
  if (r.error) return `openssl not found (${r.error.message}): the TLS tests need it to make test certificates`;
  if (r.status !== 0) return `openssl version failed: ${r.stderr}`;
  return null;
}

export interface NodeCert {
  cert: string;
  key: string;
  ca: string;
}

/** A CA (ca-NAME.pem) and a node certificate it signed (NAME.pem, NAME.key), in `dir`. */
export function makeCaAndNodeCert(dir: string, name: string): NodeCert {
  const caKey = `ca-${name}.key`;
  const caCert = `ca-${name}.pem`;
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=mqstore test CA ${name}`], dir);
  const ext = `ext-${name}.cnf`;
  writeFileSync(join(dir, ext), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=mqstore node ${name}`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext], dir);
  chmodSync(join(dir, `${name}.key`), 0o600);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), ca: join(dir, caCert) };
}
