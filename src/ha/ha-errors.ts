// Stable codes of the errors the HA layer raises or logs (src/errors.ts has the store's own).
// A log line about a dropped connection starts with the code; tests and operators match on it.
export const HaErrorCode = {
  /** The peer broke the wire format (ha-protocol.ts names the violation). */
  PROTOCOL: 'ERR_HA_PROTOCOL',
  /** The master could not read or send what a slave asked for (deleted segments, socket errors). */
  TRANSFER: 'ERR_HA_TRANSFER',
  /** The slave's store refused replicated bytes (gap, overlap, not a record, disk full). */
  APPEND_REFUSED: 'ERR_HA_APPEND_REFUSED',
} as const;

export type HaErrorCodeValue = (typeof HaErrorCode)[keyof typeof HaErrorCode];
