/**
 * The command line: `grove COMMAND [options] [operands]`, parsed and validated in
 * one place so that every mistake gets one clear message before anything starts.
 *
 * Options are `--opt value` or `--opt=value`; flags (`--hidden`, `--help`) take no
 * value. An option given twice, an unknown option, a missing value and options that
 * cannot go together are usage errors. For `grove run`, everything after FILE
 * belongs to the program and is not parsed (`grove run app.js --port 80` hands
 * `['--port', '80']` to `main`). `--` ends the options.
 */
import * as os from 'node:os';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { BadNodeNameError, localHostName, MAX_COOKIE_BYTES, parseNodeName, type NodeNameKind } from '@grove/distribution';
import { UsageError, type CommandName } from './errors';
import type { TopCommand } from './top';
import type { ObserverCommand } from './observer';

/** How a command's node is named and authenticated (`--sname`/`--name`, `--cookie`, `--hidden`). */
export interface NodeFlags {
  /** The full node name, `alive@host`; absent for a local (not distributed) node. */
  readonly name?: string;
  /** `short` for `--sname`, `long` for `--name`. */
  readonly nameKind?: NodeNameKind;
  /** The cookie given with `--cookie` (else the environment or the cookie file decide). */
  readonly cookie?: string;
  /** `--hidden`: a hidden node (not in others' `nodes()`, no transitive connections). */
  readonly hidden: boolean;
  /** `--tls-cert`/`--tls-key`/`--tls-ca` (or `--tls-dir`): the node's TLS files; absent for plain TCP. */
  readonly tls?: TlsFiles;
  /** `--no-connect-all`: no transitive connections (erl `-connect_all false`); absent: true. */
  readonly connectAll?: false;
  /** `--net-ticktime S`, in milliseconds (erl `-kernel net_ticktime S`). */
  readonly netTickTimeMs?: number;
  /** `--port N`: the port to listen on. */
  readonly port?: number;
  /** `--port-range MIN-MAX`: listen on the first free port of the range (`inet_dist_listen_min/max`). */
  readonly portRange?: { readonly min: number; readonly max: number };
  /** `--listen ADDR`: the IP address to listen on (`inet_dist_use_interface`). */
  readonly listen?: string;
  /** `--connect NODE` (repeatable): nodes to connect to at start. */
  readonly connect?: readonly string[];
  /** `--hidden-connect NODE` (repeatable): nodes to connect to at start as a hidden node. */
  readonly hiddenConnect?: readonly string[];
  /** `--allow NODE` (repeatable): the only nodes this node accepts connections from (`net_kernel:allow/1`). */
  readonly allow?: readonly string[];
}

/** Paths of a node's TLS files (PEM): its certificate and key, and the cluster's CA. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  /** The `--tls-dir` the three came from, if they did. */
  readonly dir?: string;
}

/** Where `grove certs` writes when `--dir` does not say. */
export const DEFAULT_CERTS_DIR = 'grove-certs';
/** Days a node certificate of `grove certs` is valid when `--days` does not say. */
export const DEFAULT_CERT_DAYS = 365;

/** A parsed command line. */
export type Command =
  | { readonly command: 'help'; readonly topic?: CommandName }
  | { readonly command: 'version' }
  | { readonly command: 'shell'; readonly node: NodeFlags }
  | { readonly command: 'run'; readonly node: NodeFlags; readonly file: string; readonly args: readonly string[]; readonly workers?: number }
  | { readonly command: 'ping'; readonly target: string; readonly cookie?: string }
  | { readonly command: 'names' }
  | { readonly command: 'certs'; readonly nodes: readonly string[]; readonly dir: string; readonly days: number }
  | { readonly command: 'new'; readonly dir: string; readonly distributed: boolean }
  | TopCommand
  | ObserverCommand;

/** The commands `grove` knows. */
export const COMMANDS: readonly CommandName[] = ['shell', 'run', 'ping', 'names', 'certs', 'new', 'top', 'observer'];

interface OptionSpec {
  /** True when the option takes a value. */
  readonly value: boolean;
  /** True when the option may be given more than once (its values are collected). */
  readonly repeat?: boolean;
}

