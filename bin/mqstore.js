#!/usr/bin/env node
// The `mqstore` command: runs the compiled CLI (dist/, written by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('mqstore: dist/ is missing; run `npm install` (or `npm run build`) first');
  process.exit(1);
}
await import(entry.href);
