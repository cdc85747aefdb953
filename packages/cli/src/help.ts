/**
 * The help texts of `grove --help` and `grove COMMAND --help`.
 */
import type { CommandName } from './errors';

const NODE_OPTIONS = `Node options:
  --sname N         a short node name: N@<this host's short name>, or N@HOST without dots
  --name N@HOST     a long node name (HOST with dots or an IP address, e.g. alice@127.0.0.1);
                    --name N takes this host's fully qualified name
  --cookie C        the cookie shared by the nodes that may connect; default: $GROVE_COOKIE,
                    else ~/.grove.cookie (created, mode 0600, when missing)
  --hidden          a hidden node: not in other nodes' nodes(), no transitive connections
  --tls-cert FILE   TLS distribution: this node's certificate (PEM; subject CN the node's
                    full name, subjectAltName its host), with --tls-key and --tls-ca
  --tls-key FILE    this node's private key (PEM)
  --tls-ca FILE     the CA certificate(s) that sign the nodes' certificates (PEM)
  --tls-dir DIR     DIR/<node>.crt, DIR/<node>.key and DIR/ca.crt, as 'grove certs' writes them

Distribution options (erl's kernel settings):
  --no-connect-all  no transitive connections: connect only to nodes named (-connect_all false)
  --net-ticktime S  a peer silent for S seconds is disconnected (default 60; net_ticktime)
  --port N          listen on port N (default: any free port)
  --port-range MIN-MAX  listen on the first free port from MIN to MAX, for firewalls
                    (inet_dist_listen_min/max)
  --listen ADDR     the IP address to listen on (default: the name's host when it is an
                    IP address, else 127.0.0.1; 0.0.0.0 for every interface)
  --connect NODE    connect to NODE at start (repeatable); an unreachable node is a warning
  --hidden-connect NODE  connect to NODE at start as a hidden node (repeatable;
                    hidden_connect_node): neither lists the other in nodes()
  --allow NODE      accept connections only from the nodes given (repeatable;
                    net_kernel:allow/1); others are refused and logged
Without --sname or --name the node is local (nonode@nohost) and does not connect to others.
With TLS every node of the cluster needs TLS, and each checks that a peer's certificate
is issued to the node name it claims.`;

const ENVIRONMENT = `Environment:
  GROVE_COOKIE      the cookie when --cookie is not given
  GROVE_EPMD_PORT   the port mapper's port (default 4369; ERL_EPMD_PORT is read too)
  GROVE_LOG_LEVEL   trace, debug, info, warn (default; error for ping), error, fatal or silent;
                    per subsystem too: warn,supervisor=debug,dist=error`;

const GENERAL = `Usage: grove COMMAND [options]

Commands:
  shell   an interactive shell that is itself a node
  run     start a node and run an application or a main(node, args) from a module
  ping    check that a node answers: prints pong (exit 0) or pang (exit 1)
  names   list the node names registered with this host's port mapper
  certs   make a CA and node certificates for TLS distribution
  new     write a new project: an application, a supervision tree, a GenServer, tests
  top     the busiest processes of a node, refreshed every second (like etop)
  observer  a live web page of the cluster: nodes, processes, supervision trees

Run 'grove COMMAND --help' for a command's options.

${ENVIRONMENT}`;

