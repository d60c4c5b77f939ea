// Topic names: RocketMQ's rule (`TopicValidator`: non-empty, only `%|a-zA-Z0-9_-`) plus the record
// limit on the TOPIC field, and the encoded bytes of each valid topic. The allowed characters are
// ASCII, so a topic's byte length is its string length.
// A bounded cache (TOPIC_CACHE_MAX entries, cleared when full) keeps the regex test and the
// encoding off the per-message path; cached byte arrays are shared, so callers must not mutate them.

const VALID_TOPIC = /^[%|a-zA-Z0-9_-]+$/;
const TOPIC_CACHE_MAX = 4096;
const cache = new Map<string, Uint8Array>();

/** The topic's bytes, or why it is not a valid topic (maxTopicBytes: the record format's limit). */
export function topicBytes(topic: string, maxTopicBytes: number): Uint8Array | { reason: string } {
  const cached = cache.get(topic);
  if (cached !== undefined && cached.length <= maxTopicBytes) return cached;
  if (typeof topic !== 'string' || topic.length === 0) return { reason: 'topic is empty' };
  if (topic.length > maxTopicBytes) return { reason: `topic is ${topic.length} bytes; the limit is ${maxTopicBytes}` };
  if (!VALID_TOPIC.test(topic)) {
    const shown = topic.length <= 64 ? topic : `${topic.slice(0, 64)}...`;
    return { reason: `topic ${JSON.stringify(shown)} has characters outside [%|a-zA-Z0-9_-]` };
  }
  const bytes = Buffer.from(topic, 'latin1');
  if (cache.size >= TOPIC_CACHE_MAX) cache.clear();
  cache.set(topic, bytes);
  return bytes;
}
