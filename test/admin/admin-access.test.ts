// The access rules of admin-access.ts on their own (requests are plain header objects, no
// socket): which Host and Origin values each kind of bind address accepts (loopback with the
// localhost names, a specific address, a wildcard bind with the local interface addresses,
// adminAllowedHosts entries, ports), the bearer parsing and the token comparison, and when a
// read needs the token.
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { accessCheck, bearerToken, isLoopbackHost, isWildcardHost, parseHostHeader, tokenMatches, type AdminAccessOptions } from '../../src/admin/admin-access.js';
import { parseHostList } from '../../src/config/host-list.js';

function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const OPEN: AdminAccessOptions = { token: null, readAuth: 'open' };

function verdict(options: AdminAccessOptions, bind: { host: string; port: number; scheme?: 'http' | 'https' }, headers: Record<string, string>, access: 'read' | 'write' = 'write'): number {
  return accessCheck(options, { scheme: 'http', ...bind }).check(req(headers), access)?.status ?? 200;
}

describe('Host header', () => {
  it('a loopback bind accepts its address and the localhost names, on its port only', () => {
    const bind = { host: '127.0.0.1', port: 8081 };
    for (const host of ['127.0.0.1:8081', 'localhost:8081', 'LOCALHOST:8081', '[::1]:8081']) expect(verdict(OPEN, bind, { host }), host).toBe(200);
    for (const host of ['127.0.0.1:8082', '127.0.0.1', 'attacker.example:8081', 'localhost.attacker.example:8081', '127.0.0.1.nip.io:8081', '10.0.0.5:8081', '', 'a b', 'user@127.0.0.1:8081']) {
      expect(verdict(OPEN, bind, { host }), host).toBe(403);
    }
    expect(verdict(OPEN, bind, {}), 'no Host').toBe(403);
  });

  it('port 80 / 443 may be left out of Host', () => {
    expect(verdict(OPEN, { host: '127.0.0.1', port: 80 }, { host: 'localhost' })).toBe(200);
    expect(verdict(OPEN, { host: '127.0.0.1', port: 443, scheme: 'https' }, { host: 'localhost' })).toBe(200);
    expect(verdict(OPEN, { host: '127.0.0.1', port: 443 }, { host: 'localhost' })).toBe(403); // http: the default is 80
  });

  it('a specific address accepts only itself (no localhost names), plus adminAllowedHosts entries', () => {
    const bind = { host: '10.1.2.3', port: 9000 };
    expect(verdict(OPEN, bind, { host: '10.1.2.3:9000' })).toBe(200);
    expect(verdict(OPEN, bind, { host: 'localhost:9000' })).toBe(403);
    expect(verdict(OPEN, bind, { host: 'node1.example.com:9000' })).toBe(403);
    const named: AdminAccessOptions = { ...OPEN, allowedHosts: parseHostList('Node1.example.com, proxy.example.com:443, [fd00::1]')! };
    expect(verdict(named, bind, { host: 'node1.EXAMPLE.com:9000' })).toBe(200);
    expect(verdict(named, bind, { host: 'node1.example.com:9001' })).toBe(403);
    expect(verdict(named, bind, { host: 'proxy.example.com' }), 'proxy.example.com:443 entry, but http default port 80').toBe(403);
    expect(verdict(named, bind, { host: 'proxy.example.com:443' })).toBe(200);
    expect(verdict(named, bind, { host: '[fd00::1]:9000' })).toBe(200);
  });

  it('a wildcard bind accepts the localhost names and this machine’s interface addresses, not other names', () => {
    const local = Object.values(networkInterfaces()).flatMap((l) => l ?? []).map((a) => a.address);
    expect(local.length).toBeGreaterThan(0);
    for (const bindHost of ['0.0.0.0', '::']) {
      const bind = { host: bindHost, port: 7000 };
      expect(verdict(OPEN, bind, { host: 'localhost:7000' }), bindHost).toBe(200);
      for (const a of local) expect(verdict(OPEN, bind, { host: a.includes(':') ? `[${a}]:7000` : `${a}:7000` }), `${bindHost} ${a}`).toBe(200);
      expect(verdict(OPEN, bind, { host: '192.0.2.77:7000' }), 'TEST-NET address, not local').toBe(403);
      expect(verdict(OPEN, bind, { host: 'attacker.example:7000' })).toBe(403);
    }
  });
});

