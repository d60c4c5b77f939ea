// A parser for Java `.properties` text, following java.util.Properties.load:
//   - natural lines end at \n, \r or \r\n; blank lines and lines whose first non-blank character
//     is '#' or '!' are skipped (a comment line never continues onto the next line);
//   - a line ending in an odd number of backslashes continues on the next line, whose leading
//     blanks (space, \t, \f) are dropped; a continuation into an empty line ends the value;
//   - the key runs to the first unescaped '=', ':' or blank; then blanks, at most one '=' or ':',
//     and blanks again are skipped; the rest of the line (trailing blanks included) is the value;
//   - escapes in keys and values: \t \n \r \f, \uXXXX (exactly four hex digits), and a
//     backslash before any other character stands for that character (\\ \= \: \# \! \ );
//   - a later assignment of a key overrides an earlier one (as in Java); duplicateAssignments()
//     finds them so the loader can warn, naming both lines.
// The only malformed input is a bad \uXXXX escape (Java throws too): PropertiesSyntaxError
// with the line number. Files are decoded as UTF-8 (Java's Properties.load(InputStream) uses
// ISO-8859-1; a file that is not valid UTF-8 is decoded as ISO-8859-1 instead), BOM skipped.
import { readFileSync } from 'node:fs';
import { ErrorCode, IoError, StoreError } from '../errors.js';

/** One assignment in a properties text, with the 1-based line where its logical line starts. */
export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** Malformed .properties input; code ERR_STORE_CONFIG. */
export class PropertiesSyntaxError extends StoreError {
  readonly line: number;
  readonly source: string;

  constructor(source: string, line: number, detail: string) {
    super(ErrorCode.CONFIG, `${source}:${line}: ${detail}`);
    this.name = 'PropertiesSyntaxError';
    this.line = line;
    this.source = source;
  }
}

const BLANK = new Set([' ', '\t', '\f']);

/** Every assignment in order, duplicates included. `source` names the text in errors. */
export function parsePropertiesEntries(text: string, source = '<properties>'): PropertyEntry[] {
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const lineNumber = i + 1;
    let logical = stripLeadingBlanks(lines[i]!);
    i++;
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    while (endsWithContinuation(logical)) {
      logical = logical.slice(0, -1);
      if (i >= lines.length) break;
      logical += stripLeadingBlanks(lines[i]!);
      i++;
    }
    entries.push(splitKeyValue(logical, source, lineNumber));
  }
  return entries;
}

/** The properties as an ordered map: a key sits where it was last assigned, with its last value. */
export function parseProperties(text: string, source = '<properties>'): Map<string, string> {
  const map = new Map<string, string>();
  for (const { key, value } of parsePropertiesEntries(text, source)) {
    map.delete(key);
    map.set(key, value);
  }
  return map;
}

/** A key assigned again: the earlier assignment (overridden) and the later one (used). */
export interface DuplicateAssignment {
  readonly key: string;
  readonly earlier: PropertyEntry;
  readonly later: PropertyEntry;
}

/** Every assignment that overrides an earlier one of the same key, in file order; `canonical`
 * maps spellings of one key to one name (aliases), so those count as the same key. */
export function duplicateAssignments(entries: readonly PropertyEntry[], canonical: (key: string) => string = (k) => k): DuplicateAssignment[] {
  const last = new Map<string, PropertyEntry>();
  const out: DuplicateAssignment[] = [];
  for (const entry of entries) {
    const key = canonical(entry.key);
    const earlier = last.get(key);
    if (earlier !== undefined) out.push({ key, earlier, later: entry });
    last.set(key, entry);
  }
  return out;
}

/** Reads and parses a .properties file (synchronously: config is read once at start). */
export function readPropertiesFile(path: string): Map<string, string> {
  return parseProperties(readPropertiesText(path), path);
}

/** Reads a .properties file as entries with line numbers. */
export function readPropertiesEntries(path: string): PropertyEntry[] {
  return parsePropertiesEntries(readPropertiesText(path), path);
}

function readPropertiesText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new IoError(`read config file ${path}`, err);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return bytes.toString('latin1'); // not UTF-8: read it the way Java does
  }
}

function stripLeadingBlanks(line: string): string {
  let start = 0;
  while (start < line.length && BLANK.has(line[start]!)) start++;
  return line.slice(start);
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) backslashes++;
  return backslashes % 2 === 1;
}

function splitKeyValue(logical: string, source: string, line: number): PropertyEntry {
  let keyEnd = 0;
  let valueStart = logical.length;
  let hasSeparator = false;
  let escaped = false;
  for (; keyEnd < logical.length; keyEnd++) {
    const c = logical[keyEnd]!;
    if (!escaped && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!escaped && BLANK.has(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    escaped = c === '\\' ? !escaped : false;
  }
  for (; valueStart < logical.length; valueStart++) {
    const c = logical[valueStart]!;
    if (BLANK.has(c)) continue;
    if (!hasSeparator && (c === '=' || c === ':')) {
      hasSeparator = true;
      continue;
    }
    break;
  }
  return {
    key: unescape(logical.slice(0, keyEnd), source, line),
    value: unescape(logical.slice(valueStart), source, line),
    line,
  };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(text: string, source: string, line: number): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let j = 0; j < text.length; j++) {
    const c = text[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    j++;
    if (j >= text.length) break; // a lone trailing backslash (end of input) is dropped, as in Java
    const e = text[j]!;
    if (e === 'u') {
      const hex = text.slice(j + 1, j + 5);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
        throw new PropertiesSyntaxError(source, line, `malformed \\uXXXX escape '\\u${hex}': expected four hex digits`);
      }
      out += String.fromCharCode(parseInt(hex, 16));
      j += 4;
    } else {
      out += SIMPLE_ESCAPES[e] ?? e;
    }
  }
  return out;
}
