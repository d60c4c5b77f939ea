// Child process of send-profile.ts: serves either the broker (ASYNC_FLUSH, broker-targets.ts)
// or the bare grpc-js echo, and answers its parent's IPC: 'mark' (start counting CPU and, with
// a profile path argument, the V8 CPU profiler), 'cpu' (CPU ms since the mark; the profile of
// that window is written to the path), 'stop' (close and exit).
import * as grpc from '@grpc/grpc-js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget } from './broker-targets.js';

const kind = process.argv[2] === 'echo' ? 'echo' : 'broker';
const profilePath = process.argv[3];
const session = profilePath ? new Session() : null;
const send = (m: unknown): void => void process.send!(m);
let stop: () => Promise<void>;
if (kind === 'broker') {
  const dir = mkdtempSync(join(tmpdir(), 'mqstore-profile-'));
  const t = await startTarget('ASYNC_FLUSH', dir);
  stop = async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  };
  send({ endpoints: t.endpoints });
} else {
  const id = (b: Buffer): Buffer => b;
  const def = { Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
  const server = new grpc.Server();
  server.addService(def as unknown as grpc.ServiceDefinition, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  stop = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  send({ endpoints: `127.0.0.1:${port}` });
}
let base = process.cpuUsage();
process.on('message', (m: unknown) => void onMessage(m));
async function onMessage(m: unknown): Promise<void> {
  if (m === 'mark') {
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    base = process.cpuUsage();
    send({ marked: true });
  } else if (m === 'cpu') {
    const u = process.cpuUsage(base);
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profilePath!, JSON.stringify(profile));
    }
    send({ cpuMs: (u.user + u.system) / 1000 });
  } else if (m === 'stop') {
    void stop().then(() => process.exit(0));
  }
}
