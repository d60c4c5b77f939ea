// Reserved system topics the store writes itself and never indexes for consumers.
//   RMQ_SYS_DLEDGER_TERM: the DLedger term-start marker record (docs/ON_DISK_FORMAT.md, "DLedger
//   mode"): an ordinary CommitLog record that gets no ConsumeQueue entry (put path, replica
//   appends and recovery re-dispatch all skip it) and that client puts may not use.
export const DLEDGER_TERM_TOPIC = 'RMQ_SYS_DLEDGER_TERM';
/** The marker's property holding its term (decimal). */
export const DLEDGER_TERM_PROPERTY = 'DLEDGER_TERM';

/** Records of this topic get no ConsumeQueue entry. */
export function isUnindexedTopic(topic: string): boolean {
  return topic === DLEDGER_TERM_TOPIC;
}

/** Why a client put to `topic` is refused (a reserved topic), or null. */
export function reservedTopicRefusal(topic: string): string | null {
  return topic === DLEDGER_TERM_TOPIC ? `topic ${DLEDGER_TERM_TOPIC} is reserved for the DLedger term-start marker` : null;
}
