// `mqstore admin <brokerStatus|haStatus|promote|topicList|updateTopic|consumerProgress|clusterList|
// dledgerStatus|transferLeader>
// --addr host:port [--json]`: asks a running node's admin HTTP server (the node's adminPort) and
// prints the answer in RocketMQ's (mqadmin's) style, or as one JSON line with --json.
// updateTopic takes mqadmin's letters: -t topic, -r read queues, -w write queues, -a message type
// (mqadmin's -a attributes: `FIFO` or `+message.type=FIFO`); so for updateTopic the address is
// --addr only (-a is the message type there). The node's admin token (its adminTokenFile) comes from
// `--token-file <path>`, else from the environment variable MQSTORE_ADMIN_TOKEN (the token
// itself); `--addr https://host:port` talks TLS, trusting `--ca-file <pem>` (default: the
// system's CAs). An unreachable node is an AdminError (exit 1); a bad command line, an unreadable
// token file, or a refusal by the node (401 token, 403 Host/Origin, 415) exit 2.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_TIMEOUT_MS, fetchNodeStatus, getAdmin, parseAdminAddress, postAdmin, type AdminAddress, type AdminCallOptions } from '../admin/admin-client.js';
import type { ClusterList } from '../admin/cluster-list.js';
import type { ConsumerProgress } from '../admin/consumer-progress.js';
import { formatClusterList, formatConsumerProgress, formatTopicList, type TopicRow } from '../admin/format-broker-admin.js';
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
  admin topicList ${CONNECT_OPTIONS} [--json]
                                                         the broker's topics: queues, perm, message type
  admin updateTopic ${CONNECT_OPTIONS} -t <topic> [-r <n>] [-w <n>] [-a <type>] [--json]
                                                         create or change a topic (config/topics.json)
  admin consumerProgress ${CONNECT_OPTIONS} [-g <group>] [--json]
                                                         per group and queue: offsets, lag, in flight
  admin clusterList ${CONNECT_OPTIONS} [--json]
                                                         the node's replica group: members, roles, addresses
  admin dledgerStatus ${CONNECT_OPTIONS} [--json]
                                                         a DLedger member's Raft state and its peers' lag
  admin transferLeader ${CONNECT_OPTIONS} --to <memberId> [--json]
                                                         DLedger: hand leadership to a caught-up member (ask the leader)
                                  the admin token: --token-file, else $${ADMIN_TOKEN_ENV}`;

export const ADMIN_HELP = `usage: mqstore admin <brokerStatus|haStatus|promote|topicList|updateTopic|consumerProgress|clusterList|dledgerStatus|transferLeader> --addr <host:adminPort> [options]

Asks a running node's admin HTTP server (its adminPort, default listenPort + 2).
  brokerStatus               the node's runtime table (RocketMQ brokerStatus), or /status with --json
  haStatus                   master and slave replication state (RocketMQ haStatus)
  promote                    make a SLAVE node a master; the promotion is recorded in the store
                             directory and kept across restarts (README, "Failover")
  topicList                  the gRPC broker's topics (#Topic #ReadQueues #WriteQueues #Perm #MessageType)
  updateTopic                create a topic or change one in config/topics.json (needs the admin token
                             when the node has one); a bad value is refused naming the option
  consumerProgress           without -g: one line per group (#Diff Total, #Inflight Total); with -g:
                             mqadmin's #Topic #Broker Name #QID #Broker Offset #Consumer Offset #Diff
                             #Inflight #LastTime per queue, then Consume Diff Total
  clusterList                the node's replica group: master/slave (as the node's HA side sees it) or
                             the DLedger peers, with roles and addresses
  dledgerStatus              DLedger: role, term, leader, confirm offset, each peer's match offset and lag
  transferLeader             DLedger: make member --to the leader (send it to the current leader;
                             refused when --to lags more than leadershipTransferMaxLagBytes)

options:
  -a, --addr <host:port>     the node's admin address (required); https://host:port for a TLS admin port;
                             updateTopic: --addr only (there -a is the message type)
  --token-file <path>        the admin bearer token (adminTokenFile on the node); else $${ADMIN_TOKEN_ENV}
  --ca-file <pem>            https: the CA that signed the node's admin certificate
  --json                     one JSON line instead of text
  --timeout-ms <n>           how long to wait for the answer (default ${DEFAULT_ADMIN_TIMEOUT_MS} ms)
  --role <role>              promote only: ASYNC_MASTER (default) or SYNC_MASTER
  -t, --topic <topic>        updateTopic: the topic (required)
  -r, --read-queues <n>      updateTopic: read queue count, 1..maxQueueId+1 (new topic: defaultTopicQueueNums)
  -w, --write-queues <n>     updateTopic: write queue count, 1..maxQueueId+1 (new topic: defaultTopicQueueNums)
  -a, --message-type <type>  updateTopic: NORMAL, FIFO, DELAY or TRANSACTION (or +message.type=<type>);
                             a new topic is NORMAL
  -g, --group <group>        consumerProgress: one consumer group's queues
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
  topic: TopicArgs;
  group: string | undefined;
  to: string | undefined;
}

interface TopicArgs {
  topic: string | undefined;
  readQueueNums: number | undefined;
  writeQueueNums: number | undefined;
  messageType: string | undefined;
}

const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
/** Which subcommands take which of the broker options. */
const TOPIC_OPTION_SUBS = ['updateTopic'];
const GROUP_OPTION_SUBS = ['consumerProgress'];

