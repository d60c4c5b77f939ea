// The tags code of a record straight from its properties bytes, without building the property
// map: finds the TAGS entry the way RocketMQ's `string2messageProperties` would (entry = bytes up
// to the next 0x02; name = bytes before the first 0x01, both non-empty; the last TAGS wins) and
// hashes its value. 0x01/0x02 never occur inside a multi-byte UTF-8 sequence, so splitting the
// bytes equals splitting the decoded string. Bounded: one pass over the bytes.
import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, PROPERTY_TAGS } from './properties.js';
import { tagsCode, tagsCodeOfAsciiBytes } from './tags-code.js';

const SEP_NAME = NAME_VALUE_SEPARATOR.charCodeAt(0);
const SEP_PROPERTY = PROPERTY_SEPARATOR.charCodeAt(0);
const TAGS_BYTES = Uint8Array.from(PROPERTY_TAGS, (c) => c.charCodeAt(0));
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** tagsCode of the TAGS property in properties bytes [start, end); 0 when there is none. */
export function tagsOfProperties(source: Uint8Array, start: number, end: number): number {
  const properties = source.subarray(start, end); // indexOf must not run past `end`
  const length = properties.length;
  let valueStart = -1;
  let valueEnd = -1;
  let entry = 0;
  while (entry < length) {
    let entryEnd = properties.indexOf(SEP_PROPERTY, entry);
    if (entryEnd < 0) entryEnd = length;
    if (entryEnd - entry >= TAGS_BYTES.length + 2 && isTagsName(properties, entry)) {
      valueStart = entry + TAGS_BYTES.length + 1;
      valueEnd = entryEnd;
    }
    entry = entryEnd + 1;
  }
  if (valueStart < 0) return 0;
  const ascii = tagsCodeOfAsciiBytes(properties, valueStart, valueEnd);
  return ascii ?? tagsCode(utf8Decoder.decode(properties.subarray(valueStart, valueEnd)));
}

/** True when the entry at `position` is `TAGS` 0x01 ... */
function isTagsName(source: Uint8Array, position: number): boolean {
  for (let i = 0; i < TAGS_BYTES.length; i++) if (source[position + i] !== TAGS_BYTES[i]) return false;
  return source[position + TAGS_BYTES.length] === SEP_NAME;
}
