// The configuration table as printable rows, for docs and `mqstore` help: every key with its
// type, default, what is allowed, unit, doc and where it differs from RocketMQ.
import { describeAllowed, type KeyOrigin, type KeySpec, type KeyUnit } from './key-spec.js';
import { DEFAULT_STORE_CONFIG, STORE_CONFIG_KEYS } from './store-config.js';

export interface ConfigKeyDescription {
  readonly key: string;
  readonly type: KeySpec['type'];
  /** The default as text: the value, "(derived: ...)" or "(unset)". */
  readonly default: string;
  readonly allowed: string;
  readonly unit?: KeyUnit;
  readonly doc: string;
  readonly origin: KeyOrigin;
  /** RocketMQ's default and our reason, when our default differs. */
  readonly rocketmqDefault?: string;
  readonly aliases: readonly string[];
}

export function describeConfigKeys(): readonly ConfigKeyDescription[] {
  return STORE_CONFIG_KEYS.map((key) => describeKey(key, DEFAULT_STORE_CONFIG[key] as KeySpec));
}

function describeKey(key: string, spec: KeySpec): ConfigKeyDescription {
  const derived = spec.type === 'string' || spec.type === 'int' || spec.type === 'long' || spec.type === 'percent' ? spec.derived : undefined;
  const shownDefault = spec.default !== null ? String(spec.default) : derived !== undefined ? `(derived: ${derived})` : '(unset)';
  return {
    key,
    type: spec.type,
    default: shownDefault,
    allowed: describeAllowed(spec),
    ...(spec.type === 'int' || spec.type === 'long' || spec.type === 'percent' ? { unit: spec.unit } : {}),
    doc: spec.doc,
    origin: spec.origin,
    ...(spec.rocketmqDefault !== undefined ? { rocketmqDefault: spec.rocketmqDefault } : {}),
    aliases: spec.aliases ?? [],
  };
}
