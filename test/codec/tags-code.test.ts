// tagsCode = Java String.hashCode() (int32, over UTF-16 code units), checked against hard-coded
// Java values and against an independent BigInt implementation of the Java formula.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tagsCode, tagsCodeOfAsciiBytes } from '../../src/codec/tags-code.js';
import { tagsOfProperties } from '../../src/codec/tags-of-properties.js';

/** s[0]*31^(n-1) + ... + s[n-1], mod 2^32, as a signed int32 — Java's definition, in BigInt. */
function javaHashCode(text: string): number {
  let hash = 0n;
  for (let i = 0; i < text.length; i++) hash = (hash * 31n + BigInt(text.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, hash));
}

describe('tagsCode', () => {
  it('matches values Java prints', () => {
    expect(tagsCode('TagA')).toBe(2598919);
    expect(tagsCode('hello')).toBe(99162322);
    expect(tagsCode('polygenelubricants')).toBe(-2147483648); // Integer.MIN_VALUE, a famous overflow
    expect(tagsCode('Aa')).toBe(tagsCode('BB')); // the classic collision, 2112
    expect(tagsCode('Aa')).toBe(2112);
  });

  it('is 0 without tags', () => {
    expect(tagsCode('')).toBe(0);
    expect(tagsCode(undefined)).toBe(0);
    expect(tagsCode(null)).toBe(0);
  });

  it('hashes UTF-16 code units (non-ASCII, surrogate pairs), like Java', () => {
    expect(tagsCode('中文')).toBe(20013 * 31 + 25991);
    expect(tagsCode('😀')).toBe(0xd83d * 31 + 0xde00);
    expect(tagsCode('标签-é')).toBe(javaHashCode('标签-é'));
  });

  it('overflows like int32 on long strings', () => {
    const long = 'TagWithAVeryLongName_'.repeat(20);
    expect(tagsCode(long)).toBe(javaHashCode(long));
    expect(Number.isInteger(tagsCode(long)) && Math.abs(tagsCode(long)) <= 2 ** 31).toBe(true);
  });

  it('equals the Java formula for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      expect(tagsCode(text)).toBe(javaHashCode(text));
    }));
  });

  it('hashes ASCII bytes the same as the string, and declines non-ASCII bytes', () => {
    const bytes = new TextEncoder().encode('xxTagAyy');
    expect(tagsCodeOfAsciiBytes(bytes, 2, 6)).toBe(2598919);
    expect(tagsCodeOfAsciiBytes(new TextEncoder().encode('é'), 0, 2)).toBe(null);
  });
});

describe('tagsOfProperties (the TAGS value straight from the bytes)', () => {
  const code = (text: string): number => {
    const bytes = new TextEncoder().encode(`pad${text}pad`);
    return tagsOfProperties(bytes, 3, bytes.length - 3);
  };

  it('finds TAGS anywhere, with or without the trailing 0x02, ASCII or not', () => {
    expect(code('TAGS\u0001TagA\u0002')).toBe(2598919);
    expect(code('A\u00011\u0002TAGS\u0001TagA')).toBe(2598919);
    expect(code('A\u00011\u0002TAGS\u0001标签\u0002B\u00012\u0002')).toBe(tagsCode('标签'));
  });

  it('parses like RocketMQ: no TAGS, empty value, name that only starts with TAGS, last one wins', () => {
    expect(code('')).toBe(0);
    expect(code('KEYS\u0001k\u0002')).toBe(0);
    expect(code('TAGS\u0001\u0002')).toBe(0);
    expect(code('TAGSX\u0001TagA\u0002')).toBe(0);
    expect(code('XTAGS\u0001TagA\u0002')).toBe(0);
    expect(code('TAGS\u0001first\u0002TAGS\u0001TagA\u0002')).toBe(2598919);
  });

  it('does not read past the end it is given', () => {
    const bytes = new TextEncoder().encode('TAGS\u0001TagA\u0002TAGS\u0001Other');
    expect(tagsOfProperties(bytes, 0, 10)).toBe(2598919);
  });
});
