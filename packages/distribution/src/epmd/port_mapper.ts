/**
 * The port mapper a node uses: a running `epmd` when one answers on the port,
 * otherwise an embedded one that the first node on the host starts, as `erl` starts
 * `epmd`.
 *
 * Starting: probe the port with NAMES_REQ; if nothing answers, try to bind the
 * embedded server there. Two nodes starting at once race for the bind; the loser
 * gets EADDRINUSE and uses the winner's.
 *
 * Takeover: a registered node watches its registration connection. When it closes
 * without the node asking (the node that ran the embedded server stopped or died,
 * or `epmd` was killed), the node waits a moment (jittered, so the survivors do not
 * all hit the port at once), runs the same start-or-use step (one survivor wins the
 * bind race and serves), and registers again; the others register with the winner.
 * `onReregistered` reports the new creation; if registering again keeps failing,
 * `onLost` reports why.
 */
import { getLogger } from '@grove/core';
import { EpmdError } from '../errors';
import { EpmdServer } from './server';
import {
  epmdPort,
  names,
  portPlease,
  register,
  type EpmdNames,
  type EpmdNodeInfo,
  type EpmdRegistration,
  type RegisterRequest,
} from './epmd';

export interface PortMapperOptions {
  /** EPMD port. Default {@link epmdPort}() (GROVE_EPMD_PORT, ERL_EPMD_PORT, 4369). */
  port?: number;
  /** Where the local port mapper is, and where the embedded one binds. Default `127.0.0.1`. */
  host?: string;
  /** Environment for the port variables. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Start an embedded server when none answers. Default true. */
  embedded?: boolean;
}

/** Callbacks of a registration that survives its port mapper going away. */
export interface RegistrationWatch {
  /** Registered again (with a new port mapper); `creation` is the new creation number. */
  onReregistered?: (creation: number) => void;
  /** The registration is gone for good: registering again failed `maxAttempts` times. */
  onLost?: (error: Error) => void;
  /** Attempts to register again before giving up. Default 50 (about 15 s). */
  maxAttempts?: number;
}

/** The port mapper of a node: lookups, registrations, and maybe the embedded server. */
export class PortMapper {
  private ownServer: EpmdServer | undefined;
  private starting: Promise<void> | undefined;
  private readonly registrations = new Set<NodeRegistration>();
  private stopped = false;

  private constructor(
    /** The EPMD port. */
    readonly port: number,
    /** The local port mapper's host. */
    readonly host: string,
    private readonly timeoutMs: number,
    private readonly embedded: boolean,
  ) {}

  /** Uses the port mapper answering on the port, or starts the embedded one. */
  static async ensure(options: PortMapperOptions = {}): Promise<PortMapper> {
    const pm = new PortMapper(epmdPort(options.port, options.env), options.host ?? '127.0.0.1', options.timeoutMs ?? 5000, options.embedded ?? true);
    await pm.ensureServer();
    return pm;
  }

  /** The embedded server this node runs, if it runs one. */
  get server(): EpmdServer | undefined {
    return this.ownServer?.running === true ? this.ownServer : undefined;
  }

  /**
   * Makes sure a port mapper answers on the port: probes, else starts the embedded
   * server (a lost bind race means another node's answers). Concurrent calls share
   * one attempt.
   *
   * @throws EpmdError `unreachable` when none answers and none could be started.
   */
  ensureServer(): Promise<void> {
    this.starting ??= this.startOrUse().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startOrUse(): Promise<void> {
    let unanswered: Error | undefined;
    let bindError: NodeJS.ErrnoException | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.server !== undefined) return;
      unanswered = await names(this.addr()).then(() => undefined, (e: Error) => e);
      if (unanswered === undefined) return;
      if (!this.embedded) break;
      try {
        const server = await EpmdServer.start({ port: this.port, host: this.host });
        if (this.stopped) {
          // `close()` ran while the bind was in flight (a takeover racing a shutdown).
          await server.stop();
          throw new EpmdError('the port mapper client is closed', 'closed');
        }
        this.ownServer = server;
        getLogger('dist').info(`started the embedded port mapper on ${this.host}:${this.port}`);
        return;
      } catch (err) {
        if (err instanceof EpmdError) throw err;
        bindError = err as NodeJS.ErrnoException;
        // EADDRINUSE: another node won the race; its server is about to answer.
        if (bindError.code !== 'EADDRINUSE') break;
        await delay(10 * (attempt + 1));
      }
    }
    throw new EpmdError(noPortMapper(this.host, this.port, unanswered, bindError), 'unreachable', { cause: bindError ?? unanswered });
  }

  /**
   * Registers a node (its name without host, and its listening port), and keeps it
   * registered across port-mapper takeovers (see the file comment).
   *
   * @throws EpmdError `refused` when the name is taken.
   */
  async register(req: RegisterRequest, watch: RegistrationWatch = {}): Promise<NodeRegistration> {
    if (this.stopped) throw new EpmdError('the port mapper client is closed', 'closed');
    await this.ensureServer();
    const reg = new NodeRegistration(this, req, watch, await register(req, this.addr()));
    this.registrations.add(reg);
    return reg;
  }

  /** Looks a node up (its name without host) on `host`'s port mapper (default the local one). */
  portPlease(name: string, host: string = this.host): Promise<EpmdNodeInfo | undefined> {
    return portPlease(name, { ...this.addr(), host });
  }

  /** Lists the names registered on `host`'s port mapper (default the local one). */
  names(host: string = this.host): Promise<EpmdNames> {
    return names({ ...this.addr(), host });
  }

  /** Unregisters every registration made here and stops the embedded server if this node runs it. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const r of this.registrations) r.close();
    this.registrations.clear();
    await this.starting?.catch(() => {});
    await this.ownServer?.stop();
    this.ownServer = undefined;
  }

  /** @internal */
  addr(): { host: string; port: number; timeoutMs: number } {
    return { host: this.host, port: this.port, timeoutMs: this.timeoutMs };
  }

  /** @internal */
  get closed(): boolean {
    return this.stopped;
  }

  /** @internal */
  forget(reg: NodeRegistration): void {
    this.registrations.delete(reg);
  }
}

