// `mqstore verify --master <dir> --slave <dir> [--json]`, or against a running pair with
// `--master-addr host:port --slave-addr host:port` (admin ports; the directories then default to
// the ones the nodes report, and the log ends are the nodes' maxPhyOffset at the time of asking).
//
// Each log's end is found by a record scan (verify/commit-log-dir.ts: empty preallocated segment
// files and the zero tail are not log); the two are related by verify/log-relation.ts (CRC-32
// chunks in a worker pool over the range both hold) and the answer is one of
//   identical    "identical up to offset N ...; both logs end there"
//   prefix       "slave is a prefix of master up to X (master is N bytes ahead, ends at E)", or the
//                reverse ("master is a prefix of slave ..."), with a note that the slave is ahead
//   DIFFERENT    the first differing offset, with the segment file and position on each side.
//
// A replica group (a DLedger group): `--group-addr a,b,c` or `--group <dir>,<dir>,...`, with
// `--up-to N`, compares every member to the leader up to the least confirm offset
// (verify/verify-group.ts).
//
// Exit codes: 0 identical or prefix (with --same-length: identical only; a group: no member
// differs); 1 different; 2 usage error. An unreadable directory or unreachable node is exit 1
// (AdminError).
import { parseArgs } from 'node:util';
import { fetchNodeStatus, parseAdminAddress, type AdminAddress } from '../admin/admin-client.js';
import type { NodeStatus } from '../admin/node-status.js';
import { readLogExtent, type LogExtent } from './verify/commit-log-dir.js';
import { DEFAULT_CHUNK_BYTES, defaultThreads, type Difference } from './verify/compare-logs.js';
import { relateLogs } from './verify/log-relation.js';
import { formatGroupReport, verifyGroup } from './verify/verify-group.js';
import { progressReporter, PROGRESS_MIN_BYTES } from './verify/progress.js';
import { UsageError } from './usage-error.js';

export const VERIFY_USAGE = `  verify --master <dir> --slave <dir> [--json] [--same-length] [--chunk-bytes N] [--threads N] [--progress|--quiet]
  verify --master-addr <host:adminPort> --slave-addr <host:adminPort> [--master <dir>] [--slave <dir>] [...]
                                  compare two CommitLogs chunk by chunk (CRC-32); exit 0 identical or one a prefix of the other, 1 different
  verify --group-addr <host:adminPort>,... | --group <dir>,... [--up-to N] [--json] [...]
                                  compare a replica group's CommitLogs up to the least confirm offset (or N); exit 0 identical, 1 different`;

export const VERIFY_HELP = `usage: mqstore verify --master <dir> --slave <dir> [options]
       mqstore verify --master-addr <host:adminPort> --slave-addr <host:adminPort> [options]
       mqstore verify --group-addr <host:adminPort>,<host:adminPort>,... [--up-to N] [options]
       mqstore verify --group <dir>,<dir>,... [--up-to N] [options]

Compares two CommitLogs byte for byte (CRC-32 of chunks in a worker pool). Each log's end is
found by scanning its records (empty preallocated segment files and the zero tail are not log).
Answers one of
  identical up to offset N ...; both logs end there
  slave is a prefix of master up to X (master is N bytes ahead, ends at E)   (or the reverse)
  DIFFERENT at offset N: the first differing byte, with the segment file and position on each side

A group (a DLedger group of 3 or 5) is compared member by member against its leader (the
member whose /status says role LEADER, else the first), up to --up-to N, or with --group-addr
the least confirm offset the members report (bytes past it may differ: an unacknowledged tail),
or with --group each log's end. The answer: identical up to offset N on all members, or the
first difference of each member that differs.

options:
  --master <dir>             the master's store directory (or its commitlog/ directory)
  --slave <dir>              the slave's store directory (or its commitlog/ directory)
  --master-addr <host:port>  a running master's admin address: its directory and maxPhyOffset
  --slave-addr <host:port>   a running slave's admin address (give both addresses or neither)
  --group-addr <a,b,...>     running group members' admin addresses (2 to 9; directories from /status)
  --group <dir,dir,...>      group members' store directories (2 to 9)
  --up-to <offset>           with a group: compare [start, offset) only
  --json                     one JSON report instead of text
  --same-length              also require both logs to end at the same offset (else exit 1)
  --chunk-bytes <n>          bytes per compared chunk (512 B to 256 MiB; default 4 MiB)
  --threads <n>              worker threads (1-64; default up to 4)
  --progress                 progress lines on stderr (default: only for logs of 256 MiB or more)
  --quiet                    no progress lines
  -h, --help                 this text

exit codes: 0 identical, or one log a prefix of the other (with --same-length: identical only);
1 different, or a directory that is not a CommitLog, or a node that cannot be reached; 2 bad
command line`;

