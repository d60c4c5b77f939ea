// The properties bytes of one message: its user properties in insertion order (minus TAGS/KEYS
// when the message gives tags/keys), then TAGS, then KEYS — each as `name 0x01 value 0x02`
// (properties.ts has the format and the rules).
// Hot path: when every name and value is ASCII, one pass checks and copies the characters into a
// shared slab (64 KiB, replaced when full, never rewritten), so there is no string building and
// no separate validation scan. Anything else (non-ASCII, a separator, an empty name or value)
// takes the general path, which builds the string, checks it and encodes it with Buffer.
// Invariant: both paths produce the same bytes for the same input.
import {
  checkProperty,
  ILL_FORMED_REASON,
  isWellFormedText,
  PROPERTY_KEYS,
  PROPERTY_TAGS,
  propertyPair,
  utf8Bytes,
  type PropertiesError,
} from './properties.js';

const SLAB_BYTES = 64 * 1024;
const SEP_NAME = 0x01;
const SEP_PROPERTY = 0x02;
const EMPTY_BYTES = new Uint8Array(0);
const NO_NAMES: readonly string[] = [];

let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * Encodes the properties of a message. `tags` / `keys` are the stored TAGS / KEYS values
 * ('' = not given). Returns a view that must not be written to, or why it cannot be encoded.
 */
export function encodeMessageProperties(
  props: Readonly<Record<string, string>> | undefined,
  tags: string,
  keys: string,
): Uint8Array | PropertiesError {
  const names = props === undefined ? NO_NAMES : Object.keys(props);
  // An upper bound of the bytes written: every pair is name + 0x01 + value + 0x02.
  let asciiBytes = (tags === '' ? 0 : PROPERTY_TAGS.length + tags.length + 2) + (keys === '' ? 0 : PROPERTY_KEYS.length + keys.length + 2);
  for (let i = 0; i < names.length; i++) {
    const value = props![names[i]!];
    if (typeof value !== 'string') return generalPath(props, names, tags, keys);
    asciiBytes += names[i]!.length + value.length + 2;
  }
  if (asciiBytes === 0) return EMPTY_BYTES;
  if (slabUsed + asciiBytes > slab.length) {
    slab = new Uint8Array(Math.max(SLAB_BYTES, asciiBytes));
    slabUsed = 0;
  }
  const start = slabUsed;
  let at = start;
  for (let i = 0; i < names.length && at >= 0; i++) {
    const name = names[i]!;
    if ((tags !== '' && name === PROPERTY_TAGS) || (keys !== '' && name === PROPERTY_KEYS)) continue;
    at = writeAsciiPair(at, name, props![name]!);
  }
  if (tags !== '' && at >= 0) at = writeAsciiPair(at, PROPERTY_TAGS, tags);
  if (keys !== '' && at >= 0) at = writeAsciiPair(at, PROPERTY_KEYS, keys);
  if (at < 0) return generalPath(props, names, tags, keys);
  slabUsed = at;
  return slab.subarray(start, at);
}

/** Writes name 0x01 value 0x02 into the slab at `at`; -1 if either is empty, non-ASCII or has a separator. */
function writeAsciiPair(at: number, name: string, value: string): number {
  if (name.length === 0 || value.length === 0) return -1;
  at = writeAscii(at, name);
  if (at < 0) return -1;
  slab[at++] = SEP_NAME;
  at = writeAscii(at, value);
  if (at < 0) return -1;
  slab[at++] = SEP_PROPERTY;
  return at;
}

function writeAscii(at: number, text: string): number {
  const target = slab;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || code === SEP_NAME || code === SEP_PROPERTY) return -1;
    target[at + i] = code;
  }
  return at + length;
}

/** The general path: build the string with full checks, then UTF-8 encode it. */
function generalPath(
  props: Readonly<Record<string, string>> | undefined,
  names: readonly string[],
  tags: string,
  keys: string,
): Uint8Array | PropertiesError {
  let text = '';
  for (const name of names) {
    if ((tags !== '' && name === PROPERTY_TAGS) || (keys !== '' && name === PROPERTY_KEYS)) continue;
    const value = props![name]!;
    const problem = checkProperty(name, value);
    if (problem !== null) return { reason: problem };
    text += propertyPair(name, value);
  }
  if (tags !== '') {
    const problem = checkProperty(PROPERTY_TAGS, tags);
    if (problem !== null) return { reason: `tags: ${problem}` };
    text += propertyPair(PROPERTY_TAGS, tags);
  }
  if (keys !== '') {
    const problem = checkProperty(PROPERTY_KEYS, keys);
    if (problem !== null) return { reason: `keys: ${problem}` };
    text += propertyPair(PROPERTY_KEYS, keys);
  }
  if (!isWellFormedText(text)) return { reason: ILL_FORMED_REASON };
  return text.length === 0 ? EMPTY_BYTES : utf8Bytes(text);
}
