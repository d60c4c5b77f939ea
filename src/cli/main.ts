// The `mqstore` command line: dispatches to one module per command. Usage errors, bad
// configuration (ERR_STORE_CONFIG: the message names the key) and an admin request the node
// refused (ERR_ADMIN_REFUSED: token, Host/Origin) print and exit 2; other failures
// (StoreError, AdminError) print `code: message` and exit 1; a command's own result code
// (verify: 1 = different) is the exit code otherwise.
import { AdminError, AdminErrorCode } from '../admin/admin-error.js';
import { ErrorCode, StoreError } from '../errors.js';
import { ADMIN_USAGE, runAdmin } from './admin-command.js';
import { helpRequested } from './command-help.js';
import { CONFIG_USAGE, runConfig } from './config-command.js';
import { DISK_PROFILE_USAGE, runDiskProfile } from './disk-profile.js';
import { runDoctor } from './doctor.js';
import { NODE_USAGE, runNode } from './node.js';
import { UsageError } from './usage-error.js';
import { runVerify, VERIFY_USAGE } from './verify-command.js';

const USAGE = `usage: mqstore <command> [options]

commands:
  doctor [--dir <dir>] [--json]   what this machine gives mqstore (IO backend, addon, O_DIRECT, CRC, file system)
${NODE_USAGE}
${ADMIN_USAGE}
${VERIFY_USAGE}
${DISK_PROFILE_USAGE}
${CONFIG_USAGE}
  help                            this text; 'mqstore <command> --help' for a command's options`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const help = helpRequested(command, rest);
  if (help !== null) {
    console.log(help);
    return 0;
  }
  switch (command) {
    case 'doctor':
      return runDoctor(rest);
    case 'node':
      return runNode(rest);
    case 'admin':
      return runAdmin(rest);
    case 'verify':
      return runVerify(rest);
    case 'disk-profile':
      return runDiskProfile(rest);
    case 'config':
      return runConfig(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`mqstore: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (err instanceof StoreError) {
    console.error(`mqstore: ${err.code}: ${err.message}`);
    return err.code === ErrorCode.CONFIG ? 2 : 1;
  }
  if (err instanceof AdminError) {
    console.error(`mqstore: ${err.code}: ${err.message}`);
    return err.code === AdminErrorCode.REFUSED ? 2 : 1;
  }
  throw err;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.exitCode = exitCodeFor(err);
}
