// The admin/metrics HTTP server of one node (opt-in: openNode's `admin` option, always on for
// `mqstore node`): the Prometheus registry of the node (metrics/node-metrics.ts) and the admin
// routes (/status, /metrics, /admin/promote, optionally /admin/put) over the node's store and
// HA provider. /status serves the same document as StoreNode.status().
import { startAdminServer, type AdminServer } from '../admin/admin-server.js';
import type { HaStatusProvider } from '../admin/ha-status-provider.js';
import { nodeRoutes } from '../admin/node-routes.js';
import { readHaStatus, type NodeIdentity } from '../admin/node-status.js';
import type { BrokerStats } from '../broker/broker.js';
import { createNodeMetrics } from '../metrics/node-metrics.js';
import type { MessageStore } from '../store/message-store.js';
import type { Logger } from '../util/logger.js';

export interface NodeAdminOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default: the config's adminPort, which is listenPort + 2; 0 = any free port). */
  port?: number;
  /** Serve POST /admin/put (a load and test hook; off by default). */
  enablePut?: boolean;
}

export interface NodeAdminInput {
  store: MessageStore;
  ha: HaStatusProvider;
  /** The node's identity (read per request: its adminPort is the port this server got). */
  identity: () => NodeIdentity;
  nowMs: () => number;
  logger: Logger;
  /** The gRPC broker's stats for /status, when the node serves one. */
  grpc?: () => BrokerStats | null;
}

export async function startNodeAdmin(input: NodeAdminInput, options: NodeAdminOptions): Promise<AdminServer> {
  const { store, ha } = input;
  const config = store.config;
  const metrics = createNodeMetrics(
    { store: () => store.runtimeInfo(), ha: () => readHaStatus(ha).status },
    { cluster: config.brokerClusterName, broker: config.brokerName, brokerId: config.brokerId },
  );
  const routes = nodeRoutes({
    sources: { identity: input.identity, runtimeInfo: () => store.runtimeInfo(), ha, nowMs: input.nowMs, ...(input.grpc ? { grpc: input.grpc } : {}) },
    metrics,
    ha,
    brokerRole: () => store.brokerRole,
    putMessage: options.enablePut === true ? (put) => store.putMessage(put) : undefined,
    maxMessageBytes: config.maxMessageSize,
  });
  return startAdminServer({ host: options.host ?? '127.0.0.1', port: options.port ?? config.adminPort, routes, logger: input.logger });
}
