// The `mqstore` command line: dispatches to one module per command. Usage errors print the
// usage and exit 2; failures print the error code and message and exit 1.
import { parseArgs } from 'node:util';
import { StoreError } from '../errors.js';
import { defaultDoctorDir, doctorReport, formatDoctorReport } from './doctor.js';

const USAGE = `usage: mqstore <command> [options]

commands:
  doctor [--dir <dir>] [--json]   what this machine gives mqstore (IO backend, addon, O_DIRECT, CRC, file system)
  help                            this text`;

class UsageError extends Error {}

function runDoctor(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: { dir: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const report = doctorReport(values.dir ?? defaultDoctorDir());
  console.log(values.json ? JSON.stringify(report) : formatDoctorReport(report));
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return runDoctor(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    case undefined:
      throw new UsageError('no command given');
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

try {
  main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`mqstore: ${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof StoreError) {
    console.error(`mqstore: ${err.code}: ${err.message}`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
