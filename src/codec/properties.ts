// RocketMQ message properties: the string `name 0x01 value 0x02 name 0x01 value 0x02 ...`,
// UTF-8 encoded, stored at the end of each CommitLog record. Encoding matches RocketMQ's
// `MessageDecoder.messageProperties2String` (every pair, the last one included, ends with 0x02);
// parsing matches `string2messageProperties` (an entry with an empty name or an empty value is
// dropped; for a repeated name the last one wins).
// Invariant: what encodeProperties accepts, decodeProperties returns unchanged. So it rejects
// (as a value, not by throwing) names/values that contain a separator, that are empty (RocketMQ's
// reader would drop them) or that are not well-formed UTF-16 (lone surrogates would not survive UTF-8).

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
/** Separator between the keys in the KEYS property (`MessageConst.KEY_SEPARATOR`). */
export const KEY_SEPARATOR = ' ';

// Well-known property names (`common/message/MessageConst.java`).
export const PROPERTY_TAGS = 'TAGS';
export const PROPERTY_KEYS = 'KEYS';
export const PROPERTY_UNIQ_KEY = 'UNIQ_KEY';
export const PROPERTY_WAIT = 'WAIT';
export const PROPERTY_DELAY = 'DELAY';

export interface PropertiesError {
  readonly reason: string;
}

const LONE_SURROGATE = /\p{Cs}/u;
// String.prototype.isWellFormed (ES2024, Node 20) is ~10x faster than the regex; not in our TS lib.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF, like Java

/** Why `name`/`value` cannot be stored as a property, or null when they can (see isWellFormedText). */
export function checkProperty(name: string, value: string): string | null {
  if (typeof name !== 'string' || typeof value !== 'string') return `property ${String(name)} is not a string pair`;
  if (name.length === 0) return 'a property name is empty (RocketMQ readers drop such entries)';
  if (value.length === 0) return `property '${clip(name)}' has an empty value (RocketMQ readers drop such entries)`;
  if (name.indexOf(NAME_VALUE_SEPARATOR) >= 0 || name.indexOf(PROPERTY_SEPARATOR) >= 0) {
    return `property name '${clip(name)}' contains a 0x01 or 0x02 separator character`;
  }
  if (value.indexOf(NAME_VALUE_SEPARATOR) >= 0 || value.indexOf(PROPERTY_SEPARATOR) >= 0) {
    return `property '${clip(name)}' has a value containing a 0x01 or 0x02 separator character`;
  }
  return null;
}

/** False when `text` has a lone surrogate (it would not survive UTF-8). Check whole strings once. */
export function isWellFormedText(text: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

export const ILL_FORMED_REASON = 'a property name or value is not well-formed UTF-16 (lone surrogate)';

/** One encoded pair, to append to a properties string. Caller ran checkProperty. */
export function propertyPair(name: string, value: string): string {
  return name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
}

/** UTF-8 bytes of a string (Buffer's pooled encoder: faster than TextEncoder for short strings). */
export function utf8Bytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** The properties string of `props`, in insertion order, or why it cannot be built. */
export function propertiesString(props: Readonly<Record<string, string>>): string | PropertiesError {
  let text = '';
  for (const name of Object.keys(props)) {
    const value = props[name]!;
    const problem = checkProperty(name, value);
    if (problem !== null) return { reason: problem };
    text += propertyPair(name, value);
  }
  return isWellFormedText(text) ? text : { reason: ILL_FORMED_REASON };
}

/** UTF-8 bytes of the properties string, or why `props` cannot be encoded. No size limit here. */
export function encodeProperties(props: Readonly<Record<string, string>>): Uint8Array | PropertiesError {
  const text = propertiesString(props);
  return typeof text === 'string' ? utf8Bytes(text) : text;
}

/** Parses stored properties bytes like RocketMQ does. Never throws; bad UTF-8 becomes U+FFFD. */
export function decodeProperties(bytes: Uint8Array): Record<string, string> {
  return parsePropertiesString(bytes.length === 0 ? '' : utf8Decoder.decode(bytes));
}

/** RocketMQ's `string2messageProperties`. Bounded: each step moves past one 0x02. */
export function parsePropertiesString(text: string): Record<string, string> {
  const map: Record<string, string> = {}; // plain object: faster than a null-prototype one
  const length = text.length;
  let index = 0;
  while (index < length) {
    let end = text.indexOf(PROPERTY_SEPARATOR, index);
    if (end < 0) end = length;
    if (end - index >= 3) {
      const split = text.indexOf(NAME_VALUE_SEPARATOR, index);
      if (split > index && split < end - 1) setOwn(map, text.slice(index, split), text.slice(split + 1, end));
    }
    index = end + 1;
  }
  return map;
}

/** map[name] = value, also for the name `__proto__` (which plain assignment would not store). */
function setOwn(map: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    map[name] = value;
  }
}

function clip(text: string): string {
  return text.length <= 64 ? text : `${text.slice(0, 64)}...`;
}
