/**
 * DNS strategies: the A/AAAA records of a name (a Kubernetes headless service; libcluster's
 * `DNSPoll` and `Kubernetes.DNS`) and SRV records (libcluster's `Kubernetes.DNSSRV`).
 * Node's own resolver (`dns.promises.Resolver`, c-ares) does the queries, so the DNS
 * servers can be given per strategy (with a port: `'10.96.0.10'`, `'127.0.0.1:5353'`).
 */
import { promises as dns } from 'node:dns';
import { formatTerm } from '@grove/core';
import { isNodeName } from '@grove/distribution';
import { ClusterConfigError } from './errors';
import type { Strategy } from './strategy';

/** Options every DNS strategy takes. */
export interface DnsOptions {
  /**
   * The part before `@` of every node name built from a record (`app` gives
   * `app@10.0.0.7`): the `alive` part the nodes are started with.
   */
  basename: string;
  /** DNS servers (`host` or `host:port`). Default: the system's (`/etc/resolv.conf`). */
  servers?: readonly string[];
  /** Per query attempt. Default 2000 ms. */
  timeoutMs?: number;
  /** Attempts per query. Default 2. */
  tries?: number;
}

/**
 * The nodes behind the A (and, with `ipv6`, AAAA) records of `query`: `basename@ip` for
 * each address. A name that does not exist (NXDOMAIN) or has no records lists no
 * nodes; a server that cannot be reached is an error (the cluster keeps the last list).
 *
 * @example
 * // A Kubernetes headless service: one A record per ready pod.
 * dnsA({ query: 'app-headless.default.svc.cluster.local', basename: 'app' })
 */
export function dnsA(options: DnsOptions & { query: string; ipv6?: boolean }): Strategy {
  checkDns(options, 'dnsA');
  checkDomain(options.query, 'dnsA: query');
  const resolver = makeResolver(options);
  return {
    describe: `dns a ${options.query}`,
    async discover() {
      const v4 = await orEmpty(resolver.resolve4(options.query));
      const v6 = options.ipv6 === true ? await orEmpty(resolver.resolve6(options.query)) : [];
      return namesOf(options.basename, [...v4, ...v6]);
    },
  };
}

/**
 * The nodes behind the SRV records of `service` (e.g. `_dist._tcp.app.default.svc.cluster.local`):
 * `basename@target` for each record's target host, as libcluster's `Kubernetes.DNSSRV`
 * builds them (pods of a StatefulSet: `app@app-0.app.default.svc.cluster.local`). With
 * `resolveTargets`, each target is resolved (A records, same servers) and the name is
 * `basename@ip`, for nodes named by their address.
 *
 * @example
 * dnsSrv({ service: '_dist._tcp.app.default.svc.cluster.local', basename: 'app' })
 */
export function dnsSrv(options: DnsOptions & { service: string; resolveTargets?: boolean }): Strategy {
  checkDns(options, 'dnsSrv');
  checkDomain(options.service, 'dnsSrv: service');
  const resolver = makeResolver(options);
  return {
    describe: `dns srv ${options.service}`,
    async discover() {
      const records = await orEmpty(resolver.resolveSrv(options.service));
      const targets = records.map((r) => r.name.replace(/\.$/, ''));
      if (options.resolveTargets !== true) return namesOf(options.basename, targets);
      const addresses = await Promise.all(targets.map((t) => orEmpty(resolver.resolve4(t))));
      return namesOf(options.basename, addresses.flat());
    },
  };
}

function makeResolver(options: DnsOptions): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  if (options.servers !== undefined) {
    try {
      resolver.setServers([...options.servers]);
    } catch (err) {
      throw new ClusterConfigError(`bad DNS servers ${formatTerm(options.servers)}: ${(err as Error).message}`);
    }
  }
  return resolver;
}

/** No such name, or no records of that type: no nodes (not an error). */
async function orEmpty<T>(query: Promise<T[]>): Promise<T[]> {
  try {
    return await query;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === dns.NOTFOUND || code === dns.NODATA) return [];
    throw err;
  }
}

function namesOf(basename: string, hosts: readonly string[]): string[] {
  const names = new Set<string>();
  for (const h of hosts) {
    const name = `${basename}@${h}`;
    if (isNodeName(name)) names.add(name);
  }
  return [...names].sort();
}

function checkDns(options: DnsOptions, what: string): void {
  if (typeof options !== 'object' || options === null) throw new ClusterConfigError(`${what}: expected options, got ${formatTerm(options)}`);
  if (typeof options.basename !== 'string' || !isNodeName(`${options.basename}@localhost`)) {
    throw new ClusterConfigError(`${what}: basename ${formatTerm(options.basename)} is not the alive part of a node name (letters, digits, _ and -)`);
  }
  if (options.servers !== undefined && !Array.isArray(options.servers)) {
    throw new ClusterConfigError(`${what}: servers must be an array of 'host' or 'host:port', got ${formatTerm(options.servers)}`);
  }
}

function checkDomain(name: unknown, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253 || /\s/.test(name)) {
    throw new ClusterConfigError(`${what} ${formatTerm(name)} is not a domain name`);
  }
}
