// The key table's words agree with what the loader does (issue 14: diskMaxUsedSpaceRatio was
// documented up to 95 but refused above 90):
//   - every numeric range written in a key's doc or allowed text ("[a, b]") is the spec's
//     [min, max] (after "in") or its clampTo range (after "clamped to"), and a doc with a range
//     of its own names one of those two;
//   - each disk-ratio key: every value of its documented (clamped) range loads and is kept, with
//     the other ratio keys set as its doc says they must be; the doc names those keys; a value
//     past the clamp range is clamped with a warning, never refused.
import { describe, expect, it } from 'vitest';
import { describeConfigKeys } from '../../src/config/describe-keys.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import type { NumberKeySpec } from '../../src/config/key-spec.js';
import { DEFAULT_STORE_CONFIG, type MessageStoreConfig } from '../../src/config/store-config.js';

const RANGE = /(in|clamped to|outside)?\s*\[(-?\d+), (-?\d+)\]/g;

function numberSpec(key: string): NumberKeySpec | null {
  const spec = (DEFAULT_STORE_CONFIG as Record<string, { type: string }>)[key]!;
  return spec.type === 'int' || spec.type === 'long' || spec.type === 'percent' ? (spec as NumberKeySpec) : null;
}

describe('every range a key doc states is the range the loader applies', () => {
  for (const row of describeConfigKeys()) {
    it(row.key, () => {
      const spec = numberSpec(row.key);
      for (const text of [row.doc, row.allowed]) {
        for (const m of text.matchAll(RANGE)) {
          const range = [Number(m[2]), Number(m[3])];
          expect(spec, `${row.key}: '${m[0]}' in a non-number key's text`).not.toBeNull();
          const own = [spec!.min, spec!.max];
          const clamp = spec!.clampTo ? [...spec!.clampTo] : null;
          if (m[1] === 'in') expect(range, `${row.key}: '${m[0]}' vs [min, max]`).toEqual(own);
          else if (m[1] === 'clamped to') expect(range, `${row.key}: '${m[0]}' vs clampTo`).toEqual(clamp);
          else if (text === row.doc) expect([own, clamp], `${row.key}: '${m[0]}' in its doc`).toContainEqual(range);
        }
      }
    });
  }
});

type RatioKey = 'diskMaxUsedSpaceRatio' | 'diskSpaceWarningLevelRatio' | 'diskSpaceCleanForciblyRatio';

/** Each ratio key, and the setting of the others that its doc's rule allows most room with. */
const RATIO_KEYS: Record<RatioKey, { mustRespect: RatioKey[]; roomy: Partial<Record<RatioKey, number>> }> = {
  diskMaxUsedSpaceRatio: { mustRespect: ['diskSpaceWarningLevelRatio'], roomy: { diskSpaceWarningLevelRatio: 90, diskSpaceCleanForciblyRatio: 30 } },
  diskSpaceCleanForciblyRatio: { mustRespect: ['diskSpaceWarningLevelRatio'], roomy: { diskSpaceWarningLevelRatio: 90, diskMaxUsedSpaceRatio: 10 } },
  diskSpaceWarningLevelRatio: { mustRespect: ['diskMaxUsedSpaceRatio', 'diskSpaceCleanForciblyRatio'], roomy: { diskMaxUsedSpaceRatio: 10, diskSpaceCleanForciblyRatio: 30 } },
};

describe('disk-ratio keys: the documented range is the settable range', () => {
  for (const [key, rule] of Object.entries(RATIO_KEYS) as [RatioKey, (typeof RATIO_KEYS)[RatioKey]][]) {
    it(key, () => {
      const row = describeConfigKeys().find((r) => r.key === key)!;
      const spec = numberSpec(key)!;
      const [low, high] = spec.clampTo!;
      expect(row.allowed).toContain(`clamped to [${low}, ${high}]`);
      for (const other of rule.mustRespect) expect(row.doc, `${key}'s doc names ${other}`).toContain(other);
      for (let v = low; v <= high; v++) {
        const warnings: string[] = [];
        const config: MessageStoreConfig = loadStoreConfig({ ...rule.roomy, [key]: v }, { warn: (m) => warnings.push(m) });
        expect(config[key], `${key}=${v}`).toBe(v);
        expect(warnings, `${key}=${v}`).toEqual([]);
      }
      for (const v of [spec.min, spec.max]) {
        const warnings: string[] = [];
        const config = loadStoreConfig({ ...rule.roomy, [key]: v }, { warn: (m) => warnings.push(m) });
        expect(config[key]).toBe(Math.min(high, Math.max(low, v)));
        if (v < low || v > high) expect(warnings.join('\n')).toContain(`clamped to ${config[key]}`);
      }
    });
  }
});
