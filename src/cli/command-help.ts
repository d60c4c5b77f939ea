// `mqstore <command> --help` (or -h): the full help of each command, with every option, printed
// on stdout with exit 0 before the command parses anything. A command registers its help here
// (text, and the file whose parseArgs options the help must list: test/cli/help.test.ts checks
// that every option of that file is in the text and that every command main.ts dispatches has
// an entry). `--help` after a `--` is an argument, not a request for help.
import { ADMIN_HELP } from './admin-command.js';
import { CONFIG_HELP } from './config-command.js';
import { DISK_PROFILE_HELP } from './disk-profile.js';
import { DOCTOR_HELP } from './doctor.js';
import { NODE_HELP } from './node.js';
import { VERIFY_HELP } from './verify-command.js';

export interface CommandHelp {
  readonly help: string;
  /** The file under src/cli/ whose parseArgs options the help lists. */
  readonly source: string;
}

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  doctor: { help: DOCTOR_HELP, source: 'doctor.ts' },
  node: { help: NODE_HELP, source: 'node.ts' },
  admin: { help: ADMIN_HELP, source: 'admin-command.ts' },
  verify: { help: VERIFY_HELP, source: 'verify-command.ts' },
  'disk-profile': { help: DISK_PROFILE_HELP, source: 'disk-profile.ts' },
  config: { help: CONFIG_HELP, source: 'config-command.ts' },
};

/** The help to print when `args` (a command's arguments) ask for it, else null. */
export function helpRequested(command: string | undefined, args: readonly string[]): string | null {
  if (command === undefined || !Object.hasOwn(COMMAND_HELP, command)) return null;
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  return own.includes('--help') || own.includes('-h') ? COMMAND_HELP[command]!.help : null;
}
