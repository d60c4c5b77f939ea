// mqstore's version, read from the package.json above this file (src/cli/ when run from source,
// dist/src/cli/ when compiled): the first package.json named "mqstore" within MAX_LEVELS.
import { readFileSync } from 'node:fs';

const MAX_LEVELS = 5;

let cached: string | null = null;

export function mqstoreVersion(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  let dir = new URL('./', import.meta.url);
  for (let level = 0; level < MAX_LEVELS; level++) {
    dir = new URL('../', dir);
    const pkg = readPackage(new URL('package.json', dir));
    if (pkg?.name === 'mqstore' && typeof pkg.version === 'string') {
      cached = pkg.version;
      break;
    }
  }
  return cached;
}

function readPackage(url: URL): { name?: unknown; version?: unknown } | null {
  let text: string;
  try {
    text = readFileSync(url, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as { name?: unknown; version?: unknown };
}