describe('Origin header', () => {
  const bind = { host: '127.0.0.1', port: 8081 };
  it('absent, or this server with its scheme: allowed; anything else: 403', () => {
    expect(verdict(OPEN, bind, { host: 'localhost:8081' })).toBe(200);
    expect(verdict(OPEN, bind, { host: 'localhost:8081', origin: 'http://localhost:8081' })).toBe(200);
    expect(verdict(OPEN, bind, { host: 'localhost:8081', origin: 'http://127.0.0.1:8081' })).toBe(200);
    for (const origin of ['http://attacker.example', 'http://localhost:8082', 'https://localhost:8081', 'null', 'file://', 'not a url', 'http://localhost']) {
      expect(verdict(OPEN, bind, { host: 'localhost:8081', origin }), origin).toBe(403);
    }
    expect(verdict(OPEN, { ...bind, scheme: 'https' }, { host: 'localhost:8081', origin: 'https://localhost:8081' })).toBe(200);
  });
});

describe('token', () => {
  const bind = { host: '127.0.0.1', port: 8081 };
  const host = '127.0.0.1:8081';
  const token = 'a'.repeat(20) + 'Z9';
  it('writes need it; reads only with readAuth token; a Host refusal comes first', () => {
    const guarded: AdminAccessOptions = { token, readAuth: 'open' };
    expect(verdict(guarded, bind, { host })).toBe(401);
    expect(verdict(guarded, bind, { host, authorization: `Bearer ${token}` })).toBe(200);
    expect(verdict(guarded, bind, { host, authorization: `Bearer ${token}x` })).toBe(401);
    expect(verdict(guarded, bind, { host, authorization: `Bearer ${token.slice(1)}` })).toBe(401);
    expect(verdict(guarded, bind, { host }, 'read')).toBe(200);
    expect(verdict({ token, readAuth: 'token' }, bind, { host }, 'read')).toBe(401);
    expect(verdict({ token, readAuth: 'token' }, bind, { host, authorization: `Bearer ${token}` }, 'read')).toBe(200);
    expect(verdict(guarded, bind, { host: 'attacker.example:8081', authorization: `Bearer ${token}` })).toBe(403);
    expect(verdict(OPEN, bind, { host }), 'no token configured: writes pass').toBe(200);
  });

  it('bearerToken parses one token; tokenMatches compares whole tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken(undefined)).toBeNull();
    for (const bad of ['Basic abc', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearerabc', 'abc']) expect(bearerToken(bad), bad).toBeNull();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(token + token, token)).toBe(false);
  });
});

describe('address helpers', () => {
  it('isLoopbackHost / isWildcardHost / parseHostHeader', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1', 'localhost.example']) expect(isLoopbackHost(h), h).toBe(false);
    for (const h of ['0.0.0.0', '::', '[::]']) expect(isWildcardHost(h), h).toBe(true);
    for (const h of ['127.0.0.1', '10.0.0.1', '::1']) expect(isWildcardHost(h), h).toBe(false);
    expect(parseHostHeader('Example.COM:80')).toEqual({ host: 'example.com', port: 80 });
    expect(parseHostHeader('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseHostHeader('[nope]:9')).toBeNull();
    expect(parseHostHeader('a@b:1')).toBeNull();
  });

  it('parseHostList: names, addresses, ports; a bad entry refuses the list', () => {
    expect(parseHostList('a.example, 10.0.0.1:81 ,[fd00::2]:82')).toEqual([
      { host: 'a.example', port: null },
      { host: '10.0.0.1', port: 81 },
      { host: 'fd00::2', port: 82 },
    ]);
    for (const bad of ['', 'a,,b', 'a:0', 'a:70000', 'http://a', '[zz]', 'a b']) expect(parseHostList(bad), bad).toBeUndefined();
  });
});
