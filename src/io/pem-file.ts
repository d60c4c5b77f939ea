// Reads a PEM file (a TLS certificate chain, a private key, a CA bundle) that a config key names,
// at start. Like secret-file.ts it answers with a value, so the caller names the key or option.
// A private key must be readable by its owner only (mode & 0o027 == 0, as secret-file.ts asks).
import { readFileSync, statSync } from 'node:fs';

export const PEM_FILE_MAX_BYTES = 1024 * 1024;

export type PemFileResult = { ok: true; pem: string } | { ok: false; problem: string };

export function readPemFile(path: string, kind: 'certificate' | 'private key'): PemFileResult {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, problem: code === 'ENOENT' ? `file '${path}' does not exist` : `file '${path}' cannot be read (${String(code)})` };
  }
  if (!stat.isFile()) return { ok: false, problem: `'${path}' is not a regular file` };
  if (kind === 'private key' && process.platform !== 'win32' && (stat.mode & 0o027) !== 0) {
    return { ok: false, problem: `private key file '${path}' may be read by others or written by its group (mode 0${(stat.mode & 0o777).toString(8)}); run chmod 600 '${path}'` };
  }
  if (stat.size > PEM_FILE_MAX_BYTES) return { ok: false, problem: `file '${path}' is ${stat.size} bytes, more than the ${PEM_FILE_MAX_BYTES} a PEM file may have here` };
  let pem;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, problem: `file '${path}' cannot be read (${String((err as { code?: unknown }).code)})` };
  }
  const marker = kind === 'certificate' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!marker.test(pem)) return { ok: false, problem: `file '${path}' holds no PEM ${kind} (no '-----BEGIN ${kind === 'certificate' ? 'CERTIFICATE' : '... PRIVATE KEY'}-----' line)` };
  return { ok: true, pem };
}
