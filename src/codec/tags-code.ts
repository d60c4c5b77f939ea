// The ConsumeQueue tags code: Java `String.hashCode()` of the TAGS property (31-polynomial over
// UTF-16 code units, int32 arithmetic), sign-extended to int64 — which a JS number holds exactly.
// 0 when there are no tags (`MessageExtBrokerInner.tagsString2tagsCode`).

/** tagsCode of a tags string; 0 for undefined, null or ''. Always an int32 value. */
export function tagsCode(tags: string | null | undefined): number {
  if (!tags) return 0;
  let hash = 0;
  for (let i = 0; i < tags.length; i++) hash = (Math.imul(31, hash) + tags.charCodeAt(i)) | 0;
  return hash;
}

/**
 * tagsCode of UTF-8 bytes [start, end) when they are all ASCII (then bytes = UTF-16 code units),
 * else null so the caller decodes first.
 */
export function tagsCodeOfAsciiBytes(bytes: Uint8Array, start: number, end: number): number | null {
  let hash = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x80) return null;
    hash = (Math.imul(31, hash) + byte) | 0;
  }
  return hash;
}
