// The haTransferMode key: its values and errors at config load, and which HaSender each value
// picks (sendfile without the addon is a ConfigError naming the key; auto falls back to the
// socket sender with one info line saying why).
import { describe, expect, it } from 'vitest';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { chooseSenderFactory } from '../../src/ha/ha-sender-choice.js';
import { sendfileSender } from '../../src/ha/ha-sendfile-sender.js';
import { tcpSender } from '../../src/ha/ha-tcp-sender.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import type { Transport } from '../../src/net/transport.js';
import { memoryLogger } from '../../src/util/logger.js';
import { configError } from '../helpers/config-errors.js';

const quiet = { warn: () => undefined };
const AVAILABLE = (): null => null;
const MISSING = (): string => 'the native addon is not loaded (disabled by MQSTORE_NATIVE=off)';

describe('haTransferMode', () => {
  it('defaults to auto and accepts auto | sendfile | socket in any case', () => {
    expect(loadStoreConfig({}, quiet).haTransferMode).toBe('auto');
    expect(loadStoreConfig({ haTransferMode: 'SENDFILE' }, quiet).haTransferMode).toBe('sendfile');
    expect(loadStoreConfig({ haTransferMode: 'socket' }, quiet).haTransferMode).toBe('socket');
  });

  it('refuses other values, naming the key and what is allowed', () => {
    const e = configError(() => loadStoreConfig({ haTransferMode: 'zerocopy' }, quiet));
    expect(e.key).toBe('haTransferMode');
    expect(e.message).toContain('auto | sendfile | socket');
  });

  it('sendfile where it cannot run is a ConfigError naming the key and the reason', () => {
    const e = configError(() => chooseSenderFactory({ haTransferMode: 'sendfile', ioBackend: 'auto' }, memoryLogger(), MISSING));
    expect(e.key).toBe('haTransferMode');
    expect(e.message).toContain("'socket' or 'auto' here: the native addon is not loaded (disabled by MQSTORE_NATIVE=off)");
    expect(chooseSenderFactory({ haTransferMode: 'sendfile', ioBackend: 'node' }, memoryLogger(), AVAILABLE)).toBe(sendfileSender);
  });

  it('auto picks sendfile where it can run, else the socket sender with one info line saying why', () => {
    const log = memoryLogger();
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'auto' }, log, AVAILABLE)).toBe(sendfileSender);
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'native' }, log, MISSING)).toBe(tcpSender);
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'node' }, log, AVAILABLE)).toBe(tcpSender);
    expect(log.lines).toEqual([
      expect.stringMatching(/^INFO .*haTransferMode=auto: .*sendfile/),
      expect.stringMatching(/^INFO .*socket\), because the native addon is not loaded/),
      expect.stringMatching(/^INFO .*socket\), because ioBackend is 'node'/),
    ]);
    const quietLog = memoryLogger();
    expect(chooseSenderFactory({ haTransferMode: 'socket', ioBackend: 'auto' }, quietLog, AVAILABLE)).toBe(tcpSender);
    expect(quietLog.lines).toEqual([]);
  });

  it('a transport without OS descriptors gets the socket sender (auto) or a ConfigError (sendfile)', () => {
    const noFds: Transport = { kind: 'sim', connect: tcpTransport.connect, listen: tcpTransport.listen };
    const log = memoryLogger();
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'auto' }, log, AVAILABLE, noFds)).toBe(tcpSender);
    expect(log.lines).toEqual([expect.stringMatching(/^INFO .*socket\), because the sim transport has no OS socket descriptors/)]);
    const e = configError(() => chooseSenderFactory({ haTransferMode: 'sendfile', ioBackend: 'auto' }, memoryLogger(), AVAILABLE, noFds));
    expect(e.key).toBe('haTransferMode');
    expect(e.message).toContain('the sim transport has no OS socket descriptors');
    expect(chooseSenderFactory({ haTransferMode: 'auto', ioBackend: 'auto' }, memoryLogger(), AVAILABLE, tcpTransport)).toBe(sendfileSender);
  });
});
