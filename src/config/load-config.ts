// loadStoreConfig: defaults -> the .properties file (if `configFile`) -> overrides from code,
// each key parsed by its spec, then the cross-key rules and derived values (cross-checks.ts).
// Returns a frozen MessageStoreConfig. Unknown keys are refused with near-miss suggestions;
// RocketMQ keys we do not implement (unsupported-keys.ts) are accepted with a warning.
import { ConfigError } from '../errors.js';
import { consoleLogger } from '../util/logger.js';
import { deriveAndCheck, type DraftStoreConfig } from './cross-checks.js';
import { nearMisses } from './near-miss.js';
import { parseConfigValue, type ConfigValue, type ValueOrigin } from './parse-value.js';
import { duplicateAssignments, readPropertiesEntries, type DuplicateAssignment } from './properties-file.js';
import { KEY_ALIASES, STORE_CONFIG_KEYS, isStoreConfigKey, specOf, type MessageStoreConfig } from './store-config.js';
import { KNOWN_UNSUPPORTED_KEYS, findUnsupportedKey, type UnsupportedKey } from './unsupported-keys.js';

export { describeConfigKeys, type ConfigKeyDescription } from './describe-keys.js';

/** A store's configuration from code: any config key, typed as MessageStoreConfig types it, plus
 * `configFile`, a RocketMQ-style .properties file read first (keys given here override it).
 * Text values (from a file, or `--set key=value`) are parsed by each key's spec at run time. */
export type StoreConfigInput = Partial<MessageStoreConfig> & { readonly configFile?: string };

/** Configuration from an untyped source (JavaScript, JSON, command-line text, aliases and the
 * RocketMQ keys mqstore accepts but ignores): checked key by key at run time exactly as the typed
 * form is, unknown keys refused with near-miss suggestions. */
export type UncheckedStoreConfigInput = Readonly<Record<string, unknown>> & { readonly configFile?: string };

export interface LoadStoreConfigOptions {
  /** Receives one line per warning (unsupported keys, clamped values, ignored settings). */
  readonly warn?: (message: string) => void;
}

export function loadStoreConfig(input: StoreConfigInput | UncheckedStoreConfigInput = {}, options: LoadStoreConfigOptions = {}): Readonly<MessageStoreConfig> {
  const warn = options.warn ?? defaultWarn();
  const draft = defaultDraft();
  const { configFile, ...overrides } = input;
  if (configFile !== undefined) {
    if (typeof configFile !== 'string' || configFile.trim() === '') {
      throw new ConfigError('configFile', configFile, 'the path of a RocketMQ-style .properties file');
    }
    const entries = readPropertiesEntries(configFile);
    for (const d of duplicateAssignments(entries, (k) => KEY_ALIASES.get(k) ?? k)) warn(duplicateWarning(configFile, d));
    for (const entry of entries) applyKey(draft, entry.key, entry.value, `${configFile}:${entry.line}`, warn);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) applyKey(draft, key, value, 'options', warn);
  }
  return Object.freeze(deriveAndCheck(draft as unknown as DraftStoreConfig, warn));
}

function duplicateWarning(file: string, d: DuplicateAssignment): string {
  const spelled = (e: DuplicateAssignment['earlier']): string => (e.key === d.key ? '' : ` (as '${e.key}')`);
  return (
    `config key '${d.key}' is set twice in ${file}: line ${d.earlier.line}${spelled(d.earlier)} = ${JSON.stringify(d.earlier.value)} and line ${d.later.line}${spelled(d.later)} = ${JSON.stringify(d.later.value)}; ` +
    `the later one (line ${d.later.line}) is used`
  );
}

function defaultWarn(): (message: string) => void {
  const logger = consoleLogger('config');
  return (message) => logger.warn(message);
}

function defaultDraft(): Record<string, ConfigValue> {
  const draft: Record<string, ConfigValue> = {};
  for (const key of STORE_CONFIG_KEYS) draft[key] = specOf(key).default;
  return draft;
}

function applyKey(draft: Record<string, ConfigValue>, key: string, raw: unknown, origin: ValueOrigin, warn: (message: string) => void): void {
  const canonical = KEY_ALIASES.get(key) ?? key;
  if (isStoreConfigKey(canonical)) {
    draft[canonical] = parseConfigValue(key, specOf(canonical), raw, origin, warn);
    return;
  }
  const unsupported = findUnsupportedKey(key);
  if (unsupported === undefined) throw unknownKeyError(key, raw, origin);
  acceptUnsupported(unsupported, raw, origin, warn);
}

function acceptUnsupported(entry: UnsupportedKey, raw: unknown, origin: ValueOrigin, warn: (message: string) => void): void {
  const isTrue = raw === true || (typeof raw === 'string' && raw.trim().toLowerCase() === 'true');
  if (entry.refuseTrue !== undefined && isTrue) {
    throw new ConfigError(entry.key, raw, `${entry.refuseTrue} (set in ${origin})`);
  }
  const note = entry.note !== undefined ? `: ${entry.note}` : '';
  warn(`config key '${entry.key}' (set in ${origin}) is a RocketMQ ${entry.group} setting that mqstore does not implement; it is ignored${note}`);
}

function unknownKeyError(key: string, raw: unknown, origin: ValueOrigin): ConfigError {
  const candidates = [...STORE_CONFIG_KEYS, ...KEY_ALIASES.keys(), ...KNOWN_UNSUPPORTED_KEYS.map((u) => u.key)];
  const close = nearMisses(key, candidates);
  const hint = close.length > 0 ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : 'no known key is close to it;';
  return new ConfigError(
    key,
    typeof raw === 'bigint' ? `${raw}n` : raw,
    `a known config key, and '${key}' (set in ${origin}) is not one: ${hint} ` +
      "every key is listed by 'mqstore config' (describeConfigKeys() in the API)",
  );
}