function parseOptions(sub: string, args: string[]) {
  // updateTopic uses mqadmin's -a (attributes: the message type); the others -a for --addr
  const topicLetters = sub === 'updateTopic';
  return parseArgs({
    args,
    options: {
      addr: topicLetters ? { type: 'string' } : { type: 'string', short: 'a' },
      json: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
      role: { type: 'string' },
      to: { type: 'string' },
      'token-file': { type: 'string' },
      'ca-file': { type: 'string' },
      topic: { type: 'string', short: 't' },
      'read-queues': { type: 'string', short: 'r' },
      'write-queues': { type: 'string', short: 'w' },
      'message-type': topicLetters ? { type: 'string', short: 'a' } : { type: 'string' },
      group: { type: 'string', short: 'g' },
    },
    strict: true,
    allowPositionals: true,
  });
}

function queueCount(sub: string, option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`admin ${sub}: ${option} must be a positive integer (a queue count), got '${text}'`);
  return n;
}

function topicArgs(sub: string, values: ReturnType<typeof parseOptions>['values']): TopicArgs {
  const given = ['topic', 'read-queues', 'write-queues', 'message-type'].filter((k) => values[k as keyof typeof values] !== undefined);
  if (!TOPIC_OPTION_SUBS.includes(sub)) {
    if (given.length > 0) throw new UsageError(`admin ${sub}: --${given[0]} is only for updateTopic`);
    return { topic: undefined, readQueueNums: undefined, writeQueueNums: undefined, messageType: undefined };
  }
  if (values.topic === undefined || values.topic === '') throw new UsageError(`admin ${sub}: -t <topic> is required`);
  let type = values['message-type'];
  if (type !== undefined) {
    const attr = /^\+?message\.type=(.*)$/.exec(type);
    if (attr) type = attr[1]!;
    if (!MESSAGE_TYPES.includes(type)) throw new UsageError(`admin ${sub}: -a (message type) must be one of ${MESSAGE_TYPES.join(', ')} (or +message.type=<type>), got '${values['message-type']}'`);
  }
  return {
    topic: values.topic,
    readQueueNums: queueCount(sub, '-r (read queues)', values['read-queues']),
    writeQueueNums: queueCount(sub, '-w (write queues)', values['write-queues']),
    messageType: type,
  };
}

function parseAdminArgs(sub: string, args: string[]): AdminArgs {
  const { values, positionals } = parseOptions(sub, args);
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
  const topic = topicArgs(sub, values);
  if (values.group !== undefined && !GROUP_OPTION_SUBS.includes(sub)) throw new UsageError(`admin ${sub}: --group is only for consumerProgress`);
  return { addr, json: values.json, call, role, topic, group: values.group, to };
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

/** The node's 400 for updateTopic names the field; say which option it came from (exit 2). */
function withOptionNames(err: unknown): never {
  if (err instanceof AdminError && err.code === AdminErrorCode.HTTP && / HTTP 400: /.test(err.message)) {
    const named = err.message.replace(/\b(readQueueNums|writeQueueNums|messageType)\b/, (f) => `${f} (${{ readQueueNums: '-r', writeQueueNums: '-w', messageType: '-a' }[f]})`);
    throw new UsageError(`admin updateTopic: the node refused the values: ${named}`);
  }
  throw err;
}

const SUBCOMMANDS = 'brokerStatus, haStatus, promote, topicList, updateTopic, consumerProgress, clusterList, dledgerStatus, transferLeader';

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
    case 'topicList': {
      const a = parseAdminArgs(sub, rest);
      const answer = (await explained(a, () => getAdmin(a.addr, '/broker/topics', a.call))) as { topics: TopicRow[] };
      console.log(a.json ? JSON.stringify(answer) : formatTopicList(answer.topics));
      return 0;
    }
    case 'updateTopic': {
      const a = parseAdminArgs(sub, rest);
      const t = a.topic;
      const body = {
        topic: t.topic,
        ...(t.readQueueNums !== undefined ? { readQueueNums: t.readQueueNums } : {}),
        ...(t.writeQueueNums !== undefined ? { writeQueueNums: t.writeQueueNums } : {}),
        ...(t.messageType !== undefined ? { messageType: t.messageType } : {}),
      };
      const answer = (await explained(a, () => postAdmin(a.addr, '/admin/updateTopic', body, a.call)).catch(withOptionNames)) as { created: boolean; topic: TopicRow };
      console.log(a.json ? JSON.stringify(answer) : `${answer.created ? 'create' : 'update'} topic success.\n${formatTopicList([answer.topic])}`);
      return 0;
    }
    case 'consumerProgress': {
      const a = parseAdminArgs(sub, rest);
      const path = a.group === undefined ? '/broker/consumerProgress' : `/broker/consumerProgress?group=${encodeURIComponent(a.group)}`;
      const answer = (await explained(a, () => getAdmin(a.addr, path, a.call))) as ConsumerProgress;
      console.log(a.json ? JSON.stringify(answer) : formatConsumerProgress(answer, a.group));
      return 0;
    }
    case 'clusterList': {
      const a = parseAdminArgs(sub, rest);
      const answer = (await explained(a, () => getAdmin(a.addr, '/cluster', a.call))) as ClusterList;
      console.log(a.json ? JSON.stringify(answer) : formatClusterList(answer));
      return 0;
    }
    case undefined:
      throw new UsageError(`admin: which one? ${SUBCOMMANDS}`);
    default:
      throw new UsageError(`admin: unknown subcommand '${sub}' (${SUBCOMMANDS})`);
  }
}
