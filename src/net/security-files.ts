// The files the replication security keys name (replicationSecretFile, the TLS certificate, key
// and CA files), read at start through io/secret-file.ts and io/pem-file.ts (the same rules the
// admin token and admin TLS files follow: a regular file, secrets and private keys not readable
// by others nor writable by the group, a secret of at least 16 printable characters); a file
// that breaks a rule is a ConfigError naming the key, the path and the fix.
import { ConfigError } from '../errors.js';
import { readPemFile as readPem } from '../io/pem-file.js';
import { readSecretFile as readSecret } from '../io/secret-file.js';

/** The shared secret in the file `key` names, without surrounding whitespace. */
export function readSecretFile(key: string, path: string): Buffer {
  const r = readSecret(path);
  if (!r.ok) throw new ConfigError(key, path, `a secret file: ${r.problem}`);
  return Buffer.from(r.secret, 'latin1');
}

/** A PEM file: a certificate chain or CA bundle ('certificate'), or a private key. */
export function readPemFile(key: string, path: string, kind: 'private key' | 'certificate'): Buffer {
  const r = readPem(path, kind);
  if (!r.ok) throw new ConfigError(key, path, `a PEM ${kind} file: ${r.problem}`);
  return Buffer.from(r.pem, 'utf8');
}
