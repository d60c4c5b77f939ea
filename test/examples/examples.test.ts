// Runs every file of examples/ as a user would (`node examples/<name>.mjs`, each a child process)
// and checks what it prints and that it exits 0.
//
// The examples import 'mqstore', which resolves (package self-reference, through package.json
// "exports") to dist/src/index.js: the compiled package, exactly what a user gets from `npm
// install`. So beforeAll compiles src/ to dist/ once (`tsc -p tsconfig.build.json`, what `npm run
// build:ts` does; a few seconds), so the examples never run against a stale dist/. Running them
// through tsx against src/ instead would not test the import path users have.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_TIMEOUT_MS = 180_000;
const RUN_TIMEOUT_MS = 90_000;
const MAX_CAPTURE_CHARS = 1_000_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runExample(name: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'examples', name)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-MAX_CAPTURE_CHARS)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-MAX_CAPTURE_CHARS)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${name} did not finish within ${RUN_TIMEOUT_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON lines of an output, each optionally after a `name: ` prefix. */
function jsonLines(text: string): Array<{ from: string; line: Record<string, any> }> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(\w+): (\{.*\})$/.exec(l);
      return m ? { from: m[1]!, line: JSON.parse(m[2]!) } : { from: '', line: JSON.parse(l) };
    });
}

beforeAll(() => {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`building dist/ failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
}, BUILD_TIMEOUT_MS);

describe('examples/', () => {
  it('single-store.mjs: 200 puts PUT_OK, all read back, the offset committed, status printed', async () => {
    const r = await runExample('single-store.mjs');
    expect(r.code, r.stderr).toBe(0);
    const steps = Object.fromEntries(jsonLines(r.stdout).map(({ line }) => [line.step, line]));
    expect(steps.put).toEqual({ step: 'put', statuses: { PUT_OK: 200 } });
    expect(steps.read).toEqual({ step: 'read', read: 200, committedOffset: 200 });
    expect(steps.status).toMatchObject({ brokerRole: 'ASYNC_MASTER', putMessageTimesTotal: 200, haService: 'none' });
    expect(steps.status.flushedOffset).toBe(steps.status.maxPhyOffset); // SYNC_FLUSH: all on disk
  }, RUN_TIMEOUT_MS);

  it('failover.mjs: SLAVE_NOT_AVAILABLE before the slave, PUT_OK with it, and the promoted slave has every message', async () => {
    const r = await runExample('failover.mjs');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const lines = jsonLines(r.stdout);
    const step = (from: string, name: string) => lines.find((l) => l.from === from && l.line.step === name)?.line;
    expect(step('master', 'put-before-slave')).toMatchObject({ status: 'SLAVE_NOT_AVAILABLE' });
    expect(step('master', 'put')).toMatchObject({ statuses: { PUT_OK: 300 } });
    expect(step('slave', 'replicating')).toMatchObject({ rejoin: 'empty-log' });
    expect(step('slave', 'promoted')).toMatchObject({ previousRole: 'SLAVE', brokerRole: 'ASYNC_MASTER', messagesRead: 301, newPut: 'PUT_OK', newQueueOffset: 301 });
    expect(lines.find((l) => l.from === 'summary')?.line).toEqual({
      beforeSlave: 'SLAVE_NOT_AVAILABLE',
      withSlave: { PUT_OK: 300 },
      promotedTo: 'ASYNC_MASTER',
      readOnPromoted: 301,
      newPut: 'PUT_OK',
    });
  }, RUN_TIMEOUT_MS);
});
