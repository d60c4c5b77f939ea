// Reads the files that security keys name (replicationSecretFile, the TLS key, certificate and CA
// files): the config holds only their paths, never a secret. Each read checks the file first and
// refuses with a ConfigError naming the key, the path and the fix:
//   - a regular file, at most MAX_FILE_BYTES;
//   - secrets and private keys: not world-accessible (no o+rwx) and not group-writable (mode &
//     0o027 == 0; 0600 and 0640 pass), so another local user cannot read or replace them;
//   - a secret: at least MIN_SECRET_BYTES once the trailing newline and spaces are cut (a short
//     secret can be guessed offline from one recorded handshake); a PEM file: non-empty text
//     with a "-----BEGIN" block.
// The only file reads of the security code; src/net receives bytes, not paths.
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/** Shortest secret accepted (bytes). `openssl rand -hex 32` makes 64. */
export const MIN_SECRET_BYTES = 16;
const MAX_FILE_BYTES = 1024 * 1024;

type Kind = 'secret' | 'private key' | 'certificate';

function checkedRead(key: string, path: string, kind: Kind): Buffer {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new ConfigError(key, path, `a readable ${kind} file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!stat.isFile()) throw new ConfigError(key, path, `a regular ${kind} file, not a directory or device`);
  if (stat.size > MAX_FILE_BYTES) throw new ConfigError(key, path, `a ${kind} file of at most ${MAX_FILE_BYTES} bytes (this one has ${stat.size})`);
  if (kind !== 'certificate' && process.platform !== 'win32' && (stat.mode & 0o027) !== 0) {
    throw new ConfigError(
      key,
      path,
      `a ${kind} file only its owner can write and others cannot read: its mode is 0${(stat.mode & 0o777).toString(8)} (run chmod 600 ${path})`,
    );
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(key, path, `a readable ${kind} file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The shared secret in the file `key` names: its bytes without the trailing whitespace. */
export function readSecretFile(key: string, path: string): Buffer {
  const raw = checkedRead(key, path, 'secret');
  let end = raw.byteLength;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d || raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
  const secret = raw.subarray(0, end);
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw new ConfigError(key, path, `a secret file holding at least ${MIN_SECRET_BYTES} bytes (it has ${secret.byteLength}; make one with: openssl rand -hex 32 > ${path}; chmod 600 ${path})`);
  }
  return Buffer.from(secret);
}

/** A PEM file (certificate chain, CA bundle or private key). */
export function readPemFile(key: string, path: string, kind: 'private key' | 'certificate'): Buffer {
  const pem = checkedRead(key, path, kind);
  if (!pem.toString('latin1').includes('-----BEGIN')) throw new ConfigError(key, path, `a PEM ${kind} file (text with a -----BEGIN block); this one has none`);
  return pem;
}
