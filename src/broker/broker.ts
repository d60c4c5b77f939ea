// startBroker: the RocketMQ 5 gRPC MessagingService on one open store, as a client of the
// engine's public API (MessageStore). Binds grpcBindAddress (default brokerIP1) :
// grpcServerPort (0 = any free port), advertises brokerIP1 and the real port in routes, loads
// config/topics.json and config/subscriptionGroup.json, and serves until close().
// close(): wake every long poll (answered MESSAGE_NOT_FOUND), stop the delay timer and the
// transaction checks (after the step in progress), end the Telemetry streams, then
// let grpc-js finish in-flight calls (tryShutdown), forcing the rest after CLOSE_GRACE_MS.
// Closing the broker never closes the store (the node assembly owns it).
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '../errors.js';
import { readPemFile } from '../net/security-files.js';
import { checkCertificateKeyPair } from '../net/tls-transport.js';
import { isLoopbackHost, isWildcardHost } from '../util/ip-address.js';
import type { MessageStore } from '../store/message-store.js';
import { systemClock, type Clock } from '../util/clock.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import type { BrokerContext } from './broker-context.js';
import { BrokerCounters } from './broker-counters.js';
import { ClientRegistry } from './client-settings.js';
import { GroupRegistry } from './group-registry.js';
import { ArrivalWaiters } from './long-poll.js';
import { messagingService } from './messaging-service.js';
import { openPopService } from './pop-open.js';
import type { CheckpointOptions } from './pop-checkpoint.js';
import { rocketmqSchema } from './proto-schema.js';
import { DelayTimer, type DelayTimerStats } from './timer/delay-timer.js';
import { TopicRegistry } from './topic-registry.js';
import { TransactionService, type TransactionStats } from './transaction/transaction-service.js';

export const CLOSE_GRACE_MS = 5_000;

export interface BrokerOptions {
  logger?: Logger;
  clock?: Clock;
  scheduler?: Scheduler;
  /** When the pop-state journal writes snapshots (tests pass small values). */
  popCheckpoint?: CheckpointOptions;
}

/** What /status shows of the gRPC server. */
export interface BrokerStats {
  host: string;
  port: number;
  telemetryStreams: number;
  longPolls: number;
  receiving: number;
  topics: number;
  groups: number;
  /** Delay messages pending in the timer's memory, whether more wait in the log, deliveries. */
  delays: DelayTimerStats;
  /** Transactions: whether the pending set is built (lazily, from the log), pending halves, checks sent. */
  transactions: TransactionStats;
}

export interface Broker {
  readonly host: string;
  readonly port: number;
  readonly topics: TopicRegistry;
  readonly groups: GroupRegistry;
  /** What was sent, received and acked since start (the Prometheus series). */
  readonly counters: BrokerCounters;
  /** Messages of (group, topic, queue) delivered and not yet acked (consumerProgress). */
  inflight(group: string, topic: string, queueId: number): number;
  /** Address, open Telemetry streams, long polls waiting, receive streams in progress. */
  stats(): BrokerStats;
  close(): Promise<void>;
}

/** The handlers' shared parts over `store` (also what a bench drives the handlers with); the pop
 * service replays its journal first. `closePop` writes its last snapshot (after the server stopped). */
export async function brokerContext(
  store: MessageStore,
  clock: Clock,
  scheduler: Scheduler,
  logger: Logger,
  popCheckpoint?: CheckpointOptions,
): Promise<{ ctx: BrokerContext; closePop: () => Promise<void> }> {
  const config = store.config;
  const topics = new TopicRegistry(store.fileIO, config, () => clock.nowMs());
  const pop = await openPopService(store, topics, clock, scheduler, logger.child('pop'), popCheckpoint);
  const ctx: BrokerContext = {
    store,
    config,
    topics,
    groups: new GroupRegistry(store.fileIO, config, () => clock.nowMs()),
    pop: pop.service,
    delays: new DelayTimer(store, config, clock, scheduler, logger.child('timer')),
    transactions: new TransactionService(store, config, clock, scheduler, logger.child('transaction')),
    waiters: new ArrivalWaiters(store, scheduler),
    clients: new ClientRegistry(),
    counters: new BrokerCounters(),
    clock,
    scheduler,
    logger,
    advertised: { host: config.brokerIP1, port: config.grpcServerPort },
  };
  return { ctx, closePop: () => pop.close() };
}

