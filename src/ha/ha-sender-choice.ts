// Picks a master's HaSender from the haTransferMode key:
//   socket    tcpSender: the main thread writes frames to the Transport's connections
//             (ha-tcp-sender.ts)
//   sendfile  sendfileSender: a worker thread per slave, bodies by sendfile(2) from the segment
//             files (ha-sendfile-sender.ts); a ConfigError naming the key when it cannot run here
//             (also when the transport has no OS descriptors, e.g. the simulator's)
//   auto      sendfile when it can run and ioBackend is not 'node' (a pure-Node store on
//             purpose), else socket; the choice and its reason are logged once per call.
import type { HaTransferMode, IoBackendSetting } from '../config/store-config.js';
import { ConfigError } from '../errors.js';
import type { Transport } from '../net/transport.js';
import type { Logger } from '../util/logger.js';
import type { HaSenderFactory } from './ha-sender.js';
import { sendfileSender, sendfileUnavailableReason } from './ha-sendfile-sender.js';
import { tcpSender } from './ha-tcp-sender.js';

export interface SenderChoiceConfig {
  readonly haTransferMode: HaTransferMode;
  readonly ioBackend: IoBackendSetting;
}

/** `unavailable` says why sendfile cannot run in this process (null: it can); tests pass their
 * own. `transport`: the one the connections come from (none given: TCP). */
export function chooseSenderFactory(
  config: SenderChoiceConfig,
  logger: Logger,
  unavailable: () => string | null = sendfileUnavailableReason,
  transport?: Transport,
): HaSenderFactory {
  const mode = config.haTransferMode;
  if (mode === 'socket') return tcpSender;
  const why = transport !== undefined && transport.providesFileDescriptors !== true ? `the ${transport.kind} transport has no OS socket descriptors` : unavailable();
  if (mode === 'sendfile') {
    if (why !== null) throw new ConfigError('haTransferMode', mode, `'socket' or 'auto' here: ${why}`);
    return sendfileSender;
  }
  const fallback = config.ioBackend === 'node' ? "ioBackend is 'node'" : why;
  if (fallback !== null) {
    logger.info(`haTransferMode=auto: slaves are fed from the main thread through the transport (socket), because ${fallback}`);
    return tcpSender;
  }
  logger.info('haTransferMode=auto: slaves are fed by sendfile from the segment files, one worker thread per slave');
  return sendfileSender;
}
