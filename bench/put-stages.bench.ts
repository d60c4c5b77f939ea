// Where a put's CPU goes, stage by stage (issue 12): each stage of the engine's put path run on
// its own in a tight loop (validation + property encoding + body CRC = prepareMessage; the body
// CRC alone; encoding the record into a buffer = writeRecord; the ConsumeQueue entry; settling
// the put's promise), beside the plain append log's whole per-put encode, at 128 B and 1 KiB.
// The store bench gives the whole put; the difference is the store's own bookkeeping (offsets,
// position publish, dispatch queue, wakes). Synchronous stages only: no IO here.
import { prepareMessage, type MessageInput, type PreparedMessage } from '../src/codec/prepare-message.js';
import { writeCqEntry } from '../src/codec/consume-queue-entry.js';
import { writeRecord } from '../src/codec/write-record.js';
import { crc32 } from '../src/io/crc.js';
import { formatTable, measure, type BenchCase, type BenchTiming } from './lib/harness.js';

const CALLS = 1000;
const HOST = { address: new Uint8Array([127, 0, 0, 1]), port: 10911 };

export async function putStagesSuite(timing: BenchTiming): Promise<string> {
  const out: string[] = [];
  for (const bodyBytes of [128, 1024]) {
    const body = new Uint8Array(bodyBytes).fill(0x61);
    const input: MessageInput = { topic: 'BenchTopic', queueId: 3, body, bornTimestamp: 1_700_000_000_000, bornHost: HOST, storeHost: HOST };
    const limits = { maxMessageSizeBytes: 4 << 20, maxTopicBytes: 127 };
    const prepared = prepareMessage(input, limits) as PreparedMessage;
    const target = new Uint8Array(8 << 20);
    const cq = new Uint8Array(20 * CALLS);
    let pos = 0;
    let sink = 0;
    const cases: BenchCase[] = [
      {
        name: 'prepareMessage (validate, properties, CRC)',
        callsPerSample: CALLS,
        sample: () => {
          for (let i = 0; i < CALLS; i++) sink ^= (prepareMessage(input, limits) as PreparedMessage).totalSizeBytes;
        },
      },
      {
        name: 'body CRC alone',
        callsPerSample: CALLS,
        bytesPerCall: bodyBytes,
        sample: () => {
          for (let i = 0; i < CALLS; i++) sink ^= crc32(body);
        },
      },
      {
        name: 'writeRecord (encode + copy body)',
        callsPerSample: CALLS,
        sample: () => {
          for (let i = 0; i < CALLS; i++) {
            if (pos + prepared.totalSizeBytes > target.length) pos = 0;
            pos += writeRecord(target, pos, prepared, i, pos, 1_700_000_000_000);
          }
        },
      },
      {
        name: 'ConsumeQueue entry',
        callsPerSample: CALLS,
        sample: () => {
          for (let i = 0; i < CALLS; i++) writeCqEntry(cq, i * 20, i * 1100, prepared.totalSizeBytes, 0);
        },
      },
      {
        name: 'Promise.resolve(result)',
        callsPerSample: CALLS,
        sample: () => {
          for (let i = 0; i < CALLS; i++) void Promise.resolve(prepared);
        },
      },
    ];
    const rows = await measure(cases, timing);
    out.push(formatTable(`Put stages, ${bodyBytes} B body (ns per call, one core)`, rows, 'prepareMessage (validate, properties, CRC)'));
    if (sink === 0.5) out.push('unreachable'); // keeps `sink` alive
  }
  return out.join('\n\n');
}
