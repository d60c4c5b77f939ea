// Reads a secret (an admin bearer token, a shared replication secret) from the file a config key
// or a command-line option names. Secrets never live in the config itself.
//
// Rules (the same as the replication secret's, so both ports refuse the same mistakes): the path
// must name a regular file of at most SECRET_FILE_MAX_BYTES that only its owner can write and
// others cannot read (mode & 0o027 == 0: 0600 and 0640 pass); its content, with surrounding
// whitespace (the trailing newline of `openssl rand -hex 32 > f`) trimmed, must be at least
// SECRET_MIN_CHARS of printable ASCII without spaces (it goes into an HTTP header, and a stray
// control character is almost always a mistake).
// The answer is a value, not an exception: the caller knows whether to name a config key
// (ConfigError) or a command-line option (UsageError).
import { readFileSync, statSync } from 'node:fs';

export const SECRET_FILE_MAX_BYTES = 4096;
/** Shortest secret accepted (openssl rand -hex 32 gives 64). */
export const SECRET_MIN_CHARS = 16;

export type SecretFileResult = { ok: true; secret: string } | { ok: false; problem: string };

const PRINTABLE_NO_SPACE = /^[\x21-\x7e]+$/;

export function readSecretFile(path: string): SecretFileResult {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, problem: code === 'ENOENT' ? `file '${path}' does not exist` : `file '${path}' cannot be read (${String(code)})` };
  }
  if (!stat.isFile()) return { ok: false, problem: `'${path}' is not a regular file` };
  if (process.platform !== 'win32' && (stat.mode & 0o027) !== 0) {
    return { ok: false, problem: `file '${path}' may be read by others or written by its group (mode 0${(stat.mode & 0o777).toString(8)}); run chmod 600 '${path}'` };
  }
  if (stat.size > SECRET_FILE_MAX_BYTES) return { ok: false, problem: `file '${path}' is ${stat.size} bytes, more than the ${SECRET_FILE_MAX_BYTES} a secret may have` };
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, problem: `file '${path}' cannot be read (${String((err as { code?: unknown }).code)})` };
  }
  const secret = text.trim();
  if (secret === '') return { ok: false, problem: `file '${path}' is empty (write a secret into it, e.g. openssl rand -hex 32 > '${path}')` };
  if (!PRINTABLE_NO_SPACE.test(secret)) return { ok: false, problem: `file '${path}' holds characters other than printable ASCII without spaces (one token, e.g. from openssl rand -hex 32)` };
  if (secret.length < SECRET_MIN_CHARS) return { ok: false, problem: `file '${path}' holds ${secret.length} characters, fewer than ${SECRET_MIN_CHARS} (openssl rand -hex 32 > '${path}' makes 64)` };
  return { ok: true, secret };
}
