/**
 * Starting the node a command runs: local (`nonode@nohost`) without a name, else a
 * distributed node registered with the port mapper, over TLS with `--tls-*`.
 * `startDistributed` resolves the cookie: `--cookie`, then `GROVE_COOKIE`, then the
 * cookie file (dist's cookie.ts), and checks the node's certificate.
 */
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import { getLogger, Node } from '@grove/core';
import { randomBytes } from 'node:crypto';
import { epmdPort, hostOf, localHostName, nodeNameKind, startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import type { NodeFlags, TlsFiles } from './args';

const log = getLogger('grove');
import { UsageError, type CommandName } from './errors';

/** A node started by a command, and how to stop it. */
export interface StartedNode {
  readonly node: Node;
  /** The distributed side, when the node has a name. */
  readonly dist: DistNode | undefined;
  /** Closes connections, unregisters from the port mapper and ends every process. */
  stop(): Promise<void>;
}

/** Checks GROVE_EPMD_PORT (and ERL_EPMD_PORT) up front, so a typo is a clear message before anything starts. */
export function checkEpmdPort(env: NodeJS.ProcessEnv = process.env): number {
  try {
    return epmdPort(undefined, env);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Starts the node `flags` describe.
 *
 * @throws CookieError when no usable cookie is found; the dist layer's errors when
 *   the node cannot listen or register (a name already taken, say).
 */
export async function startNode(flags: NodeFlags, command?: CommandName): Promise<StartedNode> {
  if (flags.name === undefined) {
    const node = new Node();
    return {
      node,
      dist: undefined,
      stop: async () => node.halt(),
    };
  }
  checkEpmdPort();
  const options: DistOptions = { name: flags.name, cookie: flags.cookie, hidden: flags.hidden };
  if (flags.tls !== undefined) options.tls = readTlsFiles(flags.tls, command);
  // A name on an IP address says where the node is reached: listen there, unless --listen says otherwise.
  const host = hostOf(flags.name);
  if (flags.listen !== undefined) options.host = flags.listen;
  else if (isIP(host) !== 0) options.host = host;
  if (flags.connectAll === false) options.connectAll = false;
  if (flags.netTickTimeMs !== undefined) options.netTickTimeMs = flags.netTickTimeMs;
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.portRange !== undefined) options.portRange = flags.portRange;
  if (flags.allow !== undefined) options.allow = flags.allow;
  const dist = await startDistributed(options);
  await connectAtStart(dist, flags);
  return { node: dist.node, dist, stop: () => dist.stop() };
}

/**
 * `--connect` and `--hidden-connect`: connects to each node, all at once, before the
 * command goes on (as kernel's `sync_nodes_optional`); a node that cannot be reached
 * is a warning, not a failure, so nodes of a cluster can start in any order.
 */
async function connectAtStart(dist: DistNode, flags: NodeFlags): Promise<void> {
  const attempts = [
    ...(flags.connect ?? []).map((peer) => dist.connect(peer).then((ok) => [peer, ok, ''] as const)),
    ...(flags.hiddenConnect ?? []).map((peer) => dist.hiddenConnect(peer).then((ok) => [peer, ok, 'hidden-'] as const)),
  ];
  for (const [peer, ok, how] of await Promise.all(attempts)) {
    if (!ok) log.warn(`${dist.name}: --${how}connect ${peer}: cannot connect to it (not running, another cookie, or not allowed); going on without it`);
  }
}

/** Reads the TLS files; one that cannot be read is a usage error that names its flag. */
function readTlsFiles(files: TlsFiles, command: CommandName | undefined): { cert: string; key: string; ca: string } {
  const read = (flag: string, file: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      if (files.dir === undefined) throw new UsageError(`${flag} ${file}: cannot read it (${why})`, command);
      throw new UsageError(`--tls-dir ${files.dir}: cannot read ${file} (${why}); 'grove certs --dir ${files.dir} NODE' makes a node's files`, command);
    }
  };
  return { cert: read('--tls-cert', files.cert), key: read('--tls-key', files.key), ca: read('--tls-ca', files.ca) };
}

/**
 * A unique name for a command's helper node (ping, top, observer) of the same kind as
 * `target` (short and long names do not mix). The node only dials out, so its host
 * part is a label: this host's name, or 127.0.0.1 for a long name on a host whose
 * name is not fully qualified.
 */
export function helperName(prefix: string, target: string): string {
  const alive = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  if (nodeNameKind(target) === 'short') return `${alive}@${localHostName('short')}`;
  const local = localHostName('long');
  return `${alive}@${local.includes('.') ? local : '127.0.0.1'}`;
}
