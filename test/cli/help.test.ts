// Issue 14: `--help` / `-h` on every subcommand (before: `mqstore node --help` answered
// "Unknown option '--help'", exit 2). Checks that
//   - every command main.ts dispatches has a help entry (src/cli/command-help.ts);
//   - each help lists every option its command's parseArgs accepts (read from the source file);
//   - `mqstore <command> --help` and `-h`, as real processes, print it on stdout with exit 0
//     (admin: also after a subcommand), and a `--help` after `--` is not a help request.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, helpRequested } from '../../src/cli/command-help.js';
import { runCli } from './node-harness.js';

const CLI_DIR = join(import.meta.dirname, '..', '..', 'src', 'cli');

/** Option names (and short letters) declared in a file's parseArgs option objects. */
function declaredOptions(file: string): { long: string[]; short: string[] } {
  const text = readFileSync(join(CLI_DIR, file), 'utf8');
  const long = [...text.matchAll(/(?:^|[{,])\s*'?([a-z][a-z-]*)'?: \{ type: '(?:string|boolean)'/gm)].map((m) => m[1]!);
  const short = [...text.matchAll(/short: '([a-zA-Z])'/g)].map((m) => m[1]!);
  return { long, short };
}

describe('help texts', () => {
  it('every command main.ts dispatches has one', () => {
    const main = readFileSync(join(CLI_DIR, 'main.ts'), 'utf8');
    const commands = [...main.matchAll(/case '([a-z][a-z-]*)':/g)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const c of commands) expect(Object.keys(COMMAND_HELP), `help for '${c}'`).toContain(c);
  });

  for (const [command, entry] of Object.entries(COMMAND_HELP)) {
    it(`${command}: lists every option of ${entry.source}, and -h/--help`, () => {
      const { long, short } = declaredOptions(entry.source);
      expect(long.length, `options found in ${entry.source}`).toBeGreaterThan(0);
      for (const name of long) expect(entry.help, `--${name}`).toMatch(new RegExp(`(^|[\\s,])--${name}\\b`, 'm'));
      for (const letter of short) expect(entry.help, `-${letter}`).toMatch(new RegExp(`(^|\\s)-${letter},`, 'm'));
      expect(entry.help).toMatch(/^ {2}-h, --help +this text$/m);
      expect(entry.help.startsWith(`usage: mqstore ${command}`)).toBe(true);
    });
  }

  it('a --help after -- is an argument', () => {
    expect(helpRequested('node', ['--', '--help'])).toBeNull();
    expect(helpRequested('node', ['-c', 'x', '-h'])).toBe(COMMAND_HELP.node!.help);
    expect(helpRequested('frob', ['--help'])).toBeNull();
  });
});

describe('mqstore <command> --help as a process', () => {
  const runs: [string[], string][] = [
    ...Object.keys(COMMAND_HELP).map((c): [string[], string] => [[c, '--help'], c]),
    [['node', '-h'], 'node'],
    [['admin', 'promote', '--help'], 'admin'],
    [['verify', '--master', '/nonexistent', '-h'], 'verify'],
  ];
  for (const [args, command] of runs) {
    it(`mqstore ${args.join(' ')}: exit 0, its help on stdout`, async () => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(COMMAND_HELP[command]!.help);
      expect(r.stderr).toBe('');
    });
  }
});