const MIN_CHUNK_BYTES = 512;
const MAX_CHUNK_BYTES = 256 << 20;
const MAX_THREADS = 64;

interface VerifyArgs {
  group: { dirs?: string[]; addrs?: AdminAddress[]; upTo?: number } | null;
  masterDir: string | undefined;
  slaveDir: string | undefined;
  masterAddr: AdminAddress | undefined;
  slaveAddr: AdminAddress | undefined;
  json: boolean;
  sameLength: boolean;
  chunkBytes: number;
  threads: number;
  progress: 'auto' | 'on' | 'off';
}

interface SideSummary {
  dir: string;
  segments: number;
  minOffset: number;
  endOffset: number;
  /** 'torn': the scan found a record there, but its bytes turn to zeros at endOffset (cut short). */
  endKind: LogExtent['endKind'] | 'torn';
  endReason: string | null;
  /** Segment files after the end that hold no record (preallocated). */
  emptyTailSegments: number;
  node: { addr: string; brokerRole: string; brokerName: string; brokerId: number; maxPhyOffset: number } | null;
}

export interface VerifyReport {
  /** prefix: one log is a strict prefix of the other (`longer` says which is ahead). */
  result: 'identical' | 'prefix' | 'different';
  /** Every byte of [from, identicalUpTo) is the same in both logs. */
  identicalUpTo: number;
  from: number;
  longer: 'master' | 'slave' | null;
  lengthDifferenceBytes: number;
  sameLengthRequired: boolean;
  firstDifference: Difference | null;
  master: SideSummary;
  slave: SideSummary;
  comparedBytes: number;
  chunks: number;
  chunkBytes: number;
  threads: number;
  elapsedMs: number;
}

function intOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`verify: --${name} must be an integer in [${min}, ${max}], got '${text}'`);
  return n;
}

function addrOption(name: string, text: string | undefined): AdminAddress | undefined {
  if (text === undefined) return undefined;
  const a = parseAdminAddress(text);
  if (!a) throw new UsageError(`verify: --${name} must be host:port, got '${text}'`);
  return a;
}

function parseVerifyArgs(args: string[]): VerifyArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      master: { type: 'string' },
      slave: { type: 'string' },
      'master-addr': { type: 'string' },
      'slave-addr': { type: 'string' },
      'group-addr': { type: 'string' },
      group: { type: 'string' },
      'up-to': { type: 'string' },
      json: { type: 'boolean', default: false },
      'same-length': { type: 'boolean', default: false },
      'chunk-bytes': { type: 'string' },
      threads: { type: 'string' },
      progress: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`verify: unexpected argument '${positionals[0]}'`);
  if (values.progress && values.quiet) throw new UsageError('verify: --progress and --quiet contradict each other');
  const common = {
    json: values.json,
    sameLength: values['same-length'],
    chunkBytes: intOption('chunk-bytes', values['chunk-bytes'], DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES),
    threads: intOption('threads', values.threads, defaultThreads(), 1, MAX_THREADS),
    progress: values.progress ? ('on' as const) : values.quiet ? ('off' as const) : ('auto' as const),
  };
  const group = groupArgs(values);
  if (group) return { group, masterDir: undefined, slaveDir: undefined, masterAddr: undefined, slaveAddr: undefined, ...common };
  if (values['up-to'] !== undefined) throw new UsageError('verify: --up-to needs --group or --group-addr');
  const masterAddr = addrOption('master-addr', values['master-addr']);
  const slaveAddr = addrOption('slave-addr', values['slave-addr']);
  if ((masterAddr === undefined) !== (slaveAddr === undefined)) throw new UsageError('verify: give both --master-addr and --slave-addr, or neither');
  if (!masterAddr && (values.master === undefined || values.slave === undefined)) throw new UsageError('verify: --master <dir> and --slave <dir> are required (or --master-addr and --slave-addr)');
  return { group: null, masterDir: values.master, slaveDir: values.slave, masterAddr, slaveAddr, ...common };
}

