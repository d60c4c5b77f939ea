// Start the broker's pop consumption: replay the pop-state journal (pop-replay.ts) into a
// PopService whose bootId is above every one the journal holds, with dead letters going to
// %DLQ%<group> (dead-letter.ts), and start its snapshots (pop-checkpoint.ts). close() writes the
// last snapshot (after the gRPC server stopped, so no change comes after it).
import type { MessageStore } from '../store/message-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import { deadLetterSink } from './dead-letter.js';
import { PopCheckpointer, type CheckpointOptions } from './pop-checkpoint.js';
import { PopJournal } from './pop-journal.js';
import { POP_STATE_TOPIC } from './pop-records.js';
import { replayPopState } from './pop-replay.js';
import { consumerOffsetLedger, PopService } from './pop-service.js';
import type { TopicRegistry } from './topic-registry.js';

export interface OpenPop {
  readonly service: PopService;
  close(): Promise<void>;
}

export async function openPopService(store: MessageStore, topics: TopicRegistry, clock: Clock, scheduler: Scheduler, logger: Logger, options?: CheckpointOptions): Promise<OpenPop> {
  const started = clock.monotonicMs();
  const replayed = await replayPopState(store, logger);
  let inflight = 0;
  for (const s of replayed.states.values()) inflight += s.inflightCount;
  logger.info(
    `pop state: replayed ${replayed.records} journal records (${POP_STATE_TOPIC} offsets ${replayed.fromOffset}..${replayed.toOffset}) in ${Math.round(clock.monotonicMs() - started)} ms: ` +
      `${replayed.states.size} queues, ${inflight} messages in flight${replayed.malformed > 0 ? `, ${replayed.malformed} malformed records skipped` : ''}`,
  );
  const bootId = Math.max(clock.nowMs(), replayed.maxBootId + 1);
  const journal = new PopJournal(store, replayed.maxSnapshotId);
  const again = (): ReturnType<typeof replayPopState> => replayPopState(store, logger);
  const service = new PopService(store, consumerOffsetLedger(store), journal, deadLetterSink(store, topics), bootId, logger, replayed.states, again);
  const checkpointer = new PopCheckpointer(service, clock, scheduler, logger, options);
  return { service, close: () => checkpointer.close() };
}
