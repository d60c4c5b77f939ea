// The echo scenario's server: decodes every frame, verifies it (body = bodyFor(clientId, seq),
// seqs increasing on a connection), and writes it back unchanged.
//
// `bug: 'drop-byte-after-reconnect'` is the deliberately broken server of the checker-bites test:
// on a client's second and later connections (in this incarnation) it drops the last byte of the
// first frame it echoes. The simulator must find it.
import type { Connection, Listener, Transport } from '../../../src/net/transport.js';
import type { SimProcess } from '../sim-process.js';
import { bodyFor, FrameDecoder, HEADER_BYTES } from './echo-protocol.js';
import type { EchoReport } from './echo-report.js';

export type EchoServerBug = 'none' | 'drop-byte-after-reconnect';

export interface EchoServerOptions {
  port: number;
  maxConnections: number;
  bug: EchoServerBug;
}

export class EchoServer {
  private listener: Listener | null = null;
  private readonly connectionsFrom = new Map<string, number>();
  echoedFrames = 0;

  constructor(
    private readonly process: SimProcess,
    private readonly transport: Transport,
    private readonly options: EchoServerOptions,
    private readonly report: EchoReport,
  ) {}

  async start(): Promise<void> {
    this.listener = await this.transport.listen({
      host: '0.0.0.0',
      port: this.options.port,
      maxConnections: this.options.maxConnections,
      onConnection: (conn) => this.serve(conn),
      onRefused: (addr) => this.report.note(`${this.process.label} refused ${addr}`),
    });
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  private serve(conn: Connection): void {
    const fromHost = conn.remoteAddress.split(':')[0] as string;
    const nth = (this.connectionsFrom.get(fromHost) ?? 0) + 1;
    this.connectionsFrom.set(fromHost, nth);
    let sabotage = this.options.bug === 'drop-byte-after-reconnect' && nth >= 2;
    const decoder = new FrameDecoder();
    let lastSeq = -1;
    let lastClient = -1;
    const where = `${this.process.label} from ${conn.remoteAddress}`;
    conn.on('data', (chunk) => {
      const frames = decoder.push(chunk);
      if (typeof frames === 'string') {
        this.report.fail(`server ${where}: ${frames}`);
        conn.destroy();
        return;
      }
      for (const f of frames) {
        if (f.clientId === lastClient && f.seq <= lastSeq) {
          this.report.fail(`server ${where}: seq ${f.seq} after ${lastSeq} on one connection (reordered or duplicated bytes)`);
        }
        lastClient = f.clientId;
        lastSeq = f.seq;
        const expected = bodyFor(f.clientId, f.seq);
        if (!expected.equals(f.body)) {
          this.report.fail(`server ${where}: frame seq ${f.seq} has a corrupt body (${f.body.length} bytes, expected ${expected.length})`);
        }
        const frame = Buffer.allocUnsafe(HEADER_BYTES + f.body.length);
        frame.writeUInt32BE(f.body.length, 0);
        frame.writeUInt32BE(f.clientId, 4);
        frame.writeUInt32BE(f.seq, 8);
        f.body.copy(frame, HEADER_BYTES);
        conn.write(sabotage ? frame.subarray(0, frame.length - 1) : frame);
        sabotage = false;
        this.echoedFrames++;
      }
    });
    conn.on('end', () => conn.destroy());
    conn.on('error', (err) => this.report.note(`server ${where}: ${err.message}`)); // 'close' follows
  }
}
