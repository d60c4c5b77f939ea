// Listening on a Transport in tests: a listener on a free port that collects what it accepts and
// refuses, with every listener and connection recorded in `opened` for the test's cleanup.
import type { Connection, Listener, Transport } from '../../src/net/transport.js';

export interface Opened {
  readonly connections: Connection[];
  readonly listeners: Listener[];
}

export async function listenCollecting(
  transport: Transport,
  host: string,
  opened: Opened,
  maxConnections = 8,
  refused: string[] = [],
): Promise<{ listener: Listener; accepted: Connection[]; refused: string[] }> {
  const accepted: Connection[] = [];
  const listener = await transport.listen({
    host,
    port: 0,
    maxConnections,
    onConnection: (c) => {
      opened.connections.push(c);
      accepted.push(c);
    },
    onRefused: (address) => refused.push(address),
  });
  opened.listeners.push(listener);
  return { listener, accepted, refused };
}

/** Destroy every recorded connection, close every recorded listener, and forget them. */
export async function closeOpened(opened: Opened): Promise<void> {
  for (const c of opened.connections) c.destroy();
  for (const l of opened.listeners) await l.close();
  opened.connections.length = 0;
  opened.listeners.length = 0;
}
