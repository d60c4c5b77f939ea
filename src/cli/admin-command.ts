// `mqstore admin <brokerStatus|haStatus|promote> --addr host:port [--json]`: asks a running
// node's admin HTTP server (the node's adminPort) and prints the answer in RocketMQ's style, or
// as one JSON line with --json. An unreachable node is an AdminError (exit 1); a bad command
// line is a UsageError (exit 2).
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_TIMEOUT_MS, fetchNodeStatus, parseAdminAddress, postAdmin, type AdminAddress } from '../admin/admin-client.js';
import { formatBrokerStatus } from '../admin/format-broker-status.js';
import { formatHaStatus } from '../admin/format-ha-status.js';
import { UsageError } from './usage-error.js';

export const ADMIN_USAGE = `  admin brokerStatus --addr <host:adminPort> [--json]    the node's runtime table (RocketMQ brokerStatus)
  admin haStatus --addr <host:adminPort> [--json]        master and slave replication state (RocketMQ haStatus)
  admin promote --addr <host:adminPort> [--role SYNC_MASTER|ASYNC_MASTER] [--json]
                                                         promote a slave node to master`;

export const ADMIN_HELP = `usage: mqstore admin <brokerStatus|haStatus|promote> --addr <host:adminPort> [options]

Asks a running node's admin HTTP server (its adminPort, default listenPort + 2).
  brokerStatus               the node's runtime table (RocketMQ brokerStatus), or /status with --json
  haStatus                   master and slave replication state (RocketMQ haStatus)
  promote                    make a SLAVE node a master; the promotion is recorded in the store
                             directory and kept across restarts (README, "Failover")

options:
  -a, --addr <host:port>     the node's admin address (required)
  --json                     one JSON line instead of text
  --timeout-ms <n>           how long to wait for the answer (default ${DEFAULT_ADMIN_TIMEOUT_MS} ms)
  --role <role>              promote only: ASYNC_MASTER (default) or SYNC_MASTER
  -h, --help                 this text

exit codes: 0 answered; 1 the node is unreachable or refused (e.g. promote on a master: HTTP 409);
2 bad command line`;

interface AdminArgs {
  addr: AdminAddress;
  json: boolean;
  timeoutMs: number;
  role: 'ASYNC_MASTER' | 'SYNC_MASTER' | undefined;
}

function parseAdminArgs(sub: string, args: string[]): AdminArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      addr: { type: 'string', short: 'a' },
      json: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
      role: { type: 'string' },
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
  return { addr, json: values.json, timeoutMs, role };
}

export async function runAdmin(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'brokerStatus': {
      const a = parseAdminArgs(sub, rest);
      const status = await fetchNodeStatus(a.addr, a.timeoutMs);
      console.log(a.json ? JSON.stringify(status) : formatBrokerStatus(status));
      return 0;
    }
    case 'haStatus': {
      const a = parseAdminArgs(sub, rest);
      const status = await fetchNodeStatus(a.addr, a.timeoutMs);
      const view = { brokerAddr: status.brokerAddr, brokerRole: status.brokerRole, haService: status.haService, haNote: status.haNote, ha: status.ha };
      console.log(a.json ? JSON.stringify(view) : formatHaStatus(status));
      return 0;
    }
    case 'promote': {
      const a = parseAdminArgs(sub, rest);
      const answer = (await postAdmin(a.addr, '/admin/promote', a.role === undefined ? {} : { role: a.role }, a.timeoutMs)) as {
        previousRole?: string;
        brokerRole?: string;
        result?: { promotionRecord?: string } | null;
      };
      console.log(a.json ? JSON.stringify(answer) : `promoted: ${answer.previousRole ?? '?'} -> ${answer.brokerRole ?? '?'}`);
      const record = answer.result?.promotionRecord;
      if (!a.json && record !== undefined) console.error(`note: recorded in ${record}: a restart keeps this role; update this node's config and re-point the others (README, "Failover")`);
      return 0;
    }
    case undefined:
      throw new UsageError('admin: which one? brokerStatus, haStatus or promote');
    default:
      throw new UsageError(`admin: unknown subcommand '${sub}' (brokerStatus, haStatus, promote)`);
  }
}
