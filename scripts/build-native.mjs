// Build the Rust addon with the machine's cargo, offline and without crates (the crate uses
// only std). Writes build/mqstore_native.node and build/native-build.json (what happened and
// why), which the addon loader reads to explain a missing addon.
// Exit status is 0 even when the addon cannot be built, unless MQSTORE_REQUIRE_NATIVE=1.
// MQSTORE_SKIP_NATIVE=1 skips the build (to test the pure-Node backend);
// MQSTORE_NATIVE_OUT=<dir> writes the two files there instead of build/ (used by tests).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = process.env.MQSTORE_NATIVE_OUT || join(root, 'build');
const outFile = join(outDir, 'mqstore_native.node');
const statusFile = join(outDir, 'native-build.json');
const required = process.env.MQSTORE_REQUIRE_NATIVE === '1';

function findCargo() {
  if (process.env.CARGO && existsSync(process.env.CARGO)) return process.env.CARGO;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'cargo'))) return join(dir, 'cargo');
  }
  const rustup = join(homedir(), '.cargo', 'bin', 'cargo');
  return existsSync(rustup) ? rustup : null;
}

function finish(built, reason) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(statusFile, JSON.stringify({ built, reason, at: new Date().toISOString() }, null, 2) + '\n');
  if (built) {
    console.log(`mqstore: native IO addon built (${outFile})`);
    return;
  }
  rmSync(outFile, { force: true });
  console.warn(`mqstore: WARNING: native IO addon not built: ${reason}`);
  console.warn('mqstore: the pure-Node IO backend (fs pwrite/fdatasync; no mmap, O_DIRECT or sendfile) will be used.');
  if (required) process.exit(1);
}

function build() {
  if (process.env.MQSTORE_SKIP_NATIVE === '1') return finish(false, 'skipped (MQSTORE_SKIP_NATIVE=1)');
  const cargo = findCargo();
  if (!cargo) return finish(false, 'cargo was not found (looked in $CARGO, PATH and ~/.cargo/bin)');
  const result = spawnSync(cargo, ['build', '--release', '--offline'], { cwd: root, encoding: 'utf8' });
  if (result.error) return finish(false, `cargo could not run: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = (result.stderr ?? '').trim().split('\n').slice(-15).join('\n');
    return finish(false, `cargo build failed (exit ${result.status}):\n${tail}`);
  }
  mkdirSync(outDir, { recursive: true });
  // copy then rename: a process that has the old addon loaded keeps its (unlinked) file intact;
  // overwriting it in place would change the code under that process
  const tmpFile = `${outFile}.${process.pid}.tmp`;
  copyFileSync(join(root, 'target', 'release', 'libmqstore_native.so'), tmpFile);
  renameSync(tmpFile, outFile);
  return finish(true, `built with ${cargo}`);
}

build();
