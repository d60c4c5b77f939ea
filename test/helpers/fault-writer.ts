// Child process for test/faults: opens a store (recovering whatever a previous run left),
// optionally verifies it against the messages acknowledged so far, then keeps `inflight` puts in
// flight with self-verifying bodies (fault-body.ts) until it is killed, `maxPuts` were issued,
// or `runMs` passed. Run: node --import tsx test/helpers/fault-writer.ts '<WriterConfig JSON>'.
//
// stdout protocol, one line each, written only after the put's promise resolved:
//   O <json>   store opened: { recovery, maxPhyOffset, ioBackend, writeMode, placement }
//   V <json>   verification before writing: { problems, records, acked }
//   A seq queueId queueOffset physicalOffset wroteBytes        a PUT_OK
//   N seq status physicalOffset wroteBytes <json reason>       any other status (first 2000)
//   P flushed  runtimeInfo().flushedOffset grew (only with reportFlushed; ASYNC_FLUSH tests)
//   F <json>   first put that saw runtimeInfo().serviceFailure or diskFull: { info }
//   E <json>   end of the run (stopAfterFailure reached, maxPuts or runMs): { info, ok, notOk,
//              maxNotOkLatencyMs (slowest put that did not succeed), issued, timedOut }
//   C <json>   close() outcome when closeAtEnd: { ok, error, ms }
// stdin (stopOnStdin): a line 'stop' ends the run.
// Exit codes: 0 normal end, 3 runMs passed (the parent meant to kill it earlier), 1 error.
import { readFileSync, writeSync } from 'node:fs';
import { MessageStore } from '../../src/store/message-store.js';
import { encodeBody, keysOfSeq, queueOfSeq } from './fault-body.js';
import { checkAcked, checkReadBack, scanCommitLog, type Ack } from './fault-verify.js';

export interface WriterConfig {
  store: Record<string, unknown> & { storePathRootDir: string; mappedFileSizeCommitLog: number };
  topic: string;
  queues: number;
  maxPadBytes: number;
  startSeq: number;
  inflight: number;
  maxPuts: number;
  runMs: number;
  /** Verify the recovered store against these acks (a JSON file of Ack[]) before writing. */
  verifyAckedFile?: string;
  /** After the first failure is seen, issue this many more puts, report E and stop. */
  stopAfterFailure?: number;
  /** Call close() at the end (E) and report C. */
  closeAtEnd?: boolean;
  /** Report P lines when the flushed position grows. */
  reportFlushed?: boolean;
  /** Stop (then E, and C with closeAtEnd) when a line 'stop' arrives on stdin. */
  stopOnStdin?: boolean;
}

const MAX_NACK_LINES = 2000;
const CLOSE_DEADLINE_MS = 15_000;
const OUT_BLOCKED_MAX_MS = 30_000;

const pause = new Int32Array(new SharedArrayBuffer(4));

