// The MessagingService implementation for grpc-js: one function per RPC of service.proto,
// adapting grpc-js calls to the handlers. Every unary answer carries a status; a handler's
// refusal (BrokerRefusal) becomes its status with the reason, any other failure INTERNAL_ERROR
// with the message (and an error log line), never a transport error. RPCs the broker does not
// implement answer NOT_IMPLEMENTED with what is missing.
//
// Served: QueryRoute, Heartbeat, Telemetry (settings), QueryAssignment, NotifyClientTermination,
// SendMessage (NORMAL, FIFO, DELAY, TRANSACTION), EndTransaction (orphan checks go out over
// Telemetry), ReceiveMessage (pop, long polling, tag filters, FIFO one batch in flight per queue),
// AckMessage, ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue (and %DLQ%<group> after
// the group's max attempts), with durable pop state (pop-service.ts).
// Not yet: RecallMessage (of delay messages), server-side renewal for PushConsumer (auto_renew gets
// a fixed 30 s invisibility), pull consumers (PullMessage, UpdateOffset, GetOffset, QueryOffset),
// SQL92 filters, GZIP bodies, namespaces, authentication, lite topics.
import type * as grpc from '@grpc/grpc-js';
import type { BrokerContext } from './broker-context.js';
import { forwardToDeadLetter } from './dead-letter.js';
import { ackMessage, changeInvisibleDuration, receiveMessage, type ReceiveStream } from './receive-handler.js';
import { assertServesClients, heartbeat, notifyClientTermination, queryAssignment, queryRoute } from './route-handlers.js';
import { SendHandler } from './send-handler.js';
import { BrokerRefusal, status, type Status } from './status-codes.js';
import { TelemetryHandler, type TelemetryStream } from './telemetry-handler.js';

type Unary = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;

export interface MessagingService {
  readonly implementation: grpc.UntypedServiceImplementation;
  readonly telemetry: TelemetryHandler;
  /** Receive streams open now. */
  readonly receiving: () => number;
}

export function clientIdOf(metadata: grpc.Metadata): string | null {
  const v = metadata.get('x-mq-client-id')[0];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function messagingService(ctx: BrokerContext): MessagingService {
  const send = new SendHandler(ctx);
  const telemetry = new TelemetryHandler(ctx);
  let receiving = 0;
  const unary =
    (what: string, fn: (request: any, call: grpc.ServerUnaryCall<any, any>) => unknown): Unary =>
    (call, callback) => {
      Promise.resolve()
        .then(() => fn(call.request, call))
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(null, { status: failureStatus(ctx, what, err) }),
        );
    };
  const notImplemented = (what: string, missing: string): Unary => unary(what, () => ({ status: status('NOT_IMPLEMENTED', `${what} is not implemented by this broker yet: ${missing}`) }));
  const implementation: grpc.UntypedServiceImplementation = {
    QueryRoute: unary('QueryRoute', (req) => queryRoute(ctx, req)),
    Heartbeat: unary('Heartbeat', (req) => heartbeat(ctx, req)),
    SendMessage: unary('SendMessage', (req, call) => send.send(req, clientIdOf(call.metadata))),
    QueryAssignment: unary('QueryAssignment', (req) => queryAssignment(ctx, req)),
    ReceiveMessage: (call: grpc.ServerWritableStream<any, any>) => {
      receiving++;
      const stream = receiveStream(call, () => ctx.clock.nowMs());
      receiveMessage(ctx, call.request, stream)
        .catch((err: unknown) => {
          if (stream.isCancelled()) return;
          stream.write({ status: failureStatus(ctx, 'ReceiveMessage', err) });
          stream.end();
        })
        .finally(() => receiving--);
    },
    AckMessage: unary('AckMessage', (req) => ackMessage(ctx, req)),
    ForwardMessageToDeadLetterQueue: unary('ForwardMessageToDeadLetterQueue', (req) => forwardToDeadLetter(ctx, req)),
    PullMessage: (call: grpc.ServerWritableStream<any, any>) => {
      call.write({ status: status('NOT_IMPLEMENTED', 'PullMessage is not implemented by this broker yet: use ReceiveMessage (pop)') });
      call.end();
    },
    UpdateOffset: notImplemented('UpdateOffset', 'pull consumers'),
    GetOffset: notImplemented('GetOffset', 'pull consumers'),
    QueryOffset: notImplemented('QueryOffset', 'pull consumers'),
    EndTransaction: unary('EndTransaction', (req) => {
      assertServesClients(ctx, 'EndTransaction');
      return ctx.transactions.end(req);
    }),
    Telemetry: (call: grpc.ServerDuplexStream<any, any>) => telemetry.serve(call as unknown as TelemetryStream, clientIdOf(call.metadata)),
    NotifyClientTermination: unary('NotifyClientTermination', (_req, call) => notifyClientTermination(ctx, clientIdOf(call.metadata))),
    ChangeInvisibleDuration: unary('ChangeInvisibleDuration', (req) => changeInvisibleDuration(ctx, req)),
    RecallMessage: notImplemented('RecallMessage', 'delay messages'),
    SyncLiteSubscription: notImplemented('SyncLiteSubscription', 'lite topics'),
  };
  return { implementation, telemetry, receiving: () => receiving };
}

function failureStatus(ctx: BrokerContext, what: string, err: unknown): Status {
  if (err instanceof BrokerRefusal) return err.status;
  const e = err as Error & { code?: unknown };
  ctx.logger.error(`${what} failed: ${e.stack ?? e.message}`);
  return status('INTERNAL_ERROR', `${what} failed in the broker: ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}`);
}

/** One server stream as the receive handler sees it; one 'cancelled' listener per call. */
function receiveStream(call: grpc.ServerWritableStream<any, any>, wallMs: () => number): ReceiveStream {
  let cancelled = false;
  let onCancel: (() => void) | null = null;
  call.on('cancelled', () => {
    cancelled = true;
    onCancel?.();
  });
  return {
    write: (r) => {
      if (!cancelled) call.write(r);
    },
    end: () => {
      if (!cancelled) call.end();
    },
    deadlineLeftMs: () => {
      const d = call.getDeadline();
      const ms = d instanceof Date ? d.getTime() : Number(d);
      return Number.isFinite(ms) ? ms - wallMs() : Infinity;
    },
    onCancel: (fn) => {
      onCancel = fn;
      if (cancelled) fn();
    },
    isCancelled: () => cancelled,
  };
}
