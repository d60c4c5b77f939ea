// Hosts in Linux network namespaces for network-fault tests: each host is a namespace whose
// eth0 (10.78.0.<n>/24) is a veth into a bridge that lives in a "switch" namespace of its own.
// Nothing is created in the root namespace and there are no default routes, so test traffic
// cannot leave. cut(host) sets the host's switch port down: a silent blackhole (packets are
// dropped, connections stall, connects time out); heal(host) sets it up again.
// Namespace names are `<prefix><pid>-<host>`, so runs do not collide, and leftovers of a
// crashed run (its pid gone) are removed by removeStaleNamespaces(). Needs root and `ip`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isProcessAlive } from '../../src/util/process-alive.js';

export const NETNS_PREFIX = 'mqt-';
const IP = existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';
const BRIDGE = 'br0';
const IP_TIMEOUT_MS = 10_000;

export interface NetHost {
  readonly name: string;
  readonly ns: string;
  readonly address: string;
  /** The host's veth end inside the switch namespace (the port cut() sets down). */
  readonly switchPort: string;
}

function ip(args: readonly string[]): string {
  const r = spawnSync(IP, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: IP_TIMEOUT_MS });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

function namespaceNames(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Delete `<prefix><pid>-*` namespaces whose pid no longer runs (an earlier run that crashed). */
export function removeStaleNamespaces(prefix = NETNS_PREFIX): string[] {
  const removed: string[] = [];
  for (const ns of namespaceNames()) {
    if (!ns.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(ns.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue;
    if (spawnSync(IP, ['netns', 'del', ns], { stdio: 'ignore', timeout: IP_TIMEOUT_MS }).status === 0) removed.push(ns);
  }
  return removed;
}

/** Why namespaces cannot be used here (not root, no `ip`, `ip netns add` refused), or null. */
export function netnsUnavailable(prefix = NETNS_PREFIX): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return `needs root to create network namespaces (uid ${process.getuid?.()})`;
  const probe = `${prefix}${process.pid}-probe`;
  try {
    removeStaleNamespaces(prefix);
    ip(['netns', 'add', probe]);
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`;
  }
  spawnSync(IP, ['netns', 'del', probe], { stdio: 'ignore', timeout: IP_TIMEOUT_MS });
  return null;
}

export class SwitchedHosts {
  private readonly hosts = new Map<string, NetHost>();
  private readonly created: string[] = [];

  private constructor(readonly switchNs: string) {}

  /** Hosts 10.78.0.1, .2, ... in the order of `hostNames`, all on one bridge. */
  static create(hostNames: readonly string[], prefix = NETNS_PREFIX, subnet = '10.78.0'): SwitchedHosts {
    const net = new SwitchedHosts(`${prefix}${process.pid}-sw`);
    try {
      net.addSwitch();
      hostNames.forEach((name, i) => net.addHost(name, `${prefix}${process.pid}-${name}`, `${subnet}.${i + 1}`));
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  host(name: string): NetHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host '${name}' (have ${[...this.hosts.keys()].join(', ')})`);
    return h;
  }

  /** Command prefix that runs a program inside the host's namespace. */
  wrap(name: string): string[] {
    return [IP, 'netns', 'exec', this.host(name).ns];
  }

  /** Silent blackhole: the host's switch port goes down (no RST, no ICMP). */
  cut(name: string): void {
    ip(['-n', this.switchNs, 'link', 'set', this.host(name).switchPort, 'down']);
  }

  heal(name: string): void {
    ip(['-n', this.switchNs, 'link', 'set', this.host(name).switchPort, 'up']);
  }

  /** Delete every namespace this created (the veths go with them); returns the failures. */
  destroy(): string[] {
    const failures: string[] = [];
    for (const ns of this.created.splice(0).reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    return failures;
  }

  private addNamespace(ns: string): void {
    ip(['netns', 'add', ns]);
    this.created.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private addSwitch(): void {
    this.addNamespace(this.switchNs);
    ip(['-n', this.switchNs, 'link', 'add', BRIDGE, 'type', 'bridge']);
    ip(['-n', this.switchNs, 'link', 'set', BRIDGE, 'up']);
  }

  private addHost(name: string, ns: string, address: string): void {
    const switchPort = `port-${name}`;
    this.addNamespace(ns);
    // both veth ends are created straight in their namespaces: nothing appears in the root one
    ip(['link', 'add', 'name', switchPort, 'netns', this.switchNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    ip(['-n', this.switchNs, 'link', 'set', switchPort, 'master', BRIDGE]);
    ip(['-n', this.switchNs, 'link', 'set', switchPort, 'up']);
    ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    this.hosts.set(name, { name, ns, address, switchPort });
  }
}

/** Quick check for the tests' teardown: namespaces of this process that still exist. */
export function ownNamespacesLeft(prefix = NETNS_PREFIX): string[] {
  return namespaceNames().filter((ns) => ns.startsWith(`${prefix}${process.pid}-`));
}
