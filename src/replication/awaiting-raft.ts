// The policy of a DLedger-mode store (enableDLegerCommitLog=true) from open until its Raft
// member starts (dledger/dledger-service.ts installs the member's policy): no client puts (no
// member knows yet who leads), no replicated appends, and consumers see only what was indexed
// before (confirm offset 0: the records recovery left waiting in the dispatch queue may be an
// uncommitted tail, they wait for the member's confirm offset).
import type { ReplicationPolicy } from './replication-policy.js';

export const awaitingRaft: ReplicationPolicy = Object.freeze({
  role: 'FOLLOWER',
  follows: false,
  wantsPromptCommit: false,
  putRefusal: () => 'the DLedger member has not started yet (enableDLegerCommitLog=true: only the elected leader takes puts)',
  afterAppend: () => null,
  confirmOffset: () => 0,
});
