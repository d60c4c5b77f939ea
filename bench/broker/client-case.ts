// One broker measured with the OFFICIAL client (rocketmq-client-nodejs): `producers` Producers
// share `inflight` sends in flight for timeMs (send msg/s, p50/p99 per send), then
// `receivers` SimpleConsumer loops receive(32) and ack every message until everything sent was
// seen (receive+ack msg/s; p50/p99 of one receive+ack round). The send phase is cut into
// `rounds` parts with `between()` (the bare echo) run before each, so each part has an echo
// measured right next to it: the ratio per round, whose median the suite reports, is far
// steadier than one echo against one send phase on a shared machine. The bench's own delivery check:
// every sent message id is received with the body it was sent with; a message received more
// than once must say so (deliveryAttempt > 1: a redelivery after its invisibility ran out,
// at-least-once); a loss, a wrong body or an unannounced duplicate fails the run.
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { closedLoop, mergeRates, rateOf, type Rate } from '../lib/closed-loop.js';

const quiet = { info() {}, warn() {}, debug() {}, close() {}, error() {} };
const TOPIC = 'BenchTopic';
const GROUP = 'BenchGroup';
const MAX_IN_CHECK = 5_000_000;

export interface ClientCaseOptions {
  endpoints: string;
  timeMs: number;
  inflight: number;
  producers: number;
  receivers: number;
  bodyBytes: number;
  /** Send phase parts, each after a `between()` measurement (default 1, nothing between). */
  rounds?: number;
  between?: () => Promise<Rate & { elapsedSec: number; latencies: number[] }>;
}

export interface ClientCaseResult {
  send: Rate;
  /** The `between()` measurements merged, and send/between per round. */
  between: Rate | null;
  roundRatios: number[];
  receiveAck: Rate;
  sent: number;
  redelivered: number;
}

function bodyOf(index: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes, 0x61);
  b.write(`${index}:`, 0, 'latin1');
  return b;
}

export async function measureClientCase(o: ClientCaseOptions): Promise<ClientCaseResult> {
  const producers = Array.from({ length: o.producers }, () => new Producer({ endpoints: o.endpoints, namespace: '', logger: quiet, topics: [TOPIC], requestTimeout: 10_000 } as ConstructorParameters<typeof Producer>[0]));
  const consumer = new SimpleConsumer({
    endpoints: o.endpoints,
    namespace: '',
    logger: quiet,
    consumerGroup: GROUP,
    subscriptions: new Map([[TOPIC, '*']]),
    awaitDuration: 1000,
    requestTimeout: 10_000,
  } as ConstructorParameters<typeof SimpleConsumer>[0]);
  try {
    for (const p of producers) await p.startup();
    await consumer.startup();
    const sent = new Map<string, number>(); // message id -> index (its body)
    let next = 0;
    const sendOne = async (lane: number): Promise<void> => {
      const i = next++;
      const r = await producers[lane % producers.length]!.send({ topic: TOPIC, body: bodyOf(i, o.bodyBytes) });
      if (sent.size < MAX_IN_CHECK) sent.set(r.messageId, i);
    };
    await closedLoop(Math.min(300, o.timeMs), o.inflight, sendOne); // warm-up (checked too)
    const rounds = Math.max(1, o.rounds ?? 1);
    const sends: Array<Awaited<ReturnType<typeof closedLoop>>> = [];
    const betweens: Array<Awaited<ReturnType<typeof closedLoop>>> = [];
    const roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const b = o.between ? await o.between() : null;
      const s = await closedLoop(o.timeMs / rounds, o.inflight, sendOne);
      sends.push(s);
      if (b) {
        betweens.push(b);
        roundRatios.push(s.perSec / b.perSec);
      }
    }
    const send = mergeRates(sends);

    const seen = new Map<string, number>();
    let redelivered = 0;
    const problems: string[] = [];
    const latencies: number[] = [];
    const start = performance.now();
    const deadline = start + Math.max(30_000, o.timeMs * 20);
    const loop = async (): Promise<void> => {
      while (seen.size < sent.size && performance.now() < deadline) {
        const t = performance.now();
        const batch = await consumer.receive(32, 30_000);
        for (const m of batch) {
          const index = sent.get(m.messageId);
          const count = (seen.get(m.messageId) ?? 0) + 1;
          seen.set(m.messageId, count);
          if (index === undefined) problems.push(`received ${m.messageId}, which was never sent`);
          else if (!m.body.equals(bodyOf(index, o.bodyBytes))) problems.push(`${m.messageId}: body differs from the one sent`);
          if (count > 1) {
            if ((m.deliveryAttempt ?? 1) > 1) redelivered++;
            else problems.push(`${m.messageId} delivered ${count} times without a redelivery attempt count`);
          }
        }
        await Promise.all(batch.map((m) => consumer.ack(m)));
        if (batch.length > 0) latencies.push(performance.now() - t);
        if (problems.length > 10) break;
      }
    };
    await Promise.all(Array.from({ length: o.receivers }, loop));
    const elapsed = (performance.now() - start) / 1000;
    const missing = [...sent.keys()].filter((id) => !seen.has(id)).length;
    if (missing > 0) problems.push(`${missing} of ${sent.size} sent messages were never received`);
    if (problems.length > 0) throw new Error(`broker bench delivery check failed: ${problems.slice(0, 10).join('; ')}`);
    const delivered = [...seen.values()].reduce((a, b) => a + b, 0);
    return { send, between: betweens.length > 0 ? mergeRates(betweens) : null, roundRatios, receiveAck: rateOf(latencies, delivered, elapsed), sent: sent.size, redelivered };
  } finally {
    await consumer.shutdown();
    for (const p of producers) await p.shutdown();
  }
}
