// How the TPS run gets a slave for the replication modes: the HA service when it is built,
// otherwise the reason it cannot (the table then shows the single-node rows only).
import type { SlaveFactory } from './measure.js';

export async function loadSlaveFactory(): Promise<SlaveFactory | { unavailable: string }> {
  return { unavailable: 'master/slave replication (issue 4) is not in this build yet' };
}
