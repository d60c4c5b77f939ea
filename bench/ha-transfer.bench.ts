// HA transfer: the socket sender (main thread, node:net) against the sendfile sender (a worker
// thread, bodies by sendfile from the segment files), side by side in one run, alternating:
//   catch-up  an empty slave catches up with a master holding `catchUpBytes` and taking no puts:
//             MB/s from the slave's first report until the master saw the whole log acknowledged
//             (real slave) or handed to the socket (sink), the master's CPU per GB (all threads)
//             and how busy its main thread was. Slaves: a real `mqstore node` process (end to
//             end), and a sink process that reads and discards (what the master alone can send).
//             The disk's sequential write MB/s from the same run is the reference.
//   puts      ASYNC_FLUSH + SYNC_MASTER putMessage msg/s, 1 KiB bodies, 256 in flight, with a
//             real slave process (the TPS table's case, bench/tps/measure.ts).
// Bounds: the fill loop has a count, every wait a deadline, the put phase a duration.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHa, type HaService } from '../src/ha/ha-service.js';
import type { HaSenderFactory } from '../src/ha/ha-sender.js';
import { sendfileSender, sendfileUnavailableReason } from '../src/ha/ha-sendfile-sender.js';
import { tcpSender } from '../src/ha/ha-tcp-sender.js';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';
import { measureDiskLimits } from './lib/disk-limits.js';
import { waitUntil } from './lib/wait-until.js';
import { measureTps, type TpsRow } from './tps/measure.js';
import { slaveFactoryWith, spawnSlaveNode } from './tps/slave.js';

export type SenderName = 'socket' | 'sendfile';
const SENDERS: Record<SenderName, HaSenderFactory> = { socket: tcpSender, sendfile: sendfileSender };

export interface HaTransferOptions {
  dir: string;
  /** How far behind the catching-up slave starts. */
  catchUpBytes: number;
  segmentBytes: number;
  /** Catch-up and put runs per sender (alternating socket, sendfile). */
  rounds: number;
  /** SYNC_MASTER put phase per sender and round (0: skip). */
  putMs: number;
  onProgress?: (line: string) => void;
}

interface CatchUpRow {
  slave: 'mqstore node' | 'sink';
  sender: SenderName;
  mbPerSec: number;
  cpuSecPerGB: number;
  mainThreadBusy: number;
}

const FILL_BODY_BYTES = 4096;
const FILL_IN_FLIGHT = 64;
const CATCH_UP_DEADLINE_MS = 300_000;
const STOP_DEADLINE_MS = 10_000;
const MB = 1e6;

export async function haTransferSuite(o: HaTransferOptions): Promise<string> {
  const unavailable = sendfileUnavailableReason();
  if (unavailable !== null) return `### HA transfer\n\nskipped: the sendfile sender cannot run here (${unavailable})`;
  const disk = measureDiskLimits(o.dir, { writeBytes: 256 << 20, syncSamples: 20 });
  const root = mkdtempSync(join(o.dir, 'ha-master-'));
  const master = await MessageStore.open(
    { storePathRootDir: root, brokerRole: 'ASYNC_MASTER', flushDiskType: 'ASYNC_FLUSH', mappedFileSizeCommitLog: o.segmentBytes, haListenPort: 0, listenPort: 0, logLevel: 'error', haHousekeepingInterval: 120_000 },
    { logger: memoryLogger(100) },
  );
  const catchUp: CatchUpRow[] = [];
  const puts: Array<TpsRow & { sender: SenderName }> = [];
  try {
    await fill(master, o.catchUpBytes);
    o.onProgress?.(`ha: master holds ${(master.getMaxPhyOffset() / MB).toFixed(0)} MB in ${Math.ceil(master.getMaxPhyOffset() / o.segmentBytes)} segments`);
    for (let round = 0; round < o.rounds; round++) {
      for (const slave of ['mqstore node', 'sink'] as const) {
        for (const sender of ['socket', 'sendfile'] as const) {
          const row = await catchUpRun(master, sender, slave, o.dir);
          catchUp.push(row);
          o.onProgress?.(`ha: catch-up ${slave} ${sender}: ${row.mbPerSec.toFixed(0)} MB/s, ${row.cpuSecPerGB.toFixed(2)} CPU s/GB, main thread ${(row.mainThreadBusy * 100).toFixed(0)}% busy`);
        }
      }
    }
  } finally {
    await master.close();
    rmSync(root, { recursive: true, force: true });
  }
  for (let round = 0; o.putMs > 0 && round < o.rounds; round++) {
    for (const sender of ['socket', 'sendfile'] as const) {
      const row = await measureTps(
        { modeId: `sync-master-${sender}`, flushDiskType: 'ASYNC_FLUSH', brokerRole: 'SYNC_MASTER', transientStorePoolEnable: false, payloadBytes: 1024, concurrency: 256, durationMs: o.putMs, segmentBytes: o.segmentBytes, emulateDevice: 'none' },
        o.dir,
        slaveFactoryWith({ senderFactory: SENDERS[sender] }),
      );
      puts.push({ ...row, sender });
      o.onProgress?.(`ha: SYNC_MASTER puts ${sender}: ${Math.round(row.tps)} msg/s, p99 ${row.p99Ms.toFixed(2)} ms`);
    }
  }
  return format(disk.seqWriteMBps * (2 ** 20 / MB), o, catchUp, puts);
}

