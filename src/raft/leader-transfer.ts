// A leadership transfer in progress (Raft thesis §3.10, TimeoutNow style): the leader stops taking
// client puts, waits until the transferee holds everything it has written, then sends TIMEOUT_NOW
// (the transferee starts an election at once, with votes that ignore sticky leaders). A transferee
// further behind than the lag bound when the transfer is asked for is refused at once
// (FALL_BEHIND_TOO_MUCH); one that does not take over within the timeout ends the transfer
// (TAKE_LEADERSHIP_FAILED) and the leader takes puts again.
import { RaftCode } from './raft-protocol.js';

export interface TransferState {
  readonly to: string;
  readonly deadlineMs: number;
  /** TIMEOUT_NOW was sent (the lease is given up: the transferee's election ignores it). */
  timeoutNowSent: boolean;
}

export type TransferCheck = { readonly ok: true } | { readonly ok: false; readonly code: number; readonly reason: string };

export function checkTransfer(input: {
  readonly to: string;
  readonly selfId: string;
  readonly peers: readonly string[];
  readonly isLeader: boolean;
  readonly busyWith: string | null;
  readonly lagBytes: number;
  readonly maxLagBytes: number;
}): TransferCheck {
  if (!input.isLeader) return { ok: false, code: RaftCode.NOT_LEADER, reason: `${input.selfId} is not the leader` };
  if (!input.peers.includes(input.to)) return { ok: false, code: RaftCode.UNKNOWN_MEMBER, reason: `${input.to} is not a member (${input.peers.join(', ')})` };
  if (input.to === input.selfId) return { ok: false, code: RaftCode.SUCCESS, reason: `${input.to} already leads` };
  if (input.busyWith !== null) return { ok: false, code: RaftCode.LEADER_TRANSFERRING, reason: `a transfer to ${input.busyWith} is in progress` };
  if (input.lagBytes > input.maxLagBytes) {
    return { ok: false, code: RaftCode.FALL_BEHIND_TOO_MUCH, reason: `${input.to} lags ${input.lagBytes} bytes, more than ${input.maxLagBytes}` };
  }
  return { ok: true };
}
