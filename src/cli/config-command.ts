// `mqstore config [--json] [-c <file.properties>] [key ...]`: the configuration keys a store and
// a node take, each with its type, default, unit, what is allowed (range, clamp, values) and doc,
// from the key table (config/store-config.ts, via describeConfigKeys). With -c the file is
// loaded as `mqstore node` loads it (every warning on stderr, a bad key or value is exit 2) and
// each key also shows its effective value. Key names filter the list (an unknown one is exit 2,
// with near-miss suggestions from the loader).
import { parseArgs } from 'node:util';
import { describeConfigKeys, loadStoreConfig, type ConfigKeyDescription } from '../config/load-config.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import { KEY_ALIASES } from '../config/store-config.js';
import { UsageError } from './usage-error.js';

export const CONFIG_USAGE = `  config [--json] [-c <file.properties>] [key ...]
                                  every config key: default, unit, allowed values, doc (and the file's values with -c)`;

export const CONFIG_OPTIONS = {
  json: { type: 'boolean', default: false },
  config: { type: 'string', short: 'c' },
} as const;

export const CONFIG_HELP = `usage: mqstore config [--json] [-c <file.properties>] [key ...]

Lists every configuration key of a store node with its type, default, unit, what is allowed
(range, clamping, values) and what it does. The same keys go into a node's .properties file
(mqstore node -c) and into --set key=value.

options:
  --json                     one JSON array, an object per key (key, type, default, allowed, unit,
                             doc, origin, rocketmqDefault, aliases; "value" with -c)
  -c, --config <file>        load this .properties file as mqstore node does (warnings on stderr,
                             exit 2 on a bad key or value) and show each key's effective value
  key ...                    only these keys (aliases accepted)
  -h, --help                 this text

exit codes: 0 listed; 2 bad command line, unknown key, or a file with a bad key or value`;

type Row = ConfigKeyDescription & { value?: unknown };

export function runConfig(args: string[]): number {
  const { values, positionals } = parseArgs({ args, options: CONFIG_OPTIONS, strict: true, allowPositionals: true });
  let rows: Row[] = [...describeConfigKeys()];
  if (values.config !== undefined) {
    const effective = loadStoreConfig({ configFile: values.config }, { warn: (m) => process.stderr.write(`mqstore: warning: ${m}\n`) });
    rows = rows.map((r) => ({ ...r, value: effective[r.key as keyof MessageStoreConfig] }));
  }
  if (positionals.length > 0) rows = positionals.map((name) => rowFor(rows, name));
  console.log(values.json ? JSON.stringify(rows) : rows.map(formatRow).join('\n\n'));
  return 0;
}

function rowFor(rows: readonly Row[], name: string): Row {
  const key = KEY_ALIASES.get(name) ?? name;
  const row = rows.find((r) => r.key === key);
  if (row) return row;
  // the loader's own unknown-key error (near-miss suggestions), without loading anything else
  loadStoreConfig({ [name]: '' }, { warn: () => {} });
  throw new UsageError(`config: '${name}' is not a config key`);
}

/** How a value's unit is written after it ('' for counts, ids and ports). */
const UNIT_SUFFIX: Readonly<Record<string, string>> = { ms: ' ms', bytes: ' bytes', hours: ' hours', pages: ' pages', percent: ' %' };

function formatRow(r: Row): string {
  const unit = r.unit !== undefined ? (UNIT_SUFFIX[r.unit] ?? '') : '';
  const kind = r.unit !== undefined && r.unit !== r.type ? `${r.type}, ${r.unit}` : r.type;
  const lines = [`${r.key} (${kind})`];
  if ('value' in r) lines.push(`  value:    ${shown(r.value)}${unit}${shown(r.value) === r.default ? ' (default)' : ` (default ${r.default})`}`);
  else lines.push(`  default:  ${r.default}${r.default.startsWith('(') ? '' : unit}`);
  lines.push(`  allowed:  ${r.allowed}`);
  lines.push(`  ${r.doc}`);
  if (r.rocketmqDefault !== undefined) lines.push(`  RocketMQ default: ${r.rocketmqDefault}`);
  if (r.aliases.length > 0) lines.push(`  also spelled: ${r.aliases.join(', ')}`);
  if (r.origin === 'mqstore') lines.push('  (an mqstore key, not in RocketMQ)');
  return lines.join('\n');
}

function shown(v: unknown): string {
  return v === null || v === undefined ? '(unset)' : String(v);
}
