// ipVersion agrees with node:net's isIP on addresses, near misses and garbage.
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipVersion } from '../../src/util/ip-address.js';

const SAMPLES = [
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '',
  '::', '::1', 'fe80::1', 'fe80::1%eth0', 'fe80::1%', '2001:db8::8a2e:370:7334', '2001:0db8:0000:0000:0000:ff00:0042:8329',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1::2::3', ':::', '12345::', 'g::1', '::ffff:192.0.2.128',
  '::ffff:192.0.2.256', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'localhost', 'broker-a.example', '[::1]', '1::',
];

describe('ipVersion', () => {
  it.each(SAMPLES)('%j matches isIP', (s) => {
    expect(ipVersion(s)).toBe(isIP(s));
  });
});