const NODE_OPTIONS: Record<string, OptionSpec> = {
  sname: { value: true },
  name: { value: true },
  cookie: { value: true },
  hidden: { value: false },
  'tls-cert': { value: true },
  'tls-key': { value: true },
  'tls-ca': { value: true },
  'tls-dir': { value: true },
  'no-connect-all': { value: false },
  'net-ticktime': { value: true },
  port: { value: true },
  'port-range': { value: true },
  listen: { value: true },
  connect: { value: true, repeat: true },
  'hidden-connect': { value: true, repeat: true },
  allow: { value: true, repeat: true },
};

/** The node options that only make sense for a node with a name. */
const DIST_ONLY = ['cookie', 'hidden', 'no-connect-all', 'net-ticktime', 'port', 'port-range', 'listen', 'connect', 'hidden-connect', 'allow'];

/** The longest net tick time accepted, in seconds (a timer's limit, about 24 days). */
const MAX_NET_TICKTIME_S = 2_147_483;

const SPECS: Record<CommandName, Record<string, OptionSpec>> = {
  shell: NODE_OPTIONS,
  run: { ...NODE_OPTIONS, workers: { value: true } },
  ping: { cookie: { value: true } },
  names: {},
  certs: { dir: { value: true }, days: { value: true } },
  new: { distributed: { value: false } },
  top: { cookie: { value: true }, sort: { value: true }, interval: { value: true }, count: { value: true }, lines: { value: true } },
  observer: {
    sname: { value: true },
    name: { value: true },
    cookie: { value: true },
    connect: { value: true, repeat: true },
    port: { value: true },
    listen: { value: true },
    token: { value: true },
    'allow-write': { value: false },
  },
};

/** What one command's options and operands came to, before validation. */
interface Scanned {
  readonly options: Map<string, string | true>;
  /** The values of repeatable options, in order. */
  readonly lists: Map<string, string[]>;
  readonly operands: string[];
  /** For `run`: the words after FILE, untouched. */
  readonly rest: string[];
}

/**
 * Parses `argv` (without `node` and the script: `process.argv.slice(2)`).
 *
 * @throws UsageError with a message that names the option or operand at fault.
 */
export function parseArgs(argv: readonly string[]): Command {
  if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) {
    throw new UsageError('the arguments must be an array of strings');
  }
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--help' || first === '-h') {
    if (rest.length > 0) throw new UsageError(`unexpected argument after ${first}: ${rest[0]}`);
    return { command: 'help' };
  }
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'help') return helpTopic(rest);
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (options come after the command)`);
  if (!isCommand(first)) throw new UsageError(`unknown command ${JSON.stringify(first)}; the commands are ${COMMANDS.join(', ')}`);
  const scanned = scan(first, rest);
  if (scanned === 'help') return { command: 'help', topic: first };
  switch (first) {
    case 'shell':
      noOperands(first, scanned.operands);
      return { command: 'shell', node: nodeFlags(first, scanned) };
    case 'run':
      return runCommand(scanned);
    case 'ping':
      return pingCommand(scanned);
    case 'names':
      noOperands(first, scanned.operands);
      return { command: 'names' };
    case 'certs':
      return certsCommand(scanned);
    case 'new':
      return newCommand(scanned);
    case 'top':
      return topCommand(scanned);
    case 'observer':
      return observerCommand(scanned);
  }
}

function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

function helpTopic(rest: readonly string[]): Command {
  if (rest.length === 0) return { command: 'help' };
  const topic = rest[0]!;
  if (!isCommand(topic)) throw new UsageError(`no help for ${JSON.stringify(topic)}; the commands are ${COMMANDS.join(', ')}`);
  if (rest.length > 1) throw new UsageError(`unexpected argument after help ${topic}: ${rest[1]}`);
  return { command: 'help', topic };
}

/** Splits a command's words into options and operands; `'help'` when `--help` is among the options. */
function scan(command: CommandName, words: readonly string[]): Scanned | 'help' {
  const spec = SPECS[command];
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const operands: string[] = [];
  let rest: string[] = [];
  let help = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      operands.push(...words.slice(i + 1, command === 'run' ? i + 2 : undefined));
      if (command === 'run') rest = words.slice(i + 2);
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      operands.push(word);
      if (command === 'run') {
        // FILE ends grove's options: what follows is the program's.
        rest = words.slice(i + 1);
        break;
      }
      continue;
    }
    if (word === '--help' || word === '-h') {
      help = true;
      continue;
    }
    if (!word.startsWith('--')) throw new UsageError(`unknown option ${word} for grove ${command}`, command);
    const eq = word.indexOf('=');
    const key = word.slice(2, eq < 0 ? undefined : eq);
    const o = spec[key];
    if (o === undefined) throw new UsageError(`unknown option --${key} for grove ${command}`, command);
    if (options.has(key) && o.repeat !== true) throw new UsageError(`--${key} is given twice`, command);
    if (!o.value) {
      if (eq >= 0) throw new UsageError(`--${key} takes no value`, command);
      options.set(key, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = word.slice(eq + 1);
    else {
      value = words[++i];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new UsageError(`--${key} needs a value`, command);
      }
    }
    if (value === '') throw new UsageError(`--${key} needs a non-empty value`, command);
    options.set(key, value);
    if (o.repeat === true) {
      let list = lists.get(key);
      if (list === undefined) lists.set(key, (list = []));
      list.push(value);
    }
  }
  return help ? 'help' : { options, lists, operands, rest };
}

function noOperands(command: CommandName, operands: readonly string[]): void {
  if (operands.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(operands[0])} for grove ${command}`, command);
}

