// Moved to src/replication/replication-types.ts (the replication room, below ha/ and store/).
export type { ReplicationGate, ReplicationSource, ReplicationWait, SharedReplicationSource } from '../replication/replication-types.js';
