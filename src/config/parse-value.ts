// Turns one raw config value into the key's typed value, following the key's spec.
// Raw values come from a .properties file (always strings) or from code (already typed, or
// strings). Strings are trimmed (Java keeps trailing blanks in values, which then fail
// Integer.parseInt; we forgive them). Anything not allowed throws a ConfigError naming the key,
// the value, what is allowed and where the value was set.
import { ConfigError } from '../errors.js';
import { clampReasonOf, describeAllowed, type EnumKeySpec, type KeySpec, type NumberKeySpec, type StringKeySpec } from './key-spec.js';

export type ConfigValue = number | boolean | string | null;

/** Where a raw value came from, for error messages: "options" or "<file>:<line>". */
export type ValueOrigin = string;

export function parseConfigValue(
  key: string,
  spec: KeySpec,
  raw: unknown,
  origin: ValueOrigin,
  warn: (message: string) => void,
): ConfigValue {
  const fail = (): never => {
    throw new ConfigError(key, shown(raw), `${describeAllowed(spec)} (set in ${origin})`);
  };
  if (raw === null) return spec.default === null ? null : fail();
  switch (spec.type) {
    case 'boolean':
      return parseBoolean(raw) ?? fail();
    case 'enum':
      return parseEnum(spec, raw) ?? fail();
    case 'string':
      return parseString(spec, raw, fail);
    default:
      return parseNumber(key, spec, raw, origin, warn) ?? fail();
  }
}

function parseBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

function parseEnum(spec: EnumKeySpec, raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  return spec.values.find((v) => v === text) ?? spec.values.find((v) => v.toUpperCase() === text.toUpperCase());
}

function parseString(spec: StringKeySpec, raw: unknown, fail: () => never): string | null {
  if (typeof raw !== 'string') return fail();
  const text = raw.trim();
  if (text === '' && spec.default === null) return null; // `haMasterAddress=` means unset, as in RocketMQ
  if (spec.check !== undefined && !spec.check(text)) return fail();
  return spec.normalize !== undefined ? spec.normalize(text) : text;
}

function parseNumber(key: string, spec: NumberKeySpec, raw: unknown, origin: ValueOrigin, warn: (message: string) => void): number | undefined {
  let value = toInteger(raw);
  if (value === undefined) return undefined;
  if (spec.roundUpTo !== undefined) value = Math.ceil(value / spec.roundUpTo) * spec.roundUpTo;
  if (value < spec.min || value > spec.max) return undefined;
  if (spec.multipleOf !== undefined && value % spec.multipleOf !== 0) return undefined;
  if (spec.clampTo !== undefined) {
    const [low, high] = spec.clampTo;
    const clamped = Math.min(high, Math.max(low, value));
    if (clamped !== value) {
      warn(`config key '${key}': ${value} is outside [${low}, ${high}] and is clamped to ${clamped}, ${clampReasonOf(spec)} (set in ${origin})`);
      value = clamped;
    }
  }
  return value;
}

/** A safe integer from a number, a bigint or a decimal string ("+12", "-3", " 42 "); else undefined. */
function toInteger(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === 'bigint') {
    const n = Number(raw);
    return Number.isSafeInteger(n) && BigInt(n) === raw ? n : undefined;
  }
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (!/^[+-]?\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return undefined;
  return n === 0 ? 0 : n; // "-0" -> 0
}

/** A JSON-safe form of a raw value for the error message (bigint cannot be JSON-stringified). */
function shown(raw: unknown): unknown {
  return typeof raw === 'bigint' ? `${raw}n` : raw;
}
