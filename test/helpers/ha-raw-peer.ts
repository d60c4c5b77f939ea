// Raw TCP peers for HA bad-peer tests: a client that writes whatever a test gives it to a
// master's HA port, and a fake master that accepts a real slave and scripts what it sends.
// Every wait has a deadline.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for: ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export interface RawPeer {
  socket: Socket;
  /** Bytes received so far. */
  received(): number;
  /** Resolves when the other side closed the connection (ms since connect). */
  closed: Promise<number>;
}

export async function rawPeer(port: number, host = '127.0.0.1'): Promise<RawPeer> {
  const socket = connect({ host, port });
  const t0 = performance.now();
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.byteLength;
  });
  const closed = new Promise<number>((resolve) => {
    socket.on('close', () => resolve(performance.now() - t0));
    socket.on('error', () => socket.destroy());
  });
  await withDeadline(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 5000, `connect to 127.0.0.1:${port}`);
  return { socket, received: () => bytes, closed };
}

export interface FakeMaster {
  port: number;
  /** Connections accepted so far, with their accept times (performance.now()). */
  accepted: number[];
  /** Called for each new connection with the slave's socket. */
  close(): Promise<void>;
}

export async function fakeMaster(onConnection: (socket: Socket, index: number) => void): Promise<FakeMaster> {
  const accepted: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    accepted.push(performance.now());
    onConnection(socket, accepted.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