function runCommand(s: Scanned): Command {
  const node = nodeFlags('run', s);
  const file = s.operands[0];
  if (file === undefined) throw new UsageError('missing FILE: the module to run (e.g. grove run app.js)', 'run');
  const workers = workersOption(s.options.get('workers'), node);
  return { command: 'run', node, file, args: s.rest, ...(workers !== undefined ? { workers } : {}) };
}

/** `--workers N` (or `auto`: one per core): how many worker-thread nodes `grove run` starts. */
function workersOption(value: string | true | undefined, node: NodeFlags): number | undefined {
  if (value === undefined) return undefined;
  if (node.name === undefined) throw new UsageError('--workers needs --sname or --name: worker nodes join the node\'s cluster', 'run');
  if (value === 'auto') return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers ${String(value)}: expected a number of threads from 1 to 256, or auto (one per core)`, 'run');
  return n;
}

function pingCommand(s: Scanned): Command {
  const target = s.operands[0];
  if (target === undefined) throw new UsageError('missing NODE: the node to ping (e.g. grove ping alice@127.0.0.1)', 'ping');
  if (s.operands.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(s.operands[1])} for grove ping`, 'ping');
  try {
    parseNodeName(target);
  } catch (e) {
    throw new UsageError(`NODE ${JSON.stringify(target)} is not a node name: ${detailOf(e)}`, 'ping');
  }
  const cookie = s.options.get('cookie');
  if (cookie === undefined) return { command: 'ping', target };
  return { command: 'ping', target, cookie: checkCookie('ping', cookie as string) };
}

