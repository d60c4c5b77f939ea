// encodeMessageProperties: the ASCII fast path and the general path give RocketMQ's exact bytes,
// and views handed out from the shared slab are never overwritten.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMessageProperties } from '../../src/codec/message-properties.js';

/** The expected bytes, built the slow obvious way. */
function expected(props: Record<string, string>, tags: string, keys: string): string {
  let text = '';
  for (const [name, value] of Object.entries(props)) {
    if ((tags !== '' && name === 'TAGS') || (keys !== '' && name === 'KEYS')) continue;
    text += `${name}\u0001${value}\u0002`;
  }
  if (tags !== '') text += `TAGS\u0001${tags}\u0002`;
  if (keys !== '') text += `KEYS\u0001${keys}\u0002`;
  return text;
}

const asText = (bytes: Uint8Array | { reason: string }): string => {
  if (!(bytes instanceof Uint8Array)) throw new Error(bytes.reason);
  return Buffer.from(bytes).toString('utf8');
};

describe('encodeMessageProperties', () => {
  const ascii = fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 20 }).filter((s) => !/[\u0001\u0002]/.test(s));
  const any = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !/[\u0001\u0002]/.test(s));

  for (const [label, text] of [['ASCII (fast path)', ascii], ['any Unicode (general path)', any]] as const) {
    it(`produces name 0x01 value 0x02 pairs, then TAGS, then KEYS: ${label}`, () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.oneof(text, fc.constantFrom('TAGS', 'KEYS')), text, { maxKeys: 6 }),
          fc.oneof(fc.constant(''), text),
          fc.oneof(fc.constant(''), text),
          (props, tags, keys) => {
            expect(asText(encodeMessageProperties(props, tags, keys))).toBe(expected(props, tags, keys));
          },
        ),
      );
    });
  }

  it('gives the same reasons on both paths', () => {
    const separator = encodeMessageProperties({ a: 'x\u0002' }, '', '');
    expect(separator).toEqual({ reason: "property 'a' has a value containing a 0x01 or 0x02 separator character" });
    expect(encodeMessageProperties({ a: 'é\u0002' }, '', '')).toEqual(separator);
    expect(encodeMessageProperties(undefined, 'a\u0001', '')).toEqual({ reason: "tags: property 'TAGS' has a value containing a 0x01 or 0x02 separator character" });
    expect(encodeMessageProperties({ a: '' }, '', '')).toMatchObject({ reason: /empty value/ });
    expect(encodeMessageProperties({ a: '\ud800' }, '', '')).toMatchObject({ reason: /lone surrogate/ });
  });

  it('is empty without properties, tags or keys', () => {
    expect(encodeMessageProperties(undefined, '', '')).toHaveLength(0);
    expect(encodeMessageProperties({}, '', '')).toHaveLength(0);
  });

  it('never overwrites bytes it handed out when the slab fills and is replaced', () => {
    const issued: [Uint8Array, string][] = [];
    for (let i = 0; i < 3000; i++) {
      const value = `value-${i}-`.repeat(1 + (i % 7));
      const bytes = encodeMessageProperties({ n: value }, '', '') as Uint8Array;
      issued.push([bytes, `n\u0001${value}\u0002`]);
    }
    const big = encodeMessageProperties({ big: 'x'.repeat(100_000) }, '', '') as Uint8Array;
    expect(big.length).toBe(100_005); // "big" 0x01 value 0x02
    for (const [bytes, text] of issued) expect(Buffer.from(bytes).toString('latin1')).toBe(text);
  });
});
