// The policy of a store without replication: every put is admitted (unless the store itself
// refuses it), nothing is waited for after the append, consumers see what the flush rule allows,
// and replicated appends are refused.
import type { ReplicationPolicy } from './replication-policy.js';

export const noReplication: ReplicationPolicy = Object.freeze({
  role: 'ASYNC_MASTER',
  follows: false,
  wantsPromptCommit: false,
  putRefusal: () => null,
  afterAppend: () => null,
  confirmOffset: () => null,
});