function newCommand(s: Scanned): Command {
  const dir = s.operands[0];
  if (dir === undefined) throw new UsageError('missing DIR: the folder of the new project (e.g. grove new my-app)', 'new');
  if (s.operands.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(s.operands[1])} for grove new`, 'new');
  return { command: 'new', dir, distributed: s.options.get('distributed') === true };
}

function certsCommand(s: Scanned): Command {
  const nodes: string[] = [];
  for (const n of s.operands) {
    try {
      parseNodeName(n);
    } catch (e) {
      throw new UsageError(`NODE ${JSON.stringify(n)} is not a node name: ${detailOf(e)} (give full names, e.g. alice@127.0.0.1)`, 'certs');
    }
    if (nodes.includes(n)) throw new UsageError(`${n} is given twice`, 'certs');
    nodes.push(n);
  }
  const days = s.options.get('days') as string | undefined;
  const n = days === undefined ? DEFAULT_CERT_DAYS : Number(days);
  if (!(Number.isInteger(n) && n >= 1 && n <= 36500)) throw new UsageError(`--days must be a whole number of days from 1 to 36500, got ${JSON.stringify(days)}`, 'certs');
  return { command: 'certs', nodes, dir: (s.options.get('dir') as string | undefined) ?? DEFAULT_CERTS_DIR, days: n };
}

function topCommand(s: Scanned): TopCommand {
  const target = targetNode('top', s.operands);
  const sort = (s.options.get('sort') as string | undefined) ?? 'messages';
  if (sort !== 'mailbox' && sort !== 'memory' && sort !== 'messages') throw new UsageError(`--sort must be mailbox, memory or messages, got ${JSON.stringify(sort)}`, 'top');
  const interval = s.options.get('interval') as string | undefined;
  const seconds = interval === undefined ? 1 : Number(interval);
  if (!(/^\d+(\.\d+)?$/.test(interval ?? '1') && seconds >= 0.05 && seconds <= 3600)) throw new UsageError(`--interval must be a number of seconds from 0.05 to 3600, got ${JSON.stringify(interval)}`, 'top');
  const count = positiveOption('top', 'count', s.options.get('count'), 1_000_000);
  const lines = positiveOption('top', 'lines', s.options.get('lines'), 10_000) ?? 20;
  const cookie = s.options.get('cookie') as string | undefined;
  return {
    command: 'top',
    target,
    sort,
    intervalMs: Math.round(seconds * 1000),
    lines,
    ...(count !== undefined ? { count } : {}),
    ...(cookie !== undefined ? { cookie: checkCookie('top', cookie) } : {}),
  };
}

function observerCommand(s: Scanned): ObserverCommand {
  noOperands('observer', s.operands);
  const { options } = s;
  if (!options.has('sname') && !options.has('name')) throw new UsageError('needs --sname or --name: the observer is a node of the cluster (hidden)', 'observer');
  // --port and --listen are the page's: the node itself listens anywhere on loopback.
  const nodeOptions = new Map([...options].filter(([k]) => k !== 'port' && k !== 'listen'));
  const node = nodeFlags('observer', { ...s, options: nodeOptions });
  const port = options.get('port') as string | undefined;
  const n = port === undefined ? undefined : wholeNumber(port);
  if (port !== undefined && (n === undefined || n > 65535)) throw new UsageError(`--port must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(port)}`, 'observer');
  const listen = options.get('listen') as string | undefined;
  if (listen !== undefined && isIP(listen) === 0) throw new UsageError(`--listen must be an IP address to serve the page on, got ${JSON.stringify(listen)}`, 'observer');
  const token = options.get('token') as string | undefined;
  const loopback = listen === undefined || listen === '::1' || listen.startsWith('127.');
  if (!loopback && token === undefined) throw new UsageError(`--listen ${listen} serves the page beyond this host: give --token T too (16 characters or more)`, 'observer');
  if (token !== undefined && token.length < 16) throw new UsageError('--token must be 16 characters or more', 'observer');
  return {
    command: 'observer',
    node,
    allowWrite: options.get('allow-write') === true,
    ...(n !== undefined ? { port: n } : {}),
    ...(listen !== undefined ? { listen } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}

/** The one operand NODE of a command that watches a node. */
function targetNode(command: CommandName, operands: readonly string[]): string {
  const target = operands[0];
  if (target === undefined) throw new UsageError(`missing NODE: the node to watch (e.g. grove ${command} alice@127.0.0.1)`, command);
  if (operands.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(operands[1])} for grove ${command}`, command);
  try {
    return parseNodeName(target).full;
  } catch (e) {
    throw new UsageError(`NODE ${JSON.stringify(target)} is not a node name: ${detailOf(e)}`, command);
  }
}

/** A whole number from 1 to `max` given to `--key`, or undefined when not given. */
function positiveOption(command: CommandName, key: string, value: string | true | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = wholeNumber(value as string);
  if (n === undefined || n < 1 || n > max) throw new UsageError(`--${key} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`, command);
  return n;
}

/**
 * The TLS files of node `name`: `--tls-cert`, `--tls-key` and `--tls-ca` together, or
 * `--tls-dir DIR` for `DIR/<name>.crt`, `DIR/<name>.key` and `DIR/ca.crt` (what
 * `grove certs --dir DIR` writes).
 */