export async function startBroker(store: MessageStore, options: BrokerOptions = {}): Promise<Broker> {
  const config = store.config;
  const logger = options.logger ?? consoleLogger('broker', config.logLevel);
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? realScheduler;
  const schema = rocketmqSchema();
  const credentials = serverCredentials(config); // before anything opens: a bad TLS file is a ConfigError
  const { ctx, closePop } = await brokerContext(store, clock, scheduler, logger, options.popCheckpoint);
  const { topics, groups, waiters, advertised } = ctx;
  const service = messagingService(ctx);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.grpcMaxInboundMessageSize,
    'grpc.max_send_message_length': -1,
  });
  server.addService(schema.service, service.implementation);
  const host = config.grpcBindAddress ?? config.brokerIP1;
  if (isWildcardHost(host)) logger.warn(`the gRPC MessagingService binds to every interface (${host}): every network this machine is on can produce and consume`);
  if (!isLoopbackHost(host) && config.grpcTlsCertFile === null) logger.warn(`the gRPC MessagingService on ${host} is plaintext: message bodies cross the network in clear (set grpcTlsCertFile and grpcTlsKeyFile for TLS)`);
  let port: number;
  try {
    port = await bind(server, host, config.grpcServerPort, credentials);
  } catch (err) {
    waiters.close();
    server.forceShutdown();
    await closePop();
    throw err;
  }
  advertised.port = port;
  ctx.delays.start();
  ctx.transactions.start({ send: (id, cmd) => service.telemetry.sendTo(id, cmd), producersOf: (topic) => service.telemetry.producersOf(topic) });
  logger.info(`gRPC MessagingService on ${host}:${port} (schema from ${schema.protoDir}; ${topics.list().length} topics, ${groups.list().length} groups)`);
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    topics,
    groups,
    counters: ctx.counters,
    inflight: (group, topic, queueId) => ctx.pop.inflightCount(group, topic, queueId),
    stats: () => ({
      host,
      port,
      telemetryStreams: service.telemetry.open,
      longPolls: waiters.waiting,
      receiving: service.receiving(),
      topics: topics.list().length,
      groups: groups.list().length,
      delays: ctx.delays.stats(),
      transactions: ctx.transactions.stats(),
    }),
    close: () => (closing ??= shutdown(server, ctx, service.telemetry, scheduler).then(closePop)),
  };
}

/** TLS when grpcTlsCertFile and grpcTlsKeyFile are set (files read and checked now: a bad one
 * is a ConfigError naming its key), else plaintext. */
function serverCredentials(config: MessageStore['config']): grpc.ServerCredentials {
  if (config.grpcTlsCertFile === null || config.grpcTlsKeyFile === null) return grpc.ServerCredentials.createInsecure();
  const cert = readPemFile('grpcTlsCertFile', config.grpcTlsCertFile, 'certificate');
  const key = readPemFile('grpcTlsKeyFile', config.grpcTlsKeyFile, 'private key');
  try {
    checkCertificateKeyPair(cert, key);
  } catch (err) {
    throw new ConfigError('grpcTlsKeyFile', config.grpcTlsKeyFile, `the private key of grpcTlsCertFile (${config.grpcTlsCertFile}): ${(err as Error).message}`);
  }
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }], false);
}

function bind(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => {
      if (err) reject(new Error(`the gRPC server could not bind ${address} (grpcBindAddress / grpcServerPort): ${err.message}`, { cause: err }));
      else resolve(bound);
    });
  });
}

async function shutdown(server: grpc.Server, ctx: BrokerContext, telemetry: { closeAll(): void }, scheduler: Scheduler): Promise<void> {
  ctx.waiters.close();
  await ctx.delays.close();
  await ctx.transactions.close();
  telemetry.closeAll();
  await new Promise<void>((resolve) => {
    const force = scheduler.after(CLOSE_GRACE_MS, () => {
      ctx.logger.warn(`gRPC calls still open ${CLOSE_GRACE_MS} ms after close; forcing them`);
      server.forceShutdown();
      resolve();
    });
    server.tryShutdown((err) => {
      force.cancel();
      if (err) ctx.logger.warn(`gRPC shutdown: ${err.message}`);
      resolve();
    });
  });
}
