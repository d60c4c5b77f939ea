// Test helpers for the broker: an in-process node (openNode with the gRPC broker on port 0 and
// no HA) and the OFFICIAL client (rocketmq-client-nodejs, unmodified) with a quiet logger that
// keeps its error lines for the failure message. Every client made here is shut down by
// closeAll(); every node by its close(). Waiting is on client calls with deadlines, never sleeps.
import { Producer, PushConsumer, SimpleConsumer, type MessageListener } from 'rocketmq-client-nodejs';
import { startBroker, type Broker } from '../../src/broker/broker.js';
import { MessageStore } from '../../src/store/message-store.js';
import { CALM_DISK_USAGE, smallConfig } from '../helpers/store-harness.js';

export interface QuietLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  close(): void;
  errors: string[];
}

export function quietLogger(): QuietLogger {
  const errors: string[] = [];
  return {
    info() {},
    warn() {},
    debug() {},
    close() {},
    error: (...args: unknown[]) => {
      if (errors.length < 100) errors.push(args.map(String).join(' '));
    },
    errors,
  };
}

export interface InProcessBroker {
  store: MessageStore;
  broker: Broker;
  endpoints: string;
  close(): Promise<void>;
}

/** A store and the broker on it, in this process (grpcServerPort 0: any free port). */
export async function openBroker(dir: string, overrides: Record<string, unknown> = {}): Promise<InProcessBroker> {
  const store = await MessageStore.open(smallConfig(dir, 'node', { listenPort: 0, maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20, ...overrides }), { diskUsage: CALM_DISK_USAGE });
  try {
    const broker = await startBroker(store);
    return {
      store,
      broker,
      endpoints: `127.0.0.1:${broker.port}`,
      close: async () => {
        await broker.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** An in-process broker with official clients bound to it. */
export interface BrokerWithClients {
  broker: InProcessBroker;
  clients: Clients;
}

/** Brokers a test file opens with their clients: `open` starts one, `close` ends it early (a
 * restart), and every one still open is closed after each test (register `closeAll` in afterEach). */
export function brokersWithClients(): {
  open(dir: string, overrides?: Record<string, unknown>): Promise<BrokerWithClients>;
  close(pair: BrokerWithClients): Promise<void>;
  /** Close only the broker (a crash seen from the clients): its clients run on, closed by closeAll. */
  closeBroker(pair: BrokerWithClients): Promise<void>;
  closeAll(): Promise<void>;
} {
  let opened: BrokerWithClients[] = [];
  const brokerClosed = new Set<BrokerWithClients>();
  const close = async (pair: BrokerWithClients): Promise<void> => {
    opened = opened.filter((p) => p !== pair);
    await pair.clients.closeAll();
    if (!brokerClosed.delete(pair)) await pair.broker.close();
  };
  return {
    open: async (dir, overrides = {}) => {
      const broker = await openBroker(dir, overrides);
      const pair = { broker, clients: new Clients(broker.endpoints) };
      opened.push(pair);
      return pair;
    },
    close,
    closeBroker: async (pair) => {
      brokerClosed.add(pair);
      await pair.broker.close();
    },
    closeAll: async () => {
      for (const pair of [...opened]) await close(pair);
    },
  };
}

/** Official clients bound to one endpoint; closeAll() shuts every one down. */
export class Clients {
  private readonly started: { shutdown(): Promise<void> }[] = [];
  readonly logger = quietLogger();

  constructor(readonly endpoints: string) {}

  /** `options`: more Producer options (e.g. a transaction `checker`). */
  async producer(topics: string[] = [], options: Record<string, unknown> = {}): Promise<Producer> {
    const p = new Producer({ endpoints: this.endpoints, namespace: '', logger: this.logger, topics, requestTimeout: 3000, ...options } as ConstructorParameters<typeof Producer>[0]);
    await p.startup();
    this.started.push(p);
    return p;
  }

  async consumer(group: string, subscriptions: Record<string, string>, awaitDurationMs = 3000): Promise<SimpleConsumer> {
    const c = new SimpleConsumer({
      endpoints: this.endpoints,
      namespace: '',
      logger: this.logger,
      consumerGroup: group,
      subscriptions: new Map(Object.entries(subscriptions)),
      awaitDuration: awaitDurationMs,
      requestTimeout: 3000,
    } as ConstructorParameters<typeof SimpleConsumer>[0]);
    await c.startup();
    this.started.push(c);
    return c;
  }

  async pushConsumer(group: string, subscriptions: Record<string, string>, listener: MessageListener): Promise<PushConsumer> {
    const c = new PushConsumer({
      endpoints: this.endpoints,
      namespace: '',
      logger: this.logger,
      consumerGroup: group,
      subscriptions: new Map(Object.entries(subscriptions)),
      messageListener: listener,
      requestTimeout: 3000,
    } as ConstructorParameters<typeof PushConsumer>[0]);
    await c.startup();
    this.started.push(c);
    return c;
  }

  /** Shut one client down now (it is not shut down again by closeAll). */
  async shutdown(client: { shutdown(): Promise<void> }): Promise<void> {
    const i = this.started.indexOf(client);
    if (i >= 0) this.started.splice(i, 1);
    await client.shutdown();
  }

  async closeAll(): Promise<void> {
    for (const c of this.started.splice(0)) await c.shutdown();
  }
}

/** The rejection's v2 status code (ClientException.code), or a failure if it resolved. */
export async function rejectionCode(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code?: number }).code ?? -1, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}
