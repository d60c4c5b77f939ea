// What the broker's handlers share: the engine (through its public API), the config, the
// metadata registries, the pop service, long-poll waiters, client registry, the clock and the
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
import type { TopicRegistry } from './topic-registry.js';

export interface BrokerContext {
  readonly store: MessageStore;
  readonly config: Readonly<MessageStoreConfig>;
  readonly topics: TopicRegistry;
  readonly groups: GroupRegistry;
  readonly pop: PopService;
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