function tlsFiles(command: CommandName, options: Map<string, string | true>, name: string | undefined): TlsFiles | undefined {
  const given = ['tls-cert', 'tls-key', 'tls-ca', 'tls-dir'].filter((k) => options.has(k));
  if (given.length === 0) return undefined;
  if (name === undefined) throw new UsageError(`--${given[0]} needs --sname or --name: a node without a name does not connect to others`, command);
  const dir = options.get('tls-dir') as string | undefined;
  if (dir !== undefined) {
    if (given.length > 1) throw new UsageError('--tls-dir cannot go with --tls-cert, --tls-key or --tls-ca: DIR stands for DIR/ca.crt, DIR/<node>.crt and DIR/<node>.key', command);
    return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`), ca: path.join(dir, 'ca.crt'), dir };
  }
  const missing = ['tls-cert', 'tls-key', 'tls-ca'].filter((k) => !options.has(k));
  if (missing.length > 0) {
    throw new UsageError(`--${given[0]} needs ${missing.map((k) => `--${k}`).join(' and ')} too (or --tls-dir DIR for all three)`, command);
  }
  return { cert: options.get('tls-cert') as string, key: options.get('tls-key') as string, ca: options.get('tls-ca') as string };
}

/** Validates the node options of `shell` and `run`. */
function nodeFlags(command: CommandName, scanned: Scanned): NodeFlags {
  const { options } = scanned;
  const sname = options.get('sname') as string | undefined;
  const lname = options.get('name') as string | undefined;
  const cookie = options.get('cookie') as string | undefined;
  const hidden = options.get('hidden') === true;
  if (sname !== undefined && lname !== undefined) {
    throw new UsageError('--sname and --name cannot go together: a node has a short name or a long name', command);
  }
  if (sname === undefined && lname === undefined) {
    const given = DIST_ONLY.find((k) => options.has(k));
    if (given === 'hidden') throw new UsageError('--hidden needs --sname or --name: a node without a name is not distributed', command);
    if (given !== undefined) throw new UsageError(`--${given} needs --sname or --name: a node without a name does not connect to others`, command);
    tlsFiles(command, options, undefined);
    return { hidden: false };
  }
  const kind: NodeNameKind = sname !== undefined ? 'short' : 'long';
  const name = fullName(command, kind, (sname ?? lname)!);
  const tls = tlsFiles(command, options, name);
  const flags: NodeFlags = { name, nameKind: kind, hidden, ...(tls !== undefined ? { tls } : {}) };
  return { ...flags, ...(cookie !== undefined ? { cookie: checkCookie(command, cookie) } : {}), ...distSettings(command, scanned, name, kind, hidden) };
}

/** The distribution settings: `--no-connect-all`, `--net-ticktime`, `--port`/`--port-range`, `--listen`, `--connect`, `--hidden-connect`, `--allow`. */
function distSettings(command: CommandName, { options, lists }: Scanned, self: string, kind: NodeNameKind, hidden: boolean): Partial<NodeFlags> {
  const out: { -readonly [K in keyof NodeFlags]?: NodeFlags[K] } = {};
  if (options.get('no-connect-all') === true) out.connectAll = false;
  const tick = options.get('net-ticktime') as string | undefined;
  if (tick !== undefined) {
    const s = wholeNumber(tick);
    if (s === undefined || s < 1 || s > MAX_NET_TICKTIME_S) {
      throw new UsageError(`--net-ticktime must be a whole number of seconds from 1 to ${MAX_NET_TICKTIME_S}, got ${JSON.stringify(tick)}`, command);
    }
    out.netTickTimeMs = s * 1000;
  }
  const port = options.get('port') as string | undefined;
  const range = options.get('port-range') as string | undefined;
  if (port !== undefined && range !== undefined) throw new UsageError('--port and --port-range cannot go together: give one port or a range', command);
  if (port !== undefined) {
    const n = wholeNumber(port);
    if (n === undefined || n > 65535) throw new UsageError(`--port must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(port)}`, command);
    out.port = n;
  }
  if (range !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(range);
    const [min, max] = m === null ? [undefined, undefined] : [wholeNumber(m[1]!), wholeNumber(m[2]!)];
    if (min === undefined || max === undefined || min < 1 || max > 65535 || min > max) {
      throw new UsageError(`--port-range must be MIN-MAX with 1 <= MIN <= MAX <= 65535 (e.g. 9100-9105), got ${JSON.stringify(range)}`, command);
    }
    out.portRange = { min, max };
  }
  const listen = options.get('listen') as string | undefined;
  if (listen !== undefined) {
    if (isIP(listen) === 0) throw new UsageError(`--listen must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::1), got ${JSON.stringify(listen)}`, command);
    out.listen = listen;
  }
  const connect = nodeList(command, 'connect', lists, self, kind);
  const hiddenConnect = nodeList(command, 'hidden-connect', lists, self, kind);
  const both = connect.find((n) => hiddenConnect.includes(n));
  if (both !== undefined) throw new UsageError(`${both} is given to both --connect and --hidden-connect: connect to it one way`, command);
  if (hidden && hiddenConnect.length > 0) throw new UsageError('--hidden-connect makes no sense with --hidden: every connection of a hidden node is hidden; use --connect', command);
  if (connect.length > 0) out.connect = connect;
  if (hiddenConnect.length > 0) out.hiddenConnect = hiddenConnect;
  const allow = nodeList(command, 'allow', lists, self, kind);
  if (allow.length > 0) out.allow = allow;
  return out;
}

/** The node names given to a repeatable option: each a node name of this node's kind, not this node, none twice. */
function nodeList(command: CommandName, key: string, lists: Map<string, string[]>, self: string, kind: NodeNameKind): string[] {
  const out: string[] = [];
  for (const n of lists.get(key) ?? []) {
    let full: string;
    try {
      full = parseNodeName(n).full;
    } catch (e) {
      throw new UsageError(`--${key} ${n}: not a node name: ${detailOf(e)} (give a full name, e.g. bob@127.0.0.1)`, command);
    }
    if (parseNodeName(n).kind !== kind) {
      throw new UsageError(`--${key} ${n}: a ${kind === 'short' ? 'short' : 'long'}-named node talks only to ${kind === 'short' ? 'short' : 'long'} names (${kind === 'short' ? 'bob@box' : 'bob@127.0.0.1'})`, command);
    }
    if (full === self) throw new UsageError(`--${key} ${n}: that is this node's own name`, command);
    if (out.includes(full)) throw new UsageError(`--${key} ${n} is given twice`, command);
    out.push(full);
  }
  return out;
}

