// The network as the replication code sees it: connect, listen, write with backpressure,
// close, and the OS descriptor where sendfile(2) needs one. Production passes the TCP transport
// (tcp-transport.ts, the only importer of node:net); the simulator passes a seeded fake that
// delays, drops, duplicates, reorders and partitions. HA (and later Raft, and the admin and
// gRPC ports where they authenticate) talk to nothing else.
//
// Contract of a Connection (the subset of node:net's Socket the code relies on):
//   - events: 'connect' (client side, once), 'data' (bytes in order), 'drain' (the write queue
//     fell below its high-water mark), 'end' (the peer half-closed), 'error' (at most one,
//     followed by 'close'), 'close' (exactly once, last);
//   - write() queues bytes in order and returns false when the caller should wait for 'drain'
//     (backpressure; `writableNeedDrain` says the same); `done` runs once the bytes were handed
//     to the kernel (or the simulated link), in write order;
//   - cork()/uncork() group writes into one send;
//   - destroy() closes at once (queued bytes may be lost); 'close' follows.
export interface Connection {
  /** "host:port" of the peer, for logs and status ("?" parts when unknown). */
  readonly remoteAddress: string;
  /** Bytes queued in user space, not yet handed to the kernel (or the simulated link). */
  readonly writableLength: number;
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  write(bytes: Uint8Array, done?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  destroy(): void;
  /** The OS socket descriptor (for sendfile from a worker thread), or null when there is none
   * (simulated links, TLS). */
  fileDescriptor(): number | null;
  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  once(event: 'data', listener: (chunk: Uint8Array) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  off(event: 'data', listener: (chunk: Uint8Array) => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
  off(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
}

export interface ConnectOptions {
  host: string;
  port: number;
}

export interface ListenOptions {
  host: string;
  /** 0 = any free port (read Listener.port). */
  port: number;
  /** Connections beyond this many open ones are refused (closed at once) and reported. */
  maxConnections: number;
  onConnection(connection: Connection): void;
  /** A connection refused because maxConnections were open. */
  onRefused?(remoteAddress: string): void;
  /** An error of the listening socket after it started listening. */
  onError?(err: Error): void;
}

export interface Listener {
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Stop accepting; resolves once the listening socket is closed (open connections stay). */
  close(): Promise<void>;
}

export interface Transport {
  /** 'tcp' in production; 'sim' in the simulator. */
  readonly kind: string;
  /** True when Connection.fileDescriptor() returns OS descriptors (TCP); absent or false when it
   * returns null (simulated links): HA then streams from the main thread, not by sendfile. */
  readonly providesFileDescriptors?: boolean;
  /** Start connecting; the connection emits 'connect' or 'error' then 'close'. */
  connect(options: ConnectOptions): Connection;
  /** Bind and listen; rejects when the address cannot be bound. */
  listen(options: ListenOptions): Promise<Listener>;
}
