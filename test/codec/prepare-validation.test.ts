// prepareMessage on bad input: the right status and a reason that names the problem; nothing is
// thrown and nothing is prepared (so nothing can be written).
import { describe, expect, it } from 'vitest';
import { prepareMessage, PreparedMessage } from '../../src/codec/prepare-message.js';
import { expectError, knownInput, LIMITS, prepareOk } from './record-fixtures.js';

describe('prepareMessage validation', () => {
  it('rejects a body over maxMessageSize, naming both sizes', () => {
    const result = prepareMessage(knownInput({ body: new Uint8Array(5_000_000) }), LIMITS);
    expectError(result, 'MESSAGE_ILLEGAL', /^body is 5000000 bytes; maxMessageSize is 4194304$/);
    expect(result).not.toBeInstanceOf(PreparedMessage);
  });

  it('accepts a body of exactly maxMessageSize', () => {
    const prepared = prepareOk(knownInput({ body: new Uint8Array(LIMITS.maxMessageSizeBytes) }));
    expect(prepared.totalSizeBytes).toBeGreaterThan(LIMITS.maxMessageSizeBytes);
  });

  it('rejects a record over maxMessageSize + 64 KiB even when the body fits', () => {
    const limits = { maxMessageSizeBytes: 100 };
    const input = knownInput({ body: new Uint8Array(100), tags: '', keys: [], properties: { p: 'v'.repeat(32_767 - 3) }, topic: 't'.repeat(32_767) });
    // 92 (V2 overhead) + 100 + 32767 + 32767 = 65726 > 100 + 65536
    expectError(prepareMessage(input, limits), 'MESSAGE_ILLEGAL', /^record would be 65726 bytes; the limit is maxMessageSize \+ 65536 = 65636$/);
    expect(prepareMessage(input, { maxMessageSizeBytes: 190 })).toBeInstanceOf(PreparedMessage);
  });

  it('rejects properties over 32767 bytes with PROPERTIES_SIZE_EXCEEDED', () => {
    const result = prepareMessage(knownInput({ properties: { big: 'x'.repeat(32_767) } }), LIMITS);
    expectError(result, 'PROPERTIES_SIZE_EXCEEDED', /properties are \d+ bytes encoded; the limit is 32767/);
    // Multi-byte characters count as UTF-8 bytes, not UTF-16 units.
    const wide = prepareMessage(knownInput({ tags: '', keys: [], properties: { u: '\u00e9'.repeat(16_384) } }), LIMITS);
    expectError(wide, 'PROPERTIES_SIZE_EXCEEDED', /^properties are 32771 bytes encoded/);
  });

  it('accepts properties of exactly 32767 bytes', () => {
    const value = 'x'.repeat(32_767 - 'p'.length - 2);
    const prepared = prepareOk(knownInput({ tags: '', keys: [], properties: { p: value } }));
    expect(prepared.propertiesBytes.length).toBe(32_767);
  });

  it('rejects empty, illegal-character and too long topics', () => {
    expectError(prepareMessage(knownInput({ topic: '' }), LIMITS), 'MESSAGE_ILLEGAL', /topic is empty/);
    for (const topic of ['a b', 'a/b', 'a.b', 'tópico', 'a\u0000', '%RETRY%group!']) {
      expectError(prepareMessage(knownInput({ topic }), LIMITS), 'MESSAGE_ILLEGAL', /has characters outside \[%\|a-zA-Z0-9_-\]/);
    }
    expectError(prepareMessage(knownInput({ topic: 'a'.repeat(32_768) }), LIMITS), 'MESSAGE_ILLEGAL', /topic is 32768 bytes; the limit is 32767/);
    expect(prepareOk(knownInput({ topic: '%RETRY%group_1|x-y' })).topic).toBe('%RETRY%group_1|x-y');
  });

  it('rejects a negative, fractional or too large queueId', () => {
    for (const queueId of [-1, 1.5, 2 ** 31, Number.NaN]) {
      expectError(prepareMessage(knownInput({ queueId }), LIMITS), 'MESSAGE_ILLEGAL', /queueId .* is not a non-negative int32/);
    }
    expect(prepareOk(knownInput({ queueId: 2 ** 31 - 1 })).queueId).toBe(2 ** 31 - 1);
  });

  it('rejects property names and values with separators, empty ones and lone surrogates', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'a\u0001b': 'v' }, /property name 'a\u0001b' contains a 0x01 or 0x02/],
      [{ 'a\u0002b': 'v' }, /property name .* contains a 0x01 or 0x02/],
      [{ k: 'v\u0001' }, /property 'k' has a value containing a 0x01 or 0x02/],
      [{ k: 'v\u0002w' }, /property 'k' has a value containing/],
      [{ '': 'v' }, /a property name is empty/],
      [{ k: '' }, /property 'k' has an empty value/],
      [{ k: 'a\ud800b' }, /not well-formed UTF-16/],
    ];
    for (const [properties, reason] of cases) {
      expectError(prepareMessage(knownInput({ properties }), LIMITS), 'MESSAGE_ILLEGAL', reason);
    }
    expectError(prepareMessage(knownInput({ tags: 'a\u0002' }), LIMITS), 'MESSAGE_ILLEGAL', /^tags: /);
    expectError(prepareMessage(knownInput({ keys: ['ok', 'b\u0001c'] }), LIMITS), 'MESSAGE_ILLEGAL', /^keys: /);
    // Like RocketMQ's setKeys(Collection), the joined keys are Java-trimmed: a trailing 0x01 goes.
    const trimmed = prepareOk(knownInput({ properties: {}, tags: '', keys: ['ok', 'b\u0001'] })).propertiesBytes;
    expect(Buffer.from(trimmed).toString('latin1')).toBe('KEYS\u0001ok b\u0002');
  });

  it('rejects bad hosts and non-int fields', () => {
    const badAddress = { address: new Uint8Array(5), port: 1 };
    expectError(prepareMessage(knownInput({ bornHost: badAddress }), LIMITS), 'MESSAGE_ILLEGAL', /bornHost address is 5 bytes/);
    expectError(prepareMessage(knownInput({ storeHost: { address: new Uint8Array(4), port: 70_000 } }), LIMITS), 'MESSAGE_ILLEGAL', /storeHost port 70000/);
    expectError(prepareMessage(knownInput({ flag: 2 ** 31 }), LIMITS), 'MESSAGE_ILLEGAL', /flag 2147483648 is not an int32/);
    expectError(prepareMessage(knownInput({ bornTimestamp: 2 ** 53 }), LIMITS), 'MESSAGE_ILLEGAL', /bornTimestamp/);
    expectError(prepareMessage(knownInput({ preparedTransactionOffset: -1 }), LIMITS), 'MESSAGE_ILLEGAL', /preparedTransactionOffset -1/);
  });

  it('merges tags and keys into the properties like RocketMQ', () => {
    const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
    expect(decode(prepareOk(knownInput({ properties: { A: '1', TAGS: 'old' }, tags: 'new', keys: ['k1', 'k2'] })).propertiesBytes)).toBe(
      'A\u00011\u0002TAGS\u0001new\u0002KEYS\u0001k1 k2\u0002',
    );
    // Empty tags/keys leave properties.TAGS/KEYS alone; a keys array is Java-trimmed after joining.
    expect(decode(prepareOk(knownInput({ properties: { TAGS: 'p' }, tags: '', keys: [' a', 'b '] })).propertiesBytes)).toBe(
      'TAGS\u0001p\u0002KEYS\u0001a b\u0002',
    );
    expect(prepareOk(knownInput({ properties: {}, tags: undefined, keys: undefined })).propertiesBytes.length).toBe(0);
    expect(prepareOk(knownInput({ properties: { TAGS: 'TagA' }, tags: undefined })).tagsCode).toBe(2598919);
  });
});