const TEXTS: Record<CommandName, string> = {
  shell: `Usage: grove shell [--sname N | --name N@HOST] [--cookie C] [--hidden] [TLS options] [distribution options]

An interactive shell that is a node, like 'erl -sname N' or 'iex --sname N'. Top-level
await works; a promise an expression returns is awaited. The prompt shows the node
name and a counter: (alice@127.0.0.1)1>. With stdin not a terminal, lines are read and
evaluated one after another until stdin closes, so scripts can drive it.

Helpers (type help() in the shell for details):
  self() node() nodes() ping(node) connect(node) disconnect(node) monitorNodes()
  send(dest, msg) receive() flush() spawn(fn) spawnLink(fn) call(dest, req) cast(dest, req)
  register(name) whereis(name) exit(pid, reason) link(pid) monitor(pid) i()
  global.* pg.* rpc.*

${NODE_OPTIONS}`,
  run: `Usage: grove run [--sname N | --name N@HOST] [--cookie C] [--hidden] [--workers N|auto] [TLS options] [distribution options] FILE [args...]

Starts a node and runs FILE (.js, .cjs, .mjs or .ts; TypeScript runs through tsx).
FILE exports either:
  - an Application class (a subclass of @grove/core's Application): it is started, and
    it is stopped on Ctrl-C or SIGTERM; or
  - a function main(node, args): called with the node and the words after FILE.
The node runs until Ctrl-C or SIGTERM (then applications stop in reverse start order
and grove exits 0), or until a node that is not distributed has nothing left to do.

  --workers N|auto  also start N nodes (auto: one per core) in worker threads of this
                    process, named N_1@HOST, N_2@HOST, ...; each loads FILE and calls
                    its worker(node, info) export if it has one (needs --sname/--name)

${NODE_OPTIONS}`,
  ping: `Usage: grove ping NODE [--cookie C]

Connects to NODE from a temporary hidden node and prints pong (exit 0) when it answers,
pang (exit 1) when it cannot be reached or refuses the cookie, like net_adm:ping/1.

Options:
  --cookie C        the cookie NODE expects; default: $GROVE_COOKIE, else ~/.grove.cookie`,
  names: `Usage: grove names

Lists the node names and ports registered with this host's port mapper, like
'epmd -names'. Exits 1 when no port mapper runs.

${ENVIRONMENT}`,
  certs: `Usage: grove certs [--dir DIR] [--days N] [NODE...]

Makes what TLS distribution needs, in DIR (default grove-certs), for
'grove shell --tls-dir DIR' and 'grove run --tls-dir DIR':
  DIR/ca.crt, DIR/ca.key    a cluster CA (made on the first run, reused afterwards)
  DIR/NODE.crt, DIR/NODE.key for each NODE, a full node name (alice@127.0.0.1, bob@box):
                            subject CN NODE, subjectAltName its host, signed by the CA
Keys are EC P-256, written with mode 0600. Existing files are never overwritten.

Options:
  --dir DIR         where to write (default grove-certs)
  --days N          how long the node certificates are valid (default 365; the CA: 3650)`,
  new: `Usage: grove new DIR [--distributed]

Writes a new project into DIR (a new or empty folder; nothing is overwritten), named
after DIR: package.json (depending on this release's Grove packages), tsconfig.json,
src/ with a GenServer (counter.ts), a supervision tree and an Application (app.ts),
what 'npm start' runs (main.ts), jest tests in test/, and a README. Then:
  cd DIR && npm install && npm test && npm start

Options:
  --distributed     two nodes: npm start runs the application on app@127.0.0.1,
                    npm run start:client calls it from client@127.0.0.1`,
  top: `Usage: grove top NODE [--cookie C] [--sort mailbox|memory|messages] [--interval S] [--count N] [--lines N]

Shows NODE's figures (processes, run queue, crashes, memory, connections) and its
busiest processes, refreshed every interval, like OTP's etop. A temporary hidden node
connects to NODE and asks the introspection service every distributed node runs.
Ends on Ctrl-C, after --count refreshes, or (exit 1) when NODE cannot be reached.

Options:
  --cookie C        the cookie NODE expects; default: $GROVE_COOKIE, else ~/.grove.cookie
  --sort KEY        mailbox (length), memory, or messages (handled; the default)
  --interval S      seconds between refreshes (default 1; from 0.05)
  --count N         end after N refreshes
  --lines N         process rows shown (default 20)`,
  observer: `Usage: grove observer (--sname N | --name N@HOST) [--cookie C] [--connect NODE...] [--port P] [--listen ADDR --token T] [--allow-write]

Starts a hidden node that joins the cluster through the --connect nodes (and the nodes
they are connected to) and serves a live web page of it, like OTP's observer: nodes
(uptime, processes, memory, message rates, nodes seen going down), a node's processes
(sortable, filtered, one in detail), applications' supervision trees with restart
counts and crashes, global names and pg groups. It prints the page's address and runs
until Ctrl-C. Nothing is installed on the nodes observed.

Options:
  --cookie C        the cluster's cookie; default: $GROVE_COOKIE, else ~/.grove.cookie
  --connect NODE    a node of the cluster to observe (repeatable)
  --port P          the page's port (default: any free port; the address is printed)
  --listen ADDR     the address to serve the page on (default 127.0.0.1, this host only);
                    another address needs --token
  --token T         a secret (16 characters or more) every request must carry; the
                    printed address includes it
  --allow-write     show buttons that kill a process or send it a message (each asks
                    for confirmation); read-only without it`,
};

/** The help text for `topic`, or the general one. */
export function helpText(topic?: CommandName): string {
  return topic === undefined ? GENERAL : TEXTS[topic];
}

/** The one-line pointer printed under a usage error. */
export function helpHint(topic?: CommandName): string {
  return topic === undefined ? "Run 'grove --help' for usage." : `Run 'grove ${topic} --help' for usage.`;
}