/** A node's registration, re-made whenever its port mapper goes away. */
export class NodeRegistration {
  private current: EpmdRegistration;
  private closing = false;

  /** @internal */
  constructor(
    private readonly mapper: PortMapper,
    private readonly req: RegisterRequest,
    private readonly watch: RegistrationWatch,
    first: EpmdRegistration,
  ) {
    this.current = first;
    this.follow(first);
  }

  /** The registered name (without host). */
  get name(): string {
    return this.req.name;
  }

  /** The creation number of the current registration. */
  get creation(): number {
    return this.current.creation;
  }

  /** True while registered (false during a takeover and after `close`). */
  get registered(): boolean {
    return this.current.open && !this.closing;
  }

  /** Unregisters for good. */
  close(): void {
    this.closing = true;
    this.current.close();
    this.mapper.forget(this);
  }

  private follow(reg: EpmdRegistration): void {
    void reg.closed.then(({ unexpected }) => {
      if (unexpected && !this.closing && !this.mapper.closed) void this.reregister();
    });
  }

  private async reregister(): Promise<void> {
    const log = getLogger('dist');
    log.info(`port mapper connection for ${this.req.name} lost; registering again`);
    const max = this.watch.maxAttempts ?? 50;
    let lastError: Error = new EpmdError('no attempt made', 'closed');
    for (let attempt = 0; attempt < max; attempt++) {
      await delay(Math.min(20 * 2 ** Math.min(attempt, 4), 300) * (0.5 + Math.random()));
      if (this.closing || this.mapper.closed) return;
      try {
        await this.mapper.ensureServer();
        const reg = await register(this.req, this.mapper.addr());
        if (this.closing || this.mapper.closed) return reg.close();
        this.current = reg;
        this.follow(reg);
        log.info(`registered ${this.req.name} again (creation ${reg.creation})`);
        this.watch.onReregistered?.(reg.creation);
        return;
      } catch (err) {
        lastError = err as Error;
      }
    }
    log.error(`cannot register ${this.req.name} again: ${lastError.message}`);
    this.mapper.forget(this);
    this.watch.onLost?.(lastError);
  }
}

/**
 * The port mapper for `options` (or a port): uses a running one, else starts the
 * embedded one. Shorthand for {@link PortMapper.ensure}.
 */
export function ensurePortMapper(options: PortMapperOptions | number = {}): Promise<PortMapper> {
  return PortMapper.ensure(typeof options === 'number' ? { port: options } : options);
}

/**
 * Why no port mapper could be had on `host:port`, and what to do: what the probe found
 * (nothing, or something that is not a port mapper), why the embedded one could not
 * bind, and the way out for that case.
 */
function noPortMapper(host: string, port: number, unanswered: Error | undefined, bindError: NodeJS.ErrnoException | undefined): string {
  const refused = ((unanswered?.cause ?? undefined) as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
  const found = refused
    ? 'nothing answers there'
    : unanswered instanceof EpmdError && unanswered.kind === 'protocol'
      ? `something listens there but does not answer as a port mapper (${unanswered.message})`
      : (unanswered?.message ?? 'no answer');
  const head = `no port mapper on ${host}:${port}: ${found}`;
  const otherPort = 'choose another port with GROVE_EPMD_PORT';
  if (bindError === undefined) return `${head}, and this node does not start one. Start epmd, or ${otherPort}`;
  const bind = `${head}, and the embedded one cannot start there (${bindError.message})`;
  switch (bindError.code) {
    case 'EADDRINUSE':
      return refused
        ? `${bind}: the port is taken though nothing listens on it, most likely by a connection still in TIME_WAIT (a port mapper that just stopped) or a program bound to it without listening. Wait a minute and retry (ss -tanp 'sport = :${port}' shows what holds it), or ${otherPort}`
        : `${bind}. Stop the program that holds the port (ss -ltnp 'sport = :${port}' shows it) or ${otherPort}`;
    case 'EADDRNOTAVAIL':
      return `${bind}: ${host} is not an address of this host`;
    case 'EACCES':
      return `${bind}: this user may not listen on port ${port}${port < 1024 ? ' (ports below 1024 need privileges)' : ''}. Start epmd, or ${otherPort}`;
    default:
      return `${bind}. Start epmd, or ${otherPort}`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
