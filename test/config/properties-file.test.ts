import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import {
  PropertiesSyntaxError,
  parseProperties,
  parsePropertiesEntries,
  readPropertiesEntries,
  readPropertiesFile,
} from '../../src/config/properties-file.js';
import { tempDirs } from '../helpers/temp-dir.js';

const tempDir = tempDirs('mqstore-config-');
const obj = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

describe('properties parser: separators and whitespace', () => {
  it('accepts key=value, key:value and key value, with blanks around the separator', () => {
    const text = ['a=1', 'b:2', 'c 3', 'd = 4', 'e : 5', 'f\t6', 'g  =  7', 'h\f8'].join('\n');
    expect(obj(text)).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8' });
  });

  it('takes only one separator: the rest belongs to the value', () => {
    expect(obj('a==x\nb = = y\nc : =z\nd=e=f')).toEqual({ a: '=x', b: '= y', c: '=z', d: 'e=f' });
  });

  it('a key alone or with an empty value maps to ""', () => {
    expect(obj('lonely\nempty=\nspaced   \n')).toEqual({ lonely: '', empty: '', spaced: '' });
  });

  it('skips leading blanks of a line and keeps trailing blanks of a value (as Java does)', () => {
    expect(obj('   \t k=v  \n')).toEqual({ k: 'v  ' });
  });

  it('skips blank and whitespace-only lines', () => {
    expect(obj('\n\n   \n\t\na=1\n\n')).toEqual({ a: '1' });
  });
});

describe('properties parser: comments', () => {
  it('skips # and ! lines, also indented; a # after a value is part of the value', () => {
    const text = '# comment\n! bang comment\n   # indented\n\t! indented too\na=b # not a comment\n';
    expect(obj(text)).toEqual({ a: 'b # not a comment' });
  });

  it('a comment line ending in a backslash does not continue', () => {
    expect(obj('# comment \\\na=1')).toEqual({ a: '1' });
  });
});

describe('properties parser: line continuations', () => {
  it('joins a line ending in a backslash with the next, dropping the next line’s leading blanks', () => {
    expect(obj('k=abc\\\n      def\\\n\tghi\nz=1')).toEqual({ k: 'abcdefghi', z: '1' });
  });

  it('an even number of trailing backslashes is an escaped backslash, not a continuation', () => {
    expect(obj('k=a\\\\\nz=1')).toEqual({ k: 'a\\', z: '1' });
    expect(obj('k=a\\\\\\\nb')).toEqual({ k: 'a\\b' });
  });

  it('a continued line starting with # or ! is value text, not a comment', () => {
    expect(obj('k=a\\\n  #b\\\n  !c')).toEqual({ k: 'a#b!c' });
  });

  it('a continuation into an empty line ends the value; at end of input the backslash is dropped', () => {
    expect(obj('k=a\\\n\nz=1')).toEqual({ k: 'a', z: '1' });
    expect(obj('k=a\\')).toEqual({ k: 'a' });
  });

  it('continues inside the key and across the separator', () => {
    expect(obj('lo\\\n  ng\\\n  =val\\\n  ue')).toEqual({ long: 'value' });
  });

  it('reports the line where the logical line starts', () => {
    const entries = parsePropertiesEntries('# c\na=1\\\n  2\n\nb=3\n');
    expect(entries).toEqual([
      { key: 'a', value: '12', line: 2 },
      { key: 'b', value: '3', line: 5 },
    ]);
  });
});

