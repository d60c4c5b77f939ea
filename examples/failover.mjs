// A master and a slave in two processes, and the slave's promotion when the master goes away:
//   1. starts master.mjs (SYNC_MASTER) and reads the HA address it listens on;
//   2. starts slave.mjs against that address; the master writes 300 messages, each PUT_OK only
//      once the slave has it, then stops;
//   3. tells the slave to promote itself; it reads back every message and takes a new write.
//   node examples/failover.mjs          (temporary directories, removed at the end; exit 0 = ok)
// Each child's JSON lines are echoed prefixed with its name; the last line is a summary.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const COUNT = 300;
const DEADLINE_MS = 60_000;
const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mqstore-failover-'));
const children = [];

/** Start `script` as a child process; `lines` yields its stdout JSON lines in order. */
function start(name, script, args) {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const reader = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (step) => {
    for (;;) {
      const { value, done } = await reader.next();
      if (done) throw new Error(`${name} ended before step '${step}'`);
      console.log(`${name}: ${value}`);
      const line = JSON.parse(value);
      if (line.step === step) return line;
    }
  };
  return { child, exited, next };
}

const timer = setTimeout(() => {
  console.error(`failover example: not done within ${DEADLINE_MS} ms`);
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
}, DEADLINE_MS);

let ok = false;
try {
  const master = start('master', 'master.mjs', [join(root, 'master'), String(COUNT)]);
  const { haAddress } = await master.next('listening');
  const lonely = await master.next('put-before-slave');

  const slave = start('slave', 'slave.mjs', [join(root, 'slave'), haAddress]);
  await slave.next('replicating');
  const puts = await master.next('put');
  const masterExit = await master.exited; // the master is gone
  if (masterExit !== 0) throw new Error(`master exited with ${masterExit}`);

  slave.child.stdin.end('promote\n');
  const promoted = await slave.next('promoted');
  const slaveExit = await slave.exited;
  if (slaveExit !== 0) throw new Error(`slave exited with ${slaveExit}`);

  const summary = {
    beforeSlave: lonely.status,
    withSlave: puts.statuses,
    promotedTo: promoted.brokerRole,
    readOnPromoted: promoted.messagesRead,
    newPut: promoted.newPut,
  };
  console.log(`summary: ${JSON.stringify(summary)}`);
  ok = summary.withSlave.PUT_OK === COUNT && summary.readOnPromoted === COUNT + 1 && summary.newPut === 'PUT_OK';
} finally {
  clearTimeout(timer);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
