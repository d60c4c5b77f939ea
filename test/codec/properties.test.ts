// The properties string: RocketMQ's exact encoding, its parsing rules, and round trips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProperties,
  encodeProperties,
  parsePropertiesString,
  PROPERTY_DELAY,
  PROPERTY_KEYS,
  PROPERTY_TAGS,
  PROPERTY_UNIQ_KEY,
  PROPERTY_WAIT,
} from '../../src/codec/properties.js';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('encodeProperties', () => {
  it('writes name 0x01 value 0x02 for every pair, the last one included (messageProperties2String)', () => {
    const bytes = encodeProperties({ TAGS: 'TagA', KEYS: 'k1 k2', WAIT: 'true' });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(latin1(bytes as Uint8Array)).toBe('TAGS\u0001TagA\u0002KEYS\u0001k1 k2\u0002WAIT\u0001true\u0002');
    expect((encodeProperties({}) as Uint8Array).length).toBe(0);
  });

  it('encodes UTF-8', () => {
    expect([...(encodeProperties({ k: 'é' }) as Uint8Array)]).toEqual([0x6b, 1, 0xc3, 0xa9, 2]);
  });

  it('returns an error value (does not throw) for separators, empty names/values, lone surrogates', () => {
    const bad: Record<string, string>[] = [{ 'a\u0001': 'v' }, { a: 'v\u0002' }, { '': 'v' }, { a: '' }, { a: '\udc00' }];
    for (const props of bad) {
      const result = encodeProperties(props);
      expect(result).not.toBeInstanceOf(Uint8Array);
      expect((result as { reason: string }).reason.length).toBeGreaterThan(10);
    }
  });

  it('has the well-known names', () => {
    expect([PROPERTY_TAGS, PROPERTY_KEYS, PROPERTY_UNIQ_KEY, PROPERTY_WAIT, PROPERTY_DELAY]).toEqual(['TAGS', 'KEYS', 'UNIQ_KEY', 'WAIT', 'DELAY']);
  });
});

describe('decodeProperties (string2messageProperties)', () => {
  it('parses with or without the trailing separator', () => {
    expect(decodeProperties(utf8('a\u00011\u0002b\u00012\u0002'))).toEqual({ a: '1', b: '2' });
    expect(decodeProperties(utf8('a\u00011\u0002b\u00012'))).toEqual({ a: '1', b: '2' });
    expect(decodeProperties(new Uint8Array(0))).toEqual({});
  });

  it('drops entries with an empty name, an empty value or no 0x01, and keeps 0x01 inside a value', () => {
    expect(parsePropertiesString('\u0001v\u0002k\u0001\u0002x\u0002ok\u0001yes\u0002')).toEqual({ ok: 'yes' });
    expect(parsePropertiesString('k\u0001a\u0001b\u0002')).toEqual({ k: 'a\u0001b' });
    expect(parsePropertiesString('\u0002\u0002\u0002')).toEqual({});
    expect(parsePropertiesString('key\u0001\u0002ab\u0001c')).toEqual({ ab: 'c' }); // empty value, long name
    expect(parsePropertiesString('\u0001value\u0002')).toEqual({}); // empty name
  });

  it('lets the last of a repeated name win', () => {
    expect(parsePropertiesString('k\u00011\u0002k\u00012\u0002')).toEqual({ k: '2' });
  });

  it('stores a __proto__ name as a plain own property', () => {
    const map = decodeProperties(utf8('__proto__\u0001x\u0002a\u00011\u0002'));
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.entries(map)).toEqual([['__proto__', 'x'], ['a', '1']]);
  });

  it('keeps a leading BOM and replaces bad UTF-8 with U+FFFD, never throwing', () => {
    expect(decodeProperties(utf8('\ufeffk\u0001v\u0002'))).toEqual({ '\ufeffk': 'v' });
    expect(decodeProperties(new Uint8Array([0x6b, 1, 0xff, 0xc3, 2]))).toEqual({ k: '\ufffd\ufffd' });
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void decodeProperties(bytes)));
  });
});

describe('round trip', () => {
  const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((s) => !/[\u0001\u0002]/.test(s));
  it('decodeProperties(encodeProperties(p)) = p for every accepted p', () => {
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 10 }), (props) => {
        const bytes = encodeProperties(props);
        if (!(bytes instanceof Uint8Array)) throw new Error((bytes as { reason: string }).reason);
        expect(new Map(Object.entries(decodeProperties(bytes)))).toEqual(new Map(Object.entries(props)));
      }),
    );
  });
});

describe('properties slab boundary', () => {
  it('never truncates TAGS/KEYS when a message lands at the end of the shared slab', async () => {
    const { encodeMessageProperties } = await import('../../src/codec/message-properties.js');
    const { decodeProperties } = await import('../../src/codec/properties.js');
    // Walk the slab offset through many residues so some message ends exactly at its end
    // (found by the power-loss test: keys-only messages lost their last 2 bytes at seq 11847).
    const shapes = [
      (i: number) => ({ props: undefined, tags: '', keys: `s${i}` }),
      (i: number) => ({ props: undefined, tags: `t${i}`, keys: '' }),
      (i: number) => ({ props: { UNIQ_KEY: `u${i}` }, tags: `tag${i % 7}`, keys: `k${i}` }),
    ];
    for (const shape of shapes) {
      for (let i = 0; i < 20_000; i++) {
        const { props, tags, keys } = shape(i);
        const bytes = encodeMessageProperties(props, tags, keys);
        if (!(bytes instanceof Uint8Array)) throw new Error(`unexpected error ${JSON.stringify(bytes)}`);
        const decoded = decodeProperties(bytes);
        expect(decoded.KEYS).toBe(keys === '' ? undefined : keys);
        expect(decoded.TAGS).toBe(tags === '' ? undefined : tags);
        if (props) expect(decoded.UNIQ_KEY).toBe(props.UNIQ_KEY);
      }
    }
  });
});