describe('properties parser: escapes', () => {
  it('decodes \\t \\n \\r \\f and keeps other escaped characters literally', () => {
    expect(obj('k=a\\tb\\nc\\rd\\fe\\\\f\\=g\\:h\\#i\\!j\\ k\\zl')).toEqual({ k: 'a\tb\nc\rd\fe\\f=g:h#i!j kzl' });
  });

  it('decodes \\uXXXX, upper or lower hex, including surrogate pairs', () => {
    expect(obj('k=\\u0041\\u00e9\\u4E2D\\ud83d\\ude00')).toEqual({ k: 'Aé中😀' });
  });

  it('escaped separators and blanks belong to the key', () => {
    expect(obj('a\\=b=c\nx\\:y:z\nkey\\ with\\ spaces = v\n\\#notcomment=1')).toEqual({
      'a=b': 'c',
      'x:y': 'z',
      'key with spaces': 'v',
      '#notcomment': '1',
    });
  });

  it('an escaped blank at the start of a value is kept', () => {
    expect(obj('k=\\  v')).toEqual({ k: '  v' });
  });

  it('a malformed \\u escape is an error with the line number and code ERR_STORE_CONFIG', () => {
    for (const bad of ['k=\\u12G4', 'k=\\u12', 'k=abc\\u']) {
      let caught: unknown;
      try {
        parseProperties(`a=1\n# c\n${bad}\n`, 'broker.conf');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(PropertiesSyntaxError);
      const e = caught as PropertiesSyntaxError;
      expect(e.code).toBe(ErrorCode.CONFIG);
      expect(e.line).toBe(3);
      expect(e.message).toMatch(/^broker\.conf:3: malformed \\uXXXX escape/);
    }
  });
});

describe('properties parser: line endings, overrides, order', () => {
  it('accepts CRLF, CR and LF line endings, and a BOM', () => {
    expect(obj('\uFEFFa=1\r\nb=2\rc=3\nd=x\\\r\n  y\r\n')).toEqual({ a: '1', b: '2', c: '3', d: 'xy' });
  });

  it('a later assignment overrides an earlier one and moves the key to its position', () => {
    const map = parseProperties('a=1\nb=2\na=3\n');
    expect([...map.entries()]).toEqual([
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(parsePropertiesEntries('a=1\nb=2\na=3\n')).toHaveLength(3);
  });
});

describe('properties files', () => {
  it('reads a file as UTF-8, or as ISO-8859-1 when it is not valid UTF-8', () => {
    const dir = tempDir();
    const utf8 = join(dir, 'utf8.properties');
    writeFileSync(utf8, 'name=zoë 中\n', 'utf8');
    expect(readPropertiesFile(utf8).get('name')).toBe('zoë 中');
    const latin1 = join(dir, 'latin1.properties');
    writeFileSync(latin1, Buffer.from('name=zo\xeb\n', 'latin1'));
    expect(readPropertiesFile(latin1).get('name')).toBe('zoë');
    expect(readPropertiesEntries(utf8)).toEqual([{ key: 'name', value: 'zoë 中', line: 1 }]);
  });

  it('a missing file is an IO error naming the path', () => {
    const path = join(tempDir(), 'missing.conf');
    expect(() => readPropertiesFile(path)).toThrow(expect.objectContaining({ code: ErrorCode.IO, errnoCode: 'ENOENT' }));
    expect(() => readPropertiesFile(path)).toThrow(path);
  });
});

describe('properties parser: round trip with a Java-style writer (property)', () => {
  // Escapes like java.util.Properties.store: every blank in a key, a leading blank in a value,
  // separators, comment starters, backslashes and control characters; non-ASCII optionally as \uXXXX.
  const escapeUnits = (s: string, isKey: boolean, unicodeEscapes: boolean): string[] =>
    [...s].flatMap((ch, i) => {
      const units: string[] = [];
      for (const unit of ch.length === 2 ? [ch[0]!, ch[1]!] : [ch]) {
        const code = unit.charCodeAt(0);
        if (unit === '\\') units.push('\\\\');
        else if (unit === '\t') units.push('\\t');
        else if (unit === '\n') units.push('\\n');
        else if (unit === '\r') units.push('\\r');
        else if (unit === '\f') units.push('\\f');
        else if ('=:#!'.includes(unit)) units.push(`\\${unit}`);
        else if (unit === ' ' && (isKey || i === 0)) units.push('\\ ');
        else if (code < 0x20 || (code > 0x7e && unicodeEscapes)) units.push(`\\u${code.toString(16).padStart(4, '0')}`);
        else units.push(unit);
      }
      return units;
    });

  it('parse(write(map)) == map, with random separators and continuations', () => {
    const entry = fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 24 }));
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: ([k]) => k, maxLength: 8 }),
        fc.constantFrom('=', ':', ' ', ' = ', '\t: '),
        fc.boolean(),
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (entries, separator, unicodeEscapes, breaks, eol) => {
          const lines = entries.map(([key, value]) => {
            const valueUnits = escapeUnits(value, false, unicodeEscapes);
            const value2 = valueUnits.map((u, i) => (breaks[i % 64] ? `\\${eol}    ${u}` : u)).join('');
            return `${escapeUnits(key, true, unicodeEscapes).join('')}${separator}${value2}`;
          });
          const text = `# generated${eol}${lines.join(eol)}${eol}`;
          expect(obj(text)).toEqual(Object.fromEntries(entries));
        },
      ),
      { numRuns: 300 },
    );
  });
});
