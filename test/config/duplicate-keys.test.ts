// Issue 14: a key assigned twice in a .properties file kept the last value silently. Now the
// loader warns, naming the key, both line numbers and both values (the later one is still used,
// as java.util.Properties does); two spellings of one key (an alias) count as the same key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { duplicateAssignments, parsePropertiesEntries } from '../../src/config/properties-file.js';
import { collect } from '../helpers/config-errors.js';
import { tempDirs } from '../helpers/temp-dir.js';

const tempDir = tempDirs('mqstore-dup-');

describe('duplicateAssignments', () => {
  it('each overriding assignment with the one it overrides, in file order', () => {
    const entries = parsePropertiesEntries('a=1\nb=2\n# c\na=3\n\na=4\nb=2\n');
    const d = duplicateAssignments(entries);
    expect(d.map((x) => [x.key, x.earlier.line, x.later.line])).toEqual([
      ['a', 1, 4],
      ['a', 4, 6],
      ['b', 2, 7],
    ]);
    expect(duplicateAssignments(parsePropertiesEntries('a=1\nb=2\n'))).toEqual([]);
  });

  it('a canonical mapping folds spellings together', () => {
    const entries = parsePropertiesEntries('old=1\nnew=2\n');
    expect(duplicateAssignments(entries)).toEqual([]);
    expect(duplicateAssignments(entries, (k) => (k === 'old' ? 'new' : k))).toHaveLength(1);
  });
});

describe('loadStoreConfig with a duplicate key in the file', () => {
  it('warns naming the key, both lines and values; the later value is used', () => {
    const file = join(tempDir(), 'broker.conf');
    writeFileSync(file, ['brokerName=first', 'listenPort=0', 'fileReservedTime=48', 'brokerName=second', ''].join('\n'));
    const { warn, lines } = collect();
    const config = loadStoreConfig({ configFile: file, storePathRootDir: tempDir() }, { warn });
    expect(config.brokerName).toBe('second');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`config key 'brokerName' is set twice in ${file}: line 1 = "first" and line 4 = "second"; the later one (line 4) is used`);
  });

  it('an alias and the key itself count as the same key', () => {
    const file = join(tempDir(), 'broker.conf');
    writeFileSync(file, 'mapedFileSizeCommitLog=1073741824\nlistenPort=0\nmappedFileSizeCommitLog=73728\n');
    const { warn, lines } = collect();
    const config = loadStoreConfig({ configFile: file, storePathRootDir: tempDir(), maxMessageSize: 4096 }, { warn });
    expect(config.mappedFileSizeCommitLog).toBe(73_728);
    const dup = lines.filter((l) => l.includes('set twice'));
    expect(dup).toHaveLength(1);
    expect(dup[0]).toContain(`config key 'mappedFileSizeCommitLog' is set twice in ${file}: line 1 (as 'mapedFileSizeCommitLog')`);
    expect(dup[0]).toContain('line 3 = "73728"');
  });
});