const MIN_GROUP = 2;
const MAX_GROUP = 9;

/** --group / --group-addr / --up-to, or null when neither group option is given. */
function groupArgs(values: Record<string, string | boolean | undefined>): VerifyArgs['group'] {
  const dirsText = values.group as string | undefined;
  const addrsText = values['group-addr'] as string | undefined;
  if (dirsText === undefined && addrsText === undefined) return null;
  if (dirsText !== undefined && addrsText !== undefined) throw new UsageError('verify: give --group or --group-addr, not both');
  for (const name of ['master', 'slave', 'master-addr', 'slave-addr', 'same-length']) {
    if (values[name] !== undefined && values[name] !== false) throw new UsageError(`verify: --${name} does not go with --group / --group-addr`);
  }
  const list = (dirsText ?? addrsText!).split(',').map((s) => s.trim());
  const which = dirsText !== undefined ? 'group' : 'group-addr';
  if (list.length < MIN_GROUP || list.length > MAX_GROUP || list.some((s) => s === '')) {
    throw new UsageError(`verify: --${which} must list ${MIN_GROUP} to ${MAX_GROUP} members separated by ',', got '${dirsText ?? addrsText}'`);
  }
  const upToText = values['up-to'] as string | undefined;
  const upTo = upToText === undefined ? undefined : intOption('up-to', upToText, 0, 0, Number.MAX_SAFE_INTEGER);
  const bound = upTo === undefined ? {} : { upTo };
  if (dirsText !== undefined) return { dirs: list, ...bound };
  return { addrs: list.map((a) => addrOption('group-addr', a)!), ...bound };
}

async function sideOf(dir: string | undefined, addr: AdminAddress | undefined): Promise<{ extent: LogExtent; status: NodeStatus | null; addr: string | null }> {
  if (!addr) return { extent: readLogExtent(dir!), status: null, addr: null };
  const status = await fetchNodeStatus(addr);
  const where = `${addr.host}:${addr.port}`;
  return { extent: readLogExtent(dir ?? status.storePathCommitLog, status.maxPhyOffset), status, addr: where };
}

function summary(side: { extent: LogExtent; status: NodeStatus | null; addr: string | null }, endOffset: number, trimmed: boolean): SideSummary {
  const e = side.extent;
  const s = side.status;
  return {
    dir: e.dir,
    segments: e.segments.length,
    minOffset: e.minOffset,
    endOffset,
    endKind: trimmed ? 'torn' : e.endKind,
    endReason: trimmed ? `only zero bytes from offset ${endOffset} on (the record there was cut short)` : e.endReason,
    emptyTailSegments: e.emptyTailSegments,
    node: s ? { addr: side.addr!, brokerRole: s.brokerRole, brokerName: s.brokerName, brokerId: s.brokerId, maxPhyOffset: s.maxPhyOffset } : null,
  };
}

