// `mqstore admin <brokerStatus|haStatus|promote|dledgerStatus|transferLeader> --addr host:port [--json]`: asks a running
// node's admin HTTP server (the node's adminPort) and prints the answer in RocketMQ's style, or
// as one JSON line with --json. The node's admin token (its adminTokenFile) comes from
// `--token-file <path>`, else from the environment variable MQSTORE_ADMIN_TOKEN (the token
// itself); `--addr https://host:port` talks TLS, trusting `--ca-file <pem>` (default: the
// system's CAs). An unreachable node is an AdminError (exit 1); a bad command line, an unreadable
// token file, or a refusal by the node (401 token, 403 Host/Origin, 415) exit 2.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_TIMEOUT_MS, fetchNodeStatus, parseAdminAddress, postAdmin, type AdminAddress, type AdminCallOptions } from '../admin/admin-client.js';
import { AdminError, AdminErrorCode } from '../admin/admin-error.js';
import { formatBrokerStatus } from '../admin/format-broker-status.js';
import { formatDLedgerStatus } from '../admin/format-dledger-status.js';
import { formatHaStatus } from '../admin/format-ha-status.js';
import { readSecretFile } from '../io/secret-file.js';
import { UsageError } from './usage-error.js';

/** The environment variable holding the admin token (when --token-file is not given). */
export const ADMIN_TOKEN_ENV = 'MQSTORE_ADMIN_TOKEN';

const CONNECT_OPTIONS = '--addr <[https://]host:adminPort> [--token-file <path>] [--ca-file <pem>]';

export const ADMIN_USAGE = `  admin brokerStatus ${CONNECT_OPTIONS} [--json]
                                                         the node's runtime table (RocketMQ brokerStatus)
  admin haStatus ${CONNECT_OPTIONS} [--json]
                                                         master and slave replication state (RocketMQ haStatus)
  admin promote ${CONNECT_OPTIONS} [--role SYNC_MASTER|ASYNC_MASTER] [--json]
                                                         promote a slave node to master
  admin dledgerStatus ${CONNECT_OPTIONS} [--json]
                                                         a DLedger member's Raft state and its peers' lag
  admin transferLeader ${CONNECT_OPTIONS} --to <memberId> [--json]
                                                         DLedger: hand leadership to a caught-up member (ask the leader)
                                  the admin token: --token-file, else $${ADMIN_TOKEN_ENV}`;

export const ADMIN_HELP = `usage: mqstore admin <brokerStatus|haStatus|promote|dledgerStatus|transferLeader> --addr <host:adminPort> [options]

Asks a running node's admin HTTP server (its adminPort, default listenPort + 2).
  brokerStatus               the node's runtime table (RocketMQ brokerStatus), or /status with --json
  haStatus                   master and slave replication state (RocketMQ haStatus)
  promote                    make a SLAVE node a master; the promotion is recorded in the store
                             directory and kept across restarts (README, "Failover")
  dledgerStatus              DLedger: role, term, leader, confirm offset, each peer's match offset and lag
  transferLeader             DLedger: make member --to the leader (send it to the current leader;
                             refused when --to lags more than leadershipTransferMaxLagBytes)

options:
  -a, --addr <host:port>     the node's admin address (required); https://host:port for a TLS admin port
  --token-file <path>        the admin bearer token (adminTokenFile on the node); else $${ADMIN_TOKEN_ENV}
  --ca-file <pem>            https: the CA that signed the node's admin certificate
  --json                     one JSON line instead of text
  --timeout-ms <n>           how long to wait for the answer (default ${DEFAULT_ADMIN_TIMEOUT_MS} ms)
  --role <role>              promote only: ASYNC_MASTER (default) or SYNC_MASTER
  --to <memberId>            transferLeader only: the member id (dLegerPeers) that should lead
  -h, --help                 this text

exit codes: 0 answered; 1 the node is unreachable or refused (e.g. promote on a master, or a
transferLeader the member refused: HTTP 409);
2 bad command line, or the node refused the request (401 token, 403 Host/Origin, 415 not JSON)`;

interface AdminArgs {
  addr: AdminAddress;
  json: boolean;
  call: AdminCallOptions & { timeoutMs: number };
  role: 'ASYNC_MASTER' | 'SYNC_MASTER' | undefined;
  to: string | undefined;
}

