// Reads a secret (an admin bearer token, a shared replication secret) from the file a config key
// or a command-line option names. Secrets never live in the config itself.
//
// Rules: the path must name a regular file of at most SECRET_FILE_MAX_BYTES; its content, with
// surrounding whitespace (the trailing newline of `echo`/`openssl rand -hex 32 > f`) trimmed,
// must be non-empty and printable ASCII without spaces (it goes into an HTTP header or an HMAC
// key, and a stray control character is almost always a mistake). A file that group or others
// may read is accepted, with a note the caller logs (chmod 600 is the advice).
// The answer is a value, not an exception: the caller knows whether to name a config key
// (ConfigError) or a command-line option (UsageError).
import { readFileSync, statSync } from 'node:fs';

export const SECRET_FILE_MAX_BYTES = 4096;
/** Below this many characters a secret is accepted with a warning (openssl rand -hex 32 gives 64). */
export const SECRET_MIN_CHARS = 16;

export type SecretFileResult = { ok: true; secret: string; warnings: string[] } | { ok: false; problem: string };

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
  const warnings: string[] = [];
  if ((stat.mode & 0o077) !== 0) warnings.push(`secret file '${path}' can be read by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`);
  if (secret.length < SECRET_MIN_CHARS) warnings.push(`the secret in '${path}' has only ${secret.length} characters; use at least ${SECRET_MIN_CHARS} (openssl rand -hex 32)`);
  return { ok: true, secret, warnings };
}
