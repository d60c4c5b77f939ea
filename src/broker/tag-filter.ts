// Subscription filters: RocketMQ's TAG expressions ("*" or empty = every message; otherwise tags
// joined by "||", whitespace around each ignored). SQL92 filters are refused (not implemented):
// the caller answers ILLEGAL_FILTER_EXPRESSION / NOT_IMPLEMENTED with the reason.
import { refuse } from './status-codes.js';

/** FilterType of the v2 proto: TAG = 1, SQL = 2 (0 unspecified = TAG). */
const FILTER_TAG = 1;
const FILTER_SQL = 2;
const MAX_EXPRESSION_CHARS = 16 * 1024;

export type TagFilter = (tag: string | null) => boolean;

export const ANY_TAG: TagFilter = () => true;

export function tagFilterOf(expression: { type?: number; expression?: string } | undefined): TagFilter {
  if (!expression) return ANY_TAG;
  const type = expression.type ?? FILTER_TAG;
  if (type === FILTER_SQL) refuse('NOT_IMPLEMENTED', 'SQL92 filter expressions are not supported by this broker yet; use a TAG expression');
  if (type !== FILTER_TAG && type !== 0) refuse('ILLEGAL_FILTER_EXPRESSION', `unknown filter type ${type}`);
  const text = (expression.expression ?? '').trim();
  if (text.length > MAX_EXPRESSION_CHARS) refuse('ILLEGAL_FILTER_EXPRESSION', `tag expression longer than ${MAX_EXPRESSION_CHARS} characters`);
  if (text === '' || text === '*') return ANY_TAG;
  const tags = new Set(text.split('||').map((t) => t.trim()).filter((t) => t.length > 0));
  if (tags.size === 0) refuse('ILLEGAL_FILTER_EXPRESSION', `tag expression '${text}' names no tag`);
  return (tag) => tag !== null && tags.has(tag);
}
