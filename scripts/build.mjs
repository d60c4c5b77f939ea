// Build everything `npm install` needs: the TypeScript output (dist/) and, when a Rust
// toolchain is present, the native IO addon (build/mqstore_native.node).
// The TypeScript build must succeed; the addon build never fails the install (the engine
// then runs on the pure-Node IO backend and says so).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function run(label, command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`mqstore build: ${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
run('TypeScript build', process.execPath, [tsc, '-p', 'tsconfig.build.json']);
run('native addon build', process.execPath, [join(root, 'scripts', 'build-native.mjs')]);
