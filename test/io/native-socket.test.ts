// The addon's socket calls for the sendfile HA sender: writeFd writes a whole buffer or stops at
// a full socket with wouldBlock, pollWritable answers false while full and true once the peer
// reads, a dead descriptor throws instead of looking writable, dupFd gives an independent
// descriptor of the same socket, and a MSG_MORE write is delivered with what follows it.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/io/native-addon.js';
import { addon as maybeAddon, hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { waitUntil } from '../helpers/store-harness.js';

skipNotice('native socket calls', hasAddon ? null : NEEDS_ADDON);

async function loopback(): Promise<{ client: net.Socket; serverSide: net.Socket; fd: number; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.pause();
  const serverSide = await accepted;
  const fd = (serverSide as unknown as { _handle: { fd: number } })._handle.fd;
  return {
    client,
    serverSide,
    fd,
    close: () => {
      client.destroy();
      serverSide.destroy();
      server.close();
    },
  };
}

describe.skipIf(!hasAddon)('native socket calls', () => {
  const addon = maybeAddon as NativeAddon;

  it('writeFd fills the socket, pollWritable waits for the reader; every byte arrives', async () => {
    const s = await loopback();
    try {
      expect(addon.pollWritable(s.fd, 0)).toBe(true);
      const chunk = Buffer.alloc(1 << 20);
      let written = 0;
      let blocked = false;
      for (let i = 0; i < 256 && !blocked; i++) {
        chunk.fill(i & 0xff);
        const r = addon.writeFd(s.fd, chunk);
        written += r.bytes;
        blocked = r.wouldBlock;
      }
      expect(blocked).toBe(true);
      expect(addon.pollWritable(s.fd, 5)).toBe(false);
      let received = 0;
      s.client.on('data', (c: Buffer) => (received += c.byteLength));
      s.client.resume();
      await waitUntil(() => received === written, `${written} bytes received`);
      expect(addon.pollWritable(s.fd, 1000)).toBe(true);
    } finally {
      s.close();
    }
  });

  it('dupFd gives a second descriptor that writes to the same peer and is closed separately', async () => {
    const s = await loopback();
    const copy = addon.dupFd(s.fd);
    try {
      expect(copy).not.toBe(s.fd);
      expect(addon.writeFd(copy, Buffer.from('via '), true)).toEqual({ bytes: 4, wouldBlock: false }); // MSG_MORE: held for what follows
      expect(addon.writeFd(copy, Buffer.from('the dup'))).toEqual({ bytes: 7, wouldBlock: false });
      const got: Buffer[] = [];
      s.client.on('data', (c: Buffer) => got.push(c));
      s.client.resume();
      await waitUntil(() => Buffer.concat(got).toString() === 'via the dup', 'the dup write arrived');
    } finally {
      addon.close(copy);
      s.close();
    }
    expect(() => addon.pollWritable(copy, 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => addon.writeFd(copy, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
  });

  it('a peer that went away is an error, not a writable socket', async () => {
    const s = await loopback();
    const copy = addon.dupFd(s.fd);
    try {
      s.client.destroy();
      await waitUntil(() => {
        try {
          addon.writeFd(copy, Buffer.alloc(4096));
          return false;
        } catch (err) {
          expect(['EPIPE', 'ECONNRESET']).toContain((err as { code?: string }).code);
          return true;
        }
      }, 'a write to the closed peer fails');
    } finally {
      addon.close(copy);
      s.close();
    }
  });
});
