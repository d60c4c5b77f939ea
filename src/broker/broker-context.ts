// What the broker's handlers share: the engine (through its public API), the config, the
// metadata registries, the pop service, the delay timer and transaction service, long-poll waiters, client registry, the clock and the
// scheduler, and the address this broker advertises in routes. Wiring as data, no behaviour.
import type { MessageStoreConfig } from '../config/store-config.js';
import type { MessageStore } from '../store/message-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import type { BrokerCounters } from './broker-counters.js';
import type { ClientRegistry } from './client-settings.js';
import type { GroupRegistry } from './group-registry.js';
import type { ArrivalWaiters } from './long-poll.js';
import type { PopService } from './pop-service.js';
import type { DelayTimer } from './timer/delay-timer.js';
import type { TopicRegistry } from './topic-registry.js';
import type { TransactionService } from './transaction/transaction-service.js';

export interface BrokerContext {
  readonly store: MessageStore;
  readonly config: Readonly<MessageStoreConfig>;
  readonly topics: TopicRegistry;
  readonly groups: GroupRegistry;
  readonly pop: PopService;
  /** Delay messages (DELAY topics): the timer over rmq_sys_wheel_timer. */
  readonly delays: DelayTimer;
  /** Transactional messages (TRANSACTION topics): halves, ends, orphan checks. */
  readonly transactions: TransactionService;
  readonly waiters: ArrivalWaiters;
  readonly clients: ClientRegistry;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** What was sent, received and acked (for the metrics). */
  readonly counters: BrokerCounters;
  /** host and port put in routes (the real port once bound). */
  readonly advertised: { host: string; port: number };
}
