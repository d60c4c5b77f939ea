// Free loopback ports for processes that must know each other's ports before they start (a
// DLedger group's dLegerPeers): each is bound on 127.0.0.1 with port 0, read and released at once.
// (Another process may take one in between; the callers' starts then fail with EADDRINUSE.)
import { tcpTransport } from '../../src/net/tcp-transport.js';

export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const listeners = [];
  for (let i = 0; i < n; i++) listeners.push(await tcpTransport.listen({ host: '127.0.0.1', port: 0, maxConnections: 1, onConnection: (c) => c.destroy() }));
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) await l.close();
  return ports;
}
