// `mqstore disk-profile <dir> [--json] [--quick]`: measures the device holding <dir> (sequential
// write bandwidth, fdatasync latency, O_DIRECT, preallocated vs sparse files, the store's own put
// rate) and prints recommended store settings, each with the reason from the measured figures,
// plus estimated msg/s per flush/replication mode. Every file it makes is removed again.
// --json prints one object (disk-profile/report-types.ts); --quick measures tiny amounts.
// Exit codes: 0 done; 1 bad directory or an IO failure (StoreError); 2 usage error.
import { parseArgs } from 'node:util';
import { selectFileIO } from '../io/select-io.js';
import { consoleLogger } from '../util/logger.js';
import { formatDiskProfile } from './disk-profile/format-text.js';
import { FULL_PLAN, QUICK_PLAN } from './disk-profile/plan.js';
import { runProfile } from './disk-profile/run-profile.js';
import { UsageError } from './usage-error.js';

export const DISK_PROFILE_USAGE = `  disk-profile <dir> [--json] [--quick]
                                  measure the device holding <dir>; print recommended settings (broker.conf lines) with reasons`;

export const DISK_PROFILE_HELP = `usage: mqstore disk-profile <dir> [--json] [--quick]

Measures the device holding <dir>: sequential write bandwidth, fdatasync latency, O_DIRECT,
preallocated vs sparse files and the store's own put rate; prints recommended store settings
(broker.conf lines), each with the reason from the measured figures, and estimated msg/s per
flush and replication mode. Every file it makes is removed again.

options:
  --json                     one JSON object instead of text
  --quick                    measure tiny amounts (seconds, rough figures)
  -h, --help                 this text

exit codes: 0 measured; 1 bad directory or an IO failure; 2 bad command line`;

export async function runDiskProfile(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError('disk-profile: <dir> is required');
  if (positionals.length > 1) throw new UsageError(`disk-profile: unexpected argument '${positionals[1]}'`);
  const dir = positionals[0]!;
  const showProgress = !values.json && process.stderr.isTTY === true;
  const report = await runProfile(dir, {
    io: selectFileIO('auto', consoleLogger('disk-profile', 'warn')),
    plan: values.quick ? QUICK_PLAN : FULL_PLAN,
    quick: values.quick,
    progress: (line) => {
      if (showProgress) process.stderr.write(`measuring ${line} ...\n`);
    },
  });
  console.log(values.json ? JSON.stringify(report) : formatDiskProfile(report));
  return 0;
}