function out(line: string): void {
  // Synchronous write to fd 1: once it returns, the line is in the pipe even if SIGKILL follows.
  // fd 1 may be non-blocking (a socket the parent reads): on EAGAIN back off 1 ms and retry,
  // for at most OUT_BLOCKED_MAX_MS.
  const bytes = Buffer.from(line + '\n');
  const started = Date.now();
  for (let done = 0; done < bytes.byteLength; ) {
    try {
      done += writeSync(1, bytes, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() - started > OUT_BLOCKED_MAX_MS) throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

async function main(): Promise<number> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WriterConfig;
  const store = await MessageStore.open(config.store);
  const info0 = store.runtimeInfo();
  out(
    'O ' +
      JSON.stringify({
        recovery: info0.lastRecovery,
        maxPhyOffset: store.getMaxPhyOffset(),
        ioBackend: info0.ioBackend,
        writeMode: info0.writeMode,
        placement: info0.persistencePlacement,
      }),
  );
  if (config.verifyAckedFile) {
    const acked = JSON.parse(readFileSync(config.verifyAckedFile, 'utf8')) as Ack[];
    const dir = (config.store.storePathCommitLog as string | undefined) ?? `${config.store.storePathRootDir}/commitlog`;
    const scan = scanCommitLog(dir, config.store.mappedFileSizeCommitLog, {
      topic: config.topic,
      queues: config.queues,
      upTo: store.getMaxPhyOffset(),
      tailMustBeZero: true,
    });
    const problems = [...scan.problems, ...checkAcked(scan, acked), ...(await checkReadBack(store, scan, config.topic))];
    out('V ' + JSON.stringify({ problems, records: scan.records, acked: acked.length }));
  }
  return run(store, config);
}

async function run(store: MessageStore, config: WriterConfig): Promise<number> {
  const started = Date.now();
  let next = config.startSeq;
  const last = config.startSeq + config.maxPuts;
  let ok = 0;
  let notOk = 0;
  let failureSeen = false;
  let afterFailure = 0;
  let stop = false;
  let timedOut = false;
  let flushedReported = -1;
  let maxNotOkLatencyMs = 0;
  if (config.stopOnStdin) {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (text: string) => {
      if (text.includes('stop')) stop = true;
    });
  }

  const worker = async (): Promise<void> => {
    while (!stop && next < last) {
      if (Date.now() - started > config.runMs) {
        timedOut = true;
        stop = true;
        break;
      }
      const seq = next++;
      const queueId = queueOfSeq(seq, config.queues);
      const putStarted = performance.now();
      const r = await store.putMessage({ topic: config.topic, queueId, body: encodeBody(seq, config.maxPadBytes), keys: keysOfSeq(seq) });
      const latencyMs = performance.now() - putStarted;
      if (r.status === 'PUT_OK') {
        ok++;
        out(`A ${seq} ${queueId} ${r.queueOffset} ${r.physicalOffset} ${r.wroteBytes}`);
      } else {
        notOk++;
        maxNotOkLatencyMs = Math.max(maxNotOkLatencyMs, latencyMs);
        if (notOk <= MAX_NACK_LINES) out(`N ${seq} ${r.status} ${r.physicalOffset} ${r.wroteBytes} ${JSON.stringify(r.reason ?? '')}`);
      }
      const info = store.runtimeInfo();
      if (config.reportFlushed && info.flushedOffset > flushedReported) {
        flushedReported = info.flushedOffset;
        out(`P ${flushedReported}`);
      }
      if (!failureSeen && (info.serviceFailure !== null || info.diskFull)) {
        failureSeen = true;
        out('F ' + JSON.stringify({ seq, info }));
      }
      if (failureSeen && config.stopAfterFailure !== undefined && ++afterFailure >= config.stopAfterFailure) stop = true;
      // A refused put resolves at once: yield so a failed store does not spin the event loop.
      // ASYNC_FLUSH puts resolve at once too: without a yield now and then, 128 workers form a
      // microtask loop that never lets libuv deliver the ConsumeQueue fdatasyncs (the power-loss
      // test then waited for a ConsumeQueue file that was never written); a producer fed by a
      // socket yields the same way between reads.
      if (r.status !== 'PUT_OK' || seq % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: config.inflight }, worker));
  if (config.stopOnStdin) process.stdin.destroy();
  out('E ' + JSON.stringify({ info: store.runtimeInfo(), ok, notOk, maxNotOkLatencyMs, issued: next - config.startSeq, timedOut }));
  if (config.closeAtEnd) {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`close() did not finish within ${CLOSE_DEADLINE_MS} ms`)), CLOSE_DEADLINE_MS);
    });
    try {
      await Promise.race([store.close(), deadline]);
      out('C ' + JSON.stringify({ ok: true, ms: Date.now() - t0 }));
    } catch (err) {
      out('C ' + JSON.stringify({ ok: false, error: String(err), ms: Date.now() - t0 }));
    } finally {
      clearTimeout(timer);
    }
  }
  return timedOut ? 3 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fault-writer failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