/** `text` as a whole number (digits only), else undefined. */
function wholeNumber(text: string): number | undefined {
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

/** `--sname alice` is `alice@<short host name>`; `--name alice` is `alice@<fully qualified host name>`. */
function fullName(command: CommandName, kind: NodeNameKind, value: string): string {
  const flag = kind === 'short' ? '--sname' : '--name';
  let full = value;
  if (!value.includes('@')) {
    const host = localHostName(kind);
    if (kind === 'long' && !host.includes('.')) {
      throw new UsageError(
        `--name ${value}: this host's name ${JSON.stringify(host)} is not fully qualified; give the host (--name ${value}@127.0.0.1) or use --sname`,
        command,
      );
    }
    full = `${value}@${host}`;
  }
  try {
    return parseNodeName(full, kind).full;
  } catch (e) {
    const hint = kind === 'short' ? ' (for a long name use --name)' : ' (for a short name use --sname)';
    throw new UsageError(`${flag} ${value}: ${detailOf(e)}${e instanceof BadNodeNameError && wrongKind(full, kind) ? hint : ''}`, command);
  }
}

function wrongKind(full: string, kind: NodeNameKind): boolean {
  try {
    return parseNodeName(full).kind !== kind;
  } catch {
    return false;
  }
}

function checkCookie(command: CommandName, cookie: string): string {
  if (Buffer.byteLength(cookie) > MAX_COOKIE_BYTES) throw new UsageError(`--cookie is longer than ${MAX_COOKIE_BYTES} bytes`, command);
  return cookie;
}

function detailOf(e: unknown): string {
  if (e instanceof BadNodeNameError) return e.detail;
  return e instanceof Error ? e.message : String(e);
}
