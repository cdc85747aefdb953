/**
 * Where the names of a cluster's nodes come from: a static list, the port mapper of
 * this host or of listed hosts (OTP's `.hosts.erlang` and `net_adm:world/0`), and DNS
 * (in dns.ts). A strategy only lists names; {@link ClusterFormation} connects to them.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatTerm } from '@grove/core';
import { hostOf, isNodeName, names, type DistNode } from '@grove/distribution';
import { ClusterConfigError } from './errors';

/**
 * A source of node names, polled by {@link ClusterFormation} (libcluster's strategies).
 * `discover` answers the nodes the source lists now; it may list the asking node
 * itself. It throws when the source cannot be read (the cluster then keeps what the
 * strategy listed last, so a DNS hiccup disconnects nobody).
 */
export interface Strategy {
  /** Names the strategy in logs and in {@link ClusterMembers}, e.g. `dns a app.svc`. */
  readonly describe: string;
  /** The node names the source lists now. */
  discover(self: DistNode): Promise<readonly string[]>;
}

/** Where a port mapper answers: its port (default GROVE_EPMD_PORT, ERL_EPMD_PORT, 4369) and request timeout. */
export interface PortMapperOptions {
  epmdPort?: number;
  /** Per request. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * A fixed list of nodes (libcluster's `Epmd` strategy, a seed-node list). Names are
 * checked here, so a typo fails at start-up.
 *
 * @example
 * staticNodes(['app@10.0.0.1', 'app@10.0.0.2'])
 */
export function staticNodes(nodes: readonly string[]): Strategy {
  if (!Array.isArray(nodes)) throw new ClusterConfigError(`staticNodes: expected an array of node names, got ${formatTerm(nodes)}`);
  for (const n of nodes) {
    if (!isNodeName(n)) throw new ClusterConfigError(`staticNodes: ${formatTerm(n)} is not a node name (alive@host)`);
  }
  const list = [...nodes];
  return { describe: `static [${list.join(', ')}]`, discover: () => Promise.resolve(list) };
}

/**
 * Every node registered with this host's port mapper (libcluster's `LocalEpmd`):
 * `alive@<this node's host>` for each name it lists.
 */
export function localEpmd(options: PortMapperOptions & { host?: string } = {}): Strategy {
  return {
    describe: 'local port mapper',
    async discover(self) {
      const listed = await names(epmdAddress(options.host ?? '127.0.0.1', options));
      return listed.nodes.map((n) => `${n.name}@${hostOf(self.name)}`).filter((n) => isNodeName(n));
    },
  };
}

/**
 * Every node registered with the port mapper of each host (OTP's `net_adm:world/0`;
 * libcluster's `ErlangHosts`): `alive@host` for each name a host's port mapper lists.
 * Hosts come from `hosts`, else from `file`, else from the first `.hosts.erlang` found in
 * the working directory or the home directory, as OTP looks for it. A host whose port
 * mapper does not answer is skipped (and logged by the cluster only when every host
 * fails).
 *
 * @example
 * epmdHosts({ hosts: ['10.0.0.1', '10.0.0.2'] })
 * epmdHosts({ file: '/etc/grove/.hosts.erlang' })
 */
export function epmdHosts(options: PortMapperOptions & { hosts?: readonly string[]; file?: string } = {}): Strategy {
  if (options.hosts !== undefined) checkHosts(options.hosts, 'epmdHosts');
  return {
    describe: options.hosts !== undefined ? `hosts [${options.hosts.join(', ')}]` : `hosts file ${options.file ?? '.hosts.erlang'}`,
    async discover(self) {
      const hosts = options.hosts ?? (await readHostsFile(options.file));
      const found: string[] = [];
      let failures = 0;
      let lastError: unknown;
      await Promise.all(
        hosts.map(async (host) => {
          try {
            const listed = await names(epmdAddress(host, options));
            for (const n of listed.nodes) {
              const name = `${n.name}@${host}`;
              if (isNodeName(name) && name !== self.name) found.push(name);
            }
          } catch (err) {
            failures++;
            lastError = err;
          }
        }),
      );
      if (hosts.length > 0 && failures === hosts.length) {
        throw new ClusterConfigError(`no port mapper answered on ${hosts.join(', ')}: ${(lastError as Error).message}`);
      }
      return found.sort();
    },
  };
}

/**
 * Reads a `.hosts.erlang` file: Erlang terms, one quoted atom per host followed by a
 * full stop (`'host1'.`), `%` comments. Without `file`, the first of
 * `./.hosts.erlang` and `~/.hosts.erlang` that exists.
 *
 * @throws ClusterConfigError when the file is missing or holds something else.
 */
export async function readHostsFile(file?: string): Promise<string[]> {
  const candidates = file !== undefined ? [file] : [path.resolve('.hosts.erlang'), path.join(os.homedir(), '.hosts.erlang')];
  for (const f of candidates) {
    let text: string;
    try {
      text = await fs.readFile(f, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file === undefined) continue;
      throw new ClusterConfigError(`cannot read the hosts file ${f}: ${(err as Error).message}`);
    }
    return parseHostsFile(text, f);
  }
  throw new ClusterConfigError(`no .hosts.erlang in ${candidates.map((c) => path.dirname(c)).join(' or ')}`);
}

/** Parses the text of a `.hosts.erlang` file (see {@link readHostsFile}). */
export function parseHostsFile(text: string, file = '.hosts.erlang'): string[] {
  const hosts: string[] = [];
  const body = text.replace(/%[^\n]*/g, '');
  const term = /\s*(?:'((?:[^'\\]|\\.)*)'|([a-z][A-Za-z0-9_@.-]*))\s*\.(?=\s|$)/y;
  let at = 0;
  while (at < body.length) {
    if (/^\s*$/.test(body.slice(at))) break;
    term.lastIndex = at;
    const m = term.exec(body);
    if (m === null) {
      const rest = body.slice(at);
      const line = body.slice(0, at + rest.length - rest.trimStart().length).split('\n').length;
      throw new ClusterConfigError(`${file}: line ${line}: expected a host as a quoted atom followed by a full stop ('host.example'.)`);
    }
    hosts.push((m[1] ?? m[2]!).replace(/\\(.)/g, '$1'));
    at = term.lastIndex;
  }
  checkHosts(hosts, file);
  return hosts;
}

function checkHosts(hosts: readonly string[], what: string): void {
  if (!Array.isArray(hosts)) throw new ClusterConfigError(`${what}: expected an array of hosts, got ${formatTerm(hosts)}`);
  for (const h of hosts) {
    if (typeof h !== 'string' || !isNodeName(`x@${h}`)) throw new ClusterConfigError(`${what}: ${formatTerm(h)} is not a host name or address`);
  }
}

function epmdAddress(host: string, options: PortMapperOptions): { host: string; port?: number; timeoutMs: number } {
  return { host, ...(options.epmdPort !== undefined ? { port: options.epmdPort } : {}), timeoutMs: options.timeoutMs ?? 2000 };
}