function parseAdminArgs(sub: string, args: string[]): AdminArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      addr: { type: 'string', short: 'a' },
      json: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
      role: { type: 'string' },
      to: { type: 'string' },
      'token-file': { type: 'string' },
      'ca-file': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`admin ${sub}: unexpected argument '${positionals[0]}'`);
  if (values.addr === undefined) throw new UsageError(`admin ${sub}: --addr <host:port> is required (the node's adminPort)`);
  const addr = parseAdminAddress(values.addr);
  if (!addr) throw new UsageError(`admin ${sub}: --addr must be host:port with a port in 1..65535, got '${values.addr}'`);
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_ADMIN_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`admin ${sub}: --timeout-ms must be a positive integer`);
  const role = values.role;
  if (role !== undefined && role !== 'ASYNC_MASTER' && role !== 'SYNC_MASTER') throw new UsageError(`admin ${sub}: --role must be ASYNC_MASTER or SYNC_MASTER`);
  if (role !== undefined && sub !== 'promote') throw new UsageError(`admin ${sub}: --role is only for promote`);
  const to = values.to;
  if (to !== undefined && sub !== 'transferLeader') throw new UsageError(`admin ${sub}: --to is only for transferLeader`);
  if (sub === 'transferLeader' && (to === undefined || to === '')) throw new UsageError('admin transferLeader: --to <memberId> is required');
  const token = adminToken(sub, values['token-file']);
  const caFile = values['ca-file'];
  if (caFile !== undefined && addr.scheme !== 'https') throw new UsageError(`admin ${sub}: --ca-file is for an https:// --addr`);
  const call = { timeoutMs, ...(token !== undefined ? { token } : {}), ...(caFile !== undefined ? { ca: readCaFile(sub, caFile) } : {}) };
  return { addr, json: values.json, call, role, to };
}

/** --token-file's token, else $MQSTORE_ADMIN_TOKEN, else none. */
function adminToken(sub: string, tokenFile: string | undefined): string | undefined {
  if (tokenFile !== undefined) {
    const read = readSecretFile(tokenFile);
    if (!read.ok) throw new UsageError(`admin ${sub}: --token-file: ${read.problem}`);
    return read.secret;
  }
  const env = process.env[ADMIN_TOKEN_ENV]?.trim();
  if (env === undefined || env === '') return undefined;
  if (!/^[\x21-\x7e]+$/.test(env)) throw new UsageError(`admin ${sub}: $${ADMIN_TOKEN_ENV} must be one token of printable ASCII without spaces`);
  return env;
}

function readCaFile(sub: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`admin ${sub}: --ca-file '${path}' cannot be read (${String((err as { code?: unknown }).code)})`);
  }
}

/** A refusal by the node, with what to do about it. */
async function explained<T>(args: AdminArgs, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof AdminError) || err.code !== AdminErrorCode.REFUSED) throw err;
    const hint = / 401: /.test(err.message)
      ? args.call.token === undefined
        ? `; this node needs its admin token: --token-file <path> or $${ADMIN_TOKEN_ENV}`
        : "; the token given is not this node's (compare with the node's adminTokenFile)"
      : / 403: /.test(err.message)
        ? "; address the node by its bind address, a localhost name on a loopback node, or a name in the node's adminAllowedHosts"
        : '';
    throw new AdminError(AdminErrorCode.REFUSED, `${err.message}${hint}`, { cause: err });
  }
}

export async function runAdmin(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'brokerStatus': {
      const a = parseAdminArgs(sub, rest);
      const status = await explained(a, () => fetchNodeStatus(a.addr, a.call));
      console.log(a.json ? JSON.stringify(status) : formatBrokerStatus(status));
      return 0;
    }
    case 'haStatus': {
      const a = parseAdminArgs(sub, rest);
      const status = await explained(a, () => fetchNodeStatus(a.addr, a.call));
      const view = { brokerAddr: status.brokerAddr, brokerRole: status.brokerRole, haService: status.haService, haNote: status.haNote, ha: status.ha };
      console.log(a.json ? JSON.stringify(view) : formatHaStatus(status));
      return 0;
    }
    case 'promote': {
      const a = parseAdminArgs(sub, rest);
      const answer = (await explained(a, () => postAdmin(a.addr, '/admin/promote', a.role === undefined ? {} : { role: a.role }, a.call))) as {
        previousRole?: string;
        brokerRole?: string;
        result?: { promotionRecord?: string } | null;
      };
      console.log(a.json ? JSON.stringify(answer) : `promoted: ${answer.previousRole ?? '?'} -> ${answer.brokerRole ?? '?'}`);
      const record = answer.result?.promotionRecord;
      if (!a.json && record !== undefined) console.error(`note: recorded in ${record}: a restart keeps this role; update this node's config and re-point the others (README, "Failover")`);
      return 0;
    }
    case 'dledgerStatus': {
      const a = parseAdminArgs(sub, rest);
      const status = await explained(a, () => fetchNodeStatus(a.addr, a.call));
      console.log(a.json ? JSON.stringify({ brokerAddr: status.brokerAddr, dledger: status.dledger ?? null }) : formatDLedgerStatus(status));
      return 0;
    }
    case 'transferLeader': {
      const a = parseAdminArgs(sub, rest);
      const answer = (await explained(a, () => postAdmin(a.addr, '/admin/transferLeader', { to: a.to }, a.call))) as { to?: string; reason?: string };
      console.log(a.json ? JSON.stringify(answer) : `transferred: ${answer.to ?? a.to} leads now (${answer.reason ?? 'ok'})`);
      return 0;
    }
    case undefined:
      throw new UsageError('admin: which one? brokerStatus, haStatus, promote, dledgerStatus or transferLeader');
    default:
      throw new UsageError(`admin: unknown subcommand '${sub}' (brokerStatus, haStatus, promote, dledgerStatus, transferLeader)`);
  }
}
