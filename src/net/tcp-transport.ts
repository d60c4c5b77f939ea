// The TCP Transport (transport.ts) over node:net: the only module in src/ that imports node:net.
//
// A Connection is a thin adapter around a net.Socket: events, write, cork and destroy go
// straight to the socket (listeners are registered on the socket itself, so off() finds them);
// the adapter adds the "host:port" remoteAddress and fileDescriptor(). Every socket, accepted
// or connected, has Nagle's algorithm off (noDelay): HA reports and heartbeats are tiny and
// latency-bound.
//
// fileDescriptor() reads the libuv handle's fd (`_handle.fd`, an internal of node:net that is
// stable on Unix and the only way to reach it); it is null once the socket is closed, before it
// connected, and on platforms where the handle has none (Windows).
//
// The adapter is exported as SocketConnection for the TLS transport (a TLSSocket is a Socket):
// there 'connect' means the TLS handshake finished ('secureConnect') and there is no descriptor.
//
// listen(): maxConnections is node:net's own server.maxConnections; a refused connection is
// closed by Node at once and reported through onRefused (the server's 'drop' event).
// Listener.close() closes the listening socket synchronously (the port is free when it
// resolves); accepted connections stay open until their owner closes them.
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ConnectOptions, Connection, Listener, ListenOptions, Transport } from './transport.js';

type ConnectionEvent = 'data' | 'error' | 'connect' | 'drain' | 'end' | 'close';
// The listener types of Connection.on differ per event; node:net's are the same shapes.
type AnyListener = (...args: never[]) => void;

export interface SocketConnectionOptions {
  /** The socket event that is the Connection's 'connect' (TLS: 'secureConnect'). */
  readonly connectEvent: 'connect' | 'secureConnect';
  /** Whether fileDescriptor() may return the OS descriptor (false: bytes need user-space work). */
  readonly descriptors: boolean;
}

const TCP_OPTIONS: SocketConnectionOptions = { connectEvent: 'connect', descriptors: true };

export class SocketConnection implements Connection {
  constructor(
    private readonly socket: Socket,
    private readonly options: SocketConnectionOptions = TCP_OPTIONS,
  ) {}

  private eventName(event: ConnectionEvent): string {
    return event === 'connect' ? this.options.connectEvent : event;
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  write(bytes: Uint8Array, done?: (err?: Error | null) => void): boolean {
    return this.socket.write(bytes, done);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  destroy(): void {
    this.socket.destroy();
  }

  fileDescriptor(): number | null {
    if (!this.options.descriptors) return null;
    const fd = (this.socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? fd : null;
  }

  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  on(event: ConnectionEvent, listener: AnyListener): this {
    this.socket.on(this.eventName(event), listener as (...args: unknown[]) => void);
    return this;
  }

  once(event: 'data', listener: (chunk: Uint8Array) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  once(event: ConnectionEvent, listener: AnyListener): this {
    this.socket.once(this.eventName(event), listener as (...args: unknown[]) => void);
    return this;
  }

  off(event: 'data', listener: (chunk: Uint8Array) => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
  off(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  off(event: ConnectionEvent, listener: AnyListener): this {
    this.socket.off(this.eventName(event), listener as (...args: unknown[]) => void);
    return this;
  }
}

/** A listening node:net Server (or tls.Server, which extends it) as a Listener. */
export class ServerListener implements Listener {
  private closing: Promise<void> | null = null;

  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  close(): Promise<void> {
    // server.close() releases the listening socket now; its callback would wait for every
    // accepted connection as well, which the contract leaves to their owner
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close();
      resolve();
    });
    return this.closing;
  }
}

function listen(options: ListenOptions): Promise<Listener> {
  const server = createServer({ noDelay: true, pauseOnConnect: false });
  server.maxConnections = options.maxConnections;
  server.on('connection', (socket) => options.onConnection(new SocketConnection(socket)));
  server.on('drop', (d) => options.onRefused?.(`${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}`));
  return new Promise<Listener>((resolve, reject) => {
    const onListenError = (err: Error): void => reject(err);
    server.once('error', onListenError);
    server.listen(options.port, options.host, () => {
      server.off('error', onListenError);
      server.on('error', (err) => options.onError?.(err));
      resolve(new ServerListener(server, options.host, (server.address() as AddressInfo).port));
    });
  });
}

function connect(options: ConnectOptions): Connection {
  return new SocketConnection(netConnect({ host: options.host, port: options.port, noDelay: true }));
}

export const tcpTransport: Transport = {
  kind: 'tcp',
  providesFileDescriptors: true,
  connect,
  listen,
};