export async function runVerify(args: string[]): Promise<number> {
  const a = parseVerifyArgs(args);
  if (a.group) {
    const report = await verifyGroup({ ...a.group, compare: { chunkBytes: a.chunkBytes, threads: a.threads } });
    console.log(a.json ? JSON.stringify(report) : formatGroupReport(report));
    return report.result === 'identical' ? 0 : 1;
  }
  const started = performance.now();
  const [masterSide, slaveSide] = await Promise.all([sideOf(a.masterDir, a.masterAddr), sideOf(a.slaveDir, a.slaveAddr)]);
  const master = masterSide.extent;
  const slave = slaveSide.extent;
  const planned = Math.max(0, Math.max(master.endOffset, slave.endOffset) - Math.max(master.minOffset, slave.minOffset));
  const progress = progressReporter(a.progress === 'on' || (a.progress === 'auto' && planned >= PROGRESS_MIN_BYTES), (l) => process.stderr.write(`${l}\n`));
  const [v] = await relateLogs([master, slave], {
    chunkBytes: a.chunkBytes,
    threads: a.threads,
    onProgress: (done, t) => progress.update(done, t),
  });
  const verdict = v!;
  if (verdict.difference) progress.finish(verdict.comparedBytes, planned, `stopped at the first difference (offset ${verdict.difference.offset})`);
  else progress.finish(verdict.comparedBytes, verdict.comparedBytes, 'done');
  const longer = verdict.referenceEnd > verdict.memberEnd ? 'master' : verdict.memberEnd > verdict.referenceEnd ? 'slave' : null;
  const report: VerifyReport = {
    result: verdict.relation === 'different' ? 'different' : verdict.relation === 'identical' ? 'identical' : 'prefix',
    identicalUpTo: verdict.identicalUpTo,
    from: verdict.from,
    longer,
    lengthDifferenceBytes: Math.abs(verdict.referenceEnd - verdict.memberEnd),
    sameLengthRequired: a.sameLength,
    firstDifference: verdict.difference,
    master: summary(masterSide, verdict.referenceEnd, verdict.trimmed?.side === 'reference'),
    slave: summary(slaveSide, verdict.memberEnd, verdict.trimmed?.side === 'member'),
    comparedBytes: verdict.comparedBytes,
    chunks: verdict.chunks,
    chunkBytes: a.chunkBytes,
    threads: a.threads,
    elapsedMs: Math.round(performance.now() - started),
  };
  console.log(a.json ? JSON.stringify(report) : formatVerifyReport(report));
  if (report.result === 'different') return 1;
  return a.sameLength && longer !== null ? 1 : 0;
}

export function formatVerifyReport(r: VerifyReport): string {
  const lines: string[] = [];
  for (const [name, s] of [['master', r.master], ['slave ', r.slave]] as const) {
    if (s.node) lines.push(`${name}: node ${s.node.addr} (${s.node.brokerName}/${s.node.brokerId}, ${s.node.brokerRole}) maxPhyOffset ${s.node.maxPhyOffset}`);
    const why = s.endKind === 'corrupt' || s.endKind === 'torn' ? `ends at a ${s.endKind === 'torn' ? 'record cut short' : 'corrupt record'}: ${s.endReason}` : `ends: ${s.endKind}`;
    const empty = s.emptyTailSegments > 0 ? `; then ${s.emptyTailSegments} empty (preallocated) segment file(s), not log` : '';
    lines.push(`${name}: ${s.dir}: ${s.segments} segment file(s), log [${s.minOffset}, ${s.endOffset}) (${why}${empty})`);
  }
  if (r.master.minOffset !== r.slave.minOffset) lines.push(`note: the logs start at different offsets (master ${r.master.minOffset}, slave ${r.slave.minOffset}); compared from ${r.from}`);
  const d = r.firstDifference;
  if (d) {
    const side = (x: Difference['master']): string => (x ? `${x.file} position ${x.position}` : 'no segment file');
    lines.push(`DIFFERENT at offset ${d.offset}: master ${side(d.master)}, slave ${side(d.slave)}: ${d.detail}`);
    if (d.chunk.masterCrc !== null) {
      const hex = (n: number | null): string => `0x${(n ?? 0).toString(16).padStart(8, '0')}`;
      lines.push(`  chunk [${d.chunk.offset}, ${d.chunk.offset + d.chunk.length}): crc32 master ${hex(d.chunk.masterCrc)}, slave ${hex(d.chunk.slaveCrc)}`);
    }
  }
  const tail = r.result === 'identical' ? '; both logs end there' : '';
  lines.push(`identical up to offset ${r.identicalUpTo} (compared ${r.comparedBytes} bytes from offset ${r.from} in ${r.chunks} chunk(s), ${r.threads} thread(s), ${r.elapsedMs} ms)${tail}`);
  if (r.result === 'prefix') {
    const [behind, ahead] = r.longer === 'master' ? ['slave', 'master'] : ['master', 'slave'];
    const aheadEnd = Math.max(r.master.endOffset, r.slave.endOffset);
    lines.push(`${behind} is a prefix of ${ahead} up to ${r.identicalUpTo} (${ahead} is ${r.lengthDifferenceBytes} bytes ahead, ends at ${aheadEnd})`);
    if (r.longer === 'slave') lines.push('note: the slave holds bytes the master does not: after a failover, check which node is the master before re-pointing');
  }
  if (!d && r.sameLengthRequired && r.longer !== null) lines.push('FAIL: --same-length and the logs end at different offsets');
  return lines.join('\n');
}
