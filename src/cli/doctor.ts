// `mqstore doctor`: what this machine gives mqstore: Node version, IO backend, whether the
// addon loaded (and why not), O_DIRECT in a directory, CPU CRC acceleration, file system.
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { crcImplementation } from '../io/crc.js';
import { probeDirectIo } from '../io/direct-io-probe.js';
import { filesystemInfo, type FilesystemInfo } from '../io/filesystem-info.js';
import { loadNativeAddon } from '../io/native-addon.js';
import { selectFileIO } from '../io/select-io.js';
import { consoleLogger } from '../util/logger.js';

export const DOCTOR_HELP = `usage: mqstore doctor [--dir <dir>] [--json]

What this machine gives mqstore: the Node version, the IO backend in use, whether the native addon
loaded (and why not), whether O_DIRECT works in a directory, CPU CRC acceleration, the file system.

options:
  --dir <dir>                the directory to probe (O_DIRECT, file system); default: the OS temp dir
  --json                     one JSON object instead of the table
  -h, --help                 this text

exit codes: 0 reported; 2 bad command line`;

export function runDoctor(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { dir: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const report = doctorReport(values.dir ?? defaultDoctorDir());
  console.log(values.json ? JSON.stringify(report) : formatDoctorReport(report));
  return 0;
}

export interface DoctorReport {
  node: string;
  platform: string;
  ioBackend: 'native' | 'node';
  addonLoaded: boolean;
  addonPath: string;
  addonError: string | null;
  addonVersion: string | null;
  directIo: boolean;
  directIoReason: string | null;
  dir: string;
  filesystem: FilesystemInfo;
  cpu: { sse42: boolean; pclmulqdq: boolean } | null;
  crc: { crc32: string; crc32c: string };
}

export function doctorReport(dir: string): DoctorReport {
  const load = loadNativeAddon();
  const io = selectFileIO('auto', consoleLogger('doctor', 'error'));
  const probe = probeDirectIo(io, dir);
  const cpu = load.addon?.cpuFeatures();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ioBackend: io.backend,
    addonLoaded: load.addon !== null,
    addonPath: load.path,
    addonError: load.error,
    addonVersion: load.addon?.version ?? null,
    directIo: probe.works,
    directIoReason: probe.reason,
    dir,
    filesystem: filesystemInfo(dir),
    cpu: cpu ? { sse42: cpu.sse42, pclmulqdq: cpu.pclmulqdq } : null,
    crc: crcImplementation(),
  };
}

export function formatDoctorReport(r: DoctorReport): string {
  const mb = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  const lines = [
    `node            ${r.node} (${r.platform})`,
    `io backend      ${r.ioBackend}`,
    `native addon    ${r.addonLoaded ? `loaded, v${r.addonVersion} (${r.addonPath})` : `NOT loaded: ${r.addonError}`}`,
    `O_DIRECT        ${r.directIo ? 'works' : `no (${r.directIoReason})`} in ${r.dir}`,
    `cpu crc         ${r.cpu ? `sse4.2=${r.cpu.sse42} pclmulqdq=${r.cpu.pclmulqdq}` : 'unknown (addon not loaded)'}`,
    `crc32 / crc32c  ${r.crc.crc32} / ${r.crc.crc32c}`,
    `filesystem      ${r.filesystem.type} on ${r.filesystem.device ?? '?'} at ${r.filesystem.mountPoint ?? '?'}, ` +
      `block ${r.filesystem.blockSize} B, ${mb(r.filesystem.freeBytes)} free of ${mb(r.filesystem.totalBytes)}`,
  ];
  if (!r.addonLoaded) lines.push('', 'mqstore runs on the pure-Node IO backend: no mmap, O_DIRECT or sendfile.');
  return lines.join('\n');
}

export function defaultDoctorDir(): string {
  return tmpdir();
}
