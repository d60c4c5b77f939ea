// The shape of one row of the configuration table: a key's type, default, allowed range and doc.
// The table itself is DEFAULT_STORE_CONFIG (store-config.ts); parse-value.ts reads these specs to
// turn a raw value (a string from a .properties file, or a typed value from code) into the
// key's typed value. Specs are plain data so the table can be printed for docs and the CLI.
//
// Types:
//   int     - signed 32-bit decimal integer (Java int), further limited by min/max
//   long    - decimal integer within Number.MAX_SAFE_INTEGER (Java long), limited by min/max
//   percent - integer percentage; `clampTo` mirrors RocketMQ getters that clamp instead of failing
//   boolean - true/false (case-insensitive in files)
//   enum    - one of `values` (exact, or matched case-insensitively)
//   string  - free text, checked by `check` when present

/** Where a key's meaning comes from: RocketMQ's own config classes, or mqstore-only. */
export type KeyOrigin = 'rocketmq' | 'mqstore';

/** What a number counts, for docs (key names are RocketMQ's, so the unit lives here). */
export type KeyUnit = 'ms' | 'seconds' | 'bytes' | 'hours' | 'pages' | 'percent' | 'count' | 'port' | 'id';

interface KeySpecBase {
  /** One line: what the key does (with its unit when the name does not say it). */
  readonly doc: string;
  readonly origin: KeyOrigin;
  /** Set when our default differs from RocketMQ's: RocketMQ's default and why we differ. */
  readonly rocketmqDefault?: string;
  /** Other spellings accepted for this key (old RocketMQ names, corrected typos). */
  readonly aliases?: readonly string[];
}

export interface NumberKeySpec extends KeySpecBase {
  readonly type: 'int' | 'long' | 'percent';
  /** null: the default is derived from other keys; `derived` says how. */
  readonly default: number | null;
  readonly derived?: string;
  readonly min: number;
  readonly max: number;
  readonly unit: KeyUnit;
  /** The value must be a multiple of this (after rounding, if any). */
  readonly multipleOf?: number;
  /** The value is rounded up to a multiple of this (RocketMQ does this for CQ segment size). */
  readonly roundUpTo?: number;
  /** Values in [min, max] but outside this range are clamped to it, with a warning. */
  readonly clampTo?: readonly [number, number];
  /** Why the clamp range is what it is, when it is not RocketMQ's (default: "as RocketMQ does"). */
  readonly clampReason?: string;
}

export interface BooleanKeySpec extends KeySpecBase {
  readonly type: 'boolean';
  readonly default: boolean;
}

export interface EnumKeySpec<V extends string = string> extends KeySpecBase {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default: V;
}

export interface StringKeySpec extends KeySpecBase {
  readonly type: 'string';
  /** null: unset (or derived from other keys; `derived` says how). */
  readonly default: string | null;
  readonly derived?: string;
  /** What is allowed, in words (used in error messages). */
  readonly allowed: string;
  /** Returns true when the (trimmed) value is allowed. */
  readonly check?: (value: string) => boolean;
  /** Turns an allowed value into its stored form (e.g. `~` expansion, absolute paths). */
  readonly normalize?: (value: string) => string;
}

export type KeySpec = NumberKeySpec | BooleanKeySpec | EnumKeySpec | StringKeySpec;

/** The spec type that fits a config field of type V. */
export type KeySpecFor<V> = [V] extends [boolean]
  ? BooleanKeySpec
  : [V] extends [number]
    ? NumberKeySpec
    : [V] extends [string]
      ? string extends V
        ? StringKeySpec
        : EnumKeySpec<V & string>
      : [V] extends [string | null]
        ? StringKeySpec
        : never;

/** "what is allowed" in words, for error messages and the key table. */
export function describeAllowed(spec: KeySpec): string {
  switch (spec.type) {
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${spec.values.join(' | ')}`;
    case 'string':
      return spec.allowed;
    default: {
      const kind = spec.type === 'percent' ? 'an integer percentage' : 'an integer';
      const parts = [`${kind} in [${spec.min}, ${spec.max}]`];
      if (spec.multipleOf !== undefined) parts.push(`a multiple of ${spec.multipleOf}`);
      if (spec.roundUpTo !== undefined) parts.push(`rounded up to a multiple of ${spec.roundUpTo}`);
      if (spec.clampTo !== undefined) parts.push(`clamped to [${spec.clampTo[0]}, ${spec.clampTo[1]}] ${clampReasonOf(spec)}`);
      return parts.join(', ');
    }
  }
}

/** Why a number key is clamped where it is, for the clamp warning and the key table. */
export function clampReasonOf(spec: NumberKeySpec): string {
  return spec.clampReason ?? 'as RocketMQ does';
}
