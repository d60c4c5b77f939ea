// The Telemetry settings handshake: each client writes its Settings on a Telemetry stream (once
// per new stream: at start, after a reconnect, every 5 minutes) and waits, with no timeout, for
// the broker's reply before its startup() resolves. The reply is the client's settings with the
// broker's values merged in (as the Java proxy does), including what the Node client requires
// or it breaks:
//   producer   backoff_policy with exponential_backoff (else an uncaught TypeError in the client),
//              publishing.max_body_size > 0 (else every send is refused client-side),
//              validate_message_type
//   consumers  subscription.receive_batch_size, long_polling_timeout, fifo, and an
//              exponential backoff_policy (the Node client ignores a customized one)
// The registry keeps the latest settings per x-mq-client-id (bounded), which later RPCs of the
// same client may consult.
import type { MessageStoreConfig } from '../config/store-config.js';
import { durationOf } from './message-convert.js';

/** ClientType numbers of definition.proto. */
export const ClientType = { UNSPECIFIED: 0, PRODUCER: 1, PUSH_CONSUMER: 2, SIMPLE_CONSUMER: 3, PULL_CONSUMER: 4, LITE_PUSH_CONSUMER: 5, LITE_SIMPLE_CONSUMER: 6 } as const;

export const MAX_CLIENTS = 10_000;
/** What a PushConsumer is told (RocketMQ proxy default batch; the poll is grpcPushConsumerLongPollingMs). */
export const RECEIVE_BATCH_SIZE = 32;
/** A receive that names no long_polling_timeout waits this long. */
export const LONG_POLLING_TIMEOUT_MS = 30_000;
const PRODUCER_MAX_ATTEMPTS = 3;

export interface ClientSettings {
  clientType?: number;
  accessPoint?: unknown;
  backoffPolicy?: { maxAttempts?: number };
  requestTimeout?: unknown;
  publishing?: { topics?: unknown[]; maxBodySize?: number; validateMessageType?: boolean };
  subscription?: { group?: { name?: string }; subscriptions?: unknown[]; fifo?: boolean; receiveBatchSize?: number; longPollingTimeout?: unknown };
  userAgent?: unknown;
  metric?: unknown;
  pubSub?: string;
}

export interface GroupView {
  /** retryMaxTimes of the group: deliveries before the DLQ = retryMaxTimes + 1. */
  retryMaxTimes: number;
  consumeMessageOrderly: boolean;
}

/** The settings the broker answers with. */
export function mergedSettings(client: ClientSettings, config: Readonly<MessageStoreConfig>, group: GroupView | null): ClientSettings {
  const out: ClientSettings = { ...client };
  delete out.pubSub;
  if (client.clientType === ClientType.PRODUCER || client.publishing) {
    out.backoffPolicy = {
      maxAttempts: client.backoffPolicy?.maxAttempts ?? PRODUCER_MAX_ATTEMPTS,
      exponentialBackoff: { initial: durationOf(10), max: durationOf(1000), multiplier: 2 },
    } as ClientSettings['backoffPolicy'];
    out.publishing = { topics: client.publishing?.topics ?? [], maxBodySize: config.maxMessageSize, validateMessageType: true };
    delete out.subscription;
    return out;
  }
  out.backoffPolicy = {
    maxAttempts: (group?.retryMaxTimes ?? 16) + 1,
    exponentialBackoff: { initial: durationOf(1000), max: durationOf(60_000), multiplier: 2 },
  } as ClientSettings['backoffPolicy'];
  out.subscription = {
    ...client.subscription,
    fifo: group?.consumeMessageOrderly ?? false,
    receiveBatchSize: RECEIVE_BATCH_SIZE,
    longPollingTimeout: durationOf(config.grpcPushConsumerLongPollingMs),
  };
  delete out.publishing;
  return out;
}

/** Latest settings per client id (oldest forgotten beyond MAX_CLIENTS). */
export class ClientRegistry {
  private readonly clients = new Map<string, { settings: ClientSettings; seenMs: number }>();

  record(clientId: string, settings: ClientSettings, nowMs: number): void {
    this.clients.delete(clientId);
    this.clients.set(clientId, { settings, seenMs: nowMs });
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
  }

  get(clientId: string): ClientSettings | undefined {
    return this.clients.get(clientId)?.settings;
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  get size(): number {
    return this.clients.size;
  }
}