/** Put 4 KiB messages until the log holds `bytes`. */
async function fill(master: MessageStore, bytes: number): Promise<void> {
  const body = new Uint8Array(FILL_BODY_BYTES).fill(0x68);
  const maxPuts = Math.ceil(bytes / FILL_BODY_BYTES) + 1;
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < maxPuts && master.getMaxPhyOffset() < bytes) {
      issued++;
      const r = await master.putMessage({ topic: 'HaBench', queueId: issued & 7, body });
      if (r.status !== 'PUT_OK') throw new Error(`fill put failed: ${r.status} ${r.reason ?? ''}`);
    }
  };
  await Promise.all(Array.from({ length: FILL_IN_FLIGHT }, producer));
}

async function catchUpRun(master: MessageStore, sender: SenderName, slave: CatchUpRow['slave'], baseDir: string): Promise<CatchUpRow> {
  const ha = await startHa(master, master.config, memoryLogger(100), { listenPort: 0, senderFactory: SENDERS[sender] });
  const dir = mkdtempSync(join(baseDir, 'ha-slave-'));
  const end = master.getMaxPhyOffset();
  let stop: () => Promise<void> = async () => {};
  try {
    if (slave === 'mqstore node') stop = (await spawnSlaveNode(ha, dir, master.config)).stop;
    else stop = await spawnSink(ha);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const done = (): boolean => {
      const s = firstSlave(ha);
      return s !== null && (slave === 'sink' ? s.transferFromOffset >= end : s.ackedOffset >= end);
    };
    await waitUntil(done, `the ${slave} caught up (${sender})`, CATCH_UP_DEADLINE_MS);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    return { slave, sender, mbPerSec: end / MB / seconds, cpuSecPerGB: (cpu.user + cpu.system) / 1e6 / (end / 1e9), mainThreadBusy: elu.utilization };
  } finally {
    await stop();
    await ha.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstSlave(ha: HaService): { ackedOffset: number; transferFromOffset: number } | null {
  const s = ha.status();
  return s.role === 'SLAVE' ? null : (s.slaves[0] ?? null);
}

/** A process that connects to the master's HA port, reports offset 0 once, and reads and
 * discards everything; resolves (with its stop) once the master saw the report. */
async function spawnSink(ha: HaService): Promise<() => Promise<void>> {
  const source = `const s=require('node:net').connect(+process.argv[1],'127.0.0.1',()=>s.write(Buffer.alloc(8)));s.on('data',()=>{});s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(0));`;
  const child = spawn(process.execPath, ['-e', source, String(ha.port)], { stdio: 'ignore' });
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  try {
    await waitUntil(() => (firstSlave(ha)?.ackedOffset ?? -1) >= 0, 'the sink reported', 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function format(diskMBps: number, o: HaTransferOptions, catchUp: CatchUpRow[], puts: Array<TpsRow & { sender: SenderName }>): string {
  const lines = [
    '### HA transfer: socket sender (main thread) vs sendfile sender (worker thread)',
    '',
    `Disk in the same run: sequential write ${diskMBps.toFixed(0)} MB/s. Catch-up: an empty slave, ${(o.catchUpBytes / MB).toFixed(0)} MB behind (4 KiB bodies, ${o.segmentBytes / 2 ** 20} MiB segments), ${o.rounds} round(s) per sender; MB = 10^6 bytes.`,
    '',
    '| slave | sender | MB/s | master CPU s per GB | main thread busy |',
    '|---|---|---:|---:|---:|',
    ...catchUp.map((r) => `| ${r.slave} | ${r.sender} | ${r.mbPerSec.toFixed(0)} | ${r.cpuSecPerGB.toFixed(2)} | ${(r.mainThreadBusy * 100).toFixed(0)}% |`),
    '',
  ];
  for (const slave of ['mqstore node', 'sink'] as const) {
    const of = (sender: SenderName): number => mean(catchUp.filter((r) => r.slave === slave && r.sender === sender).map((r) => r.mbPerSec));
    lines.push(`- catch-up to ${slave}: sendfile/socket = ${(of('sendfile') / of('socket')).toFixed(2)}x (${of('sendfile').toFixed(0)} vs ${of('socket').toFixed(0)} MB/s, mean of rounds)`);
  }
  if (puts.length > 0) {
    lines.push('', '| ASYNC_FLUSH + SYNC_MASTER, 1 KiB x256 | msg/s (PUT_OK) | p50 ms | p99 ms | not PUT_OK |', '|---|---:|---:|---:|---:|');
    for (const r of puts) lines.push(`| ${r.sender} | ${Math.round(r.tps).toLocaleString('en-US')} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.notOk} |`);
    const of = (sender: SenderName): number => mean(puts.filter((r) => r.sender === sender).map((r) => r.tps));
    lines.push('', `- SYNC_MASTER puts: sendfile/socket = ${(of('sendfile') / of('socket')).toFixed(2)}x (mean of rounds)`);
  }
  return lines.join('\n');
}
