/**
 * A fault-injecting relay: one link between two real nodes runs through it, and
 * the test cuts it, heals it, slows it, makes it lossy or holds it, without
 * touching either node.
 *
 * How the link goes through it: each node has its own port mapper. The relay
 * listens on two ports and registers the other node's name, at its own port, in
 * each node's port mapper (with the node's real type and extra bytes): A looks up B
 * and gets the relay, which forwards to B's real port, and the other way round. Any
 * connection between the two, whichever side dials, is a pair of sockets in the relay.
 *
 * The faults, as TCP shows them to the nodes (a byte stream never loses a byte in
 * the middle: what a real network loses ends the connection):
 * - `cut()` closes both sockets of every connection and refuses new ones until
 *   `heal()`: both nodes see the connection drop (monitors get `noconnection`);
 * - `delay(ms)` forwards every chunk `ms` later, in order;
 * - `drop(ratio)` resets the link on each forwarded chunk with probability `ratio`
 *   (seeded, so a run can be replayed): a lossy link that keeps breaking;
 * - `pause()` holds every chunk, the sockets open (a silent peer: the net tick
 *   timeout notices), until `resume()`;
 * - `heal()` takes every fault away.
 */
import * as net from 'node:net';
import { aliveOf, portPlease } from '@grove/distribution';
import { register, type EpmdRegistration } from '@grove/distribution/internal';

/** One end of the link: a node and the port mapper it is registered with (its own, not the other end's). */
export interface RelayEnd {
  name: string;
  epmdPort: number;
}

export interface RelayOptions {
  a: RelayEnd;
  b: RelayEnd;
  /** Seed of {@link Relay.drop}'s choices. Default 1. */
  seed?: number;
}

interface Pair {
  readonly client: net.Socket;
  readonly server: net.Socket;
}

/** mulberry32: a small seeded PRNG, so that a lossy run can be replayed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Relay {
  private readonly pairs = new Set<Pair>();
  private readonly servers: net.Server[] = [];
  private readonly registrations: EpmdRegistration[] = [];
  private readonly random: () => number;
  private isCut = false;
  private paused = false;
  private delayMs = 0;
  private dropRatio = 0;
  private cutCount = 0;
  private connectionCount = 0;

  private constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** Puts a relay between `a` and `b` (both registered with their own port mapper already). */
  static async start(options: RelayOptions): Promise<Relay> {
    const { a, b } = options;
    if (a.epmdPort === b.epmdPort) throw new Error('Relay: the two nodes need port mappers of their own (the relay registers each under the other one)');
    const relay = new Relay(options.seed ?? 1);
    try {
      const [infoA, infoB] = await Promise.all([Relay.lookup(a), Relay.lookup(b)]);
      const toB = await relay.listen(infoB.port);
      const toA = await relay.listen(infoA.port);
      relay.registrations.push(await register({ name: infoB.name, port: toB, hidden: infoB.nodeType === 72, extra: infoB.extra }, { port: a.epmdPort }));
      relay.registrations.push(await register({ name: infoA.name, port: toA, hidden: infoA.nodeType === 72, extra: infoA.extra }, { port: b.epmdPort }));
    } catch (e) {
      await relay.close();
      throw e;
    }
    return relay;
  }

  private static async lookup(end: RelayEnd) {
    const info = await portPlease(aliveOf(end.name), { port: end.epmdPort });
    if (info === undefined) throw new Error(`Relay: ${end.name} is not registered with the port mapper on port ${end.epmdPort}`);
    return info;
  }

  /** Connections open through the relay now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Connections accepted (and forwarded) since the start. */
  get accepted(): number {
    return this.connectionCount;
  }

  /** How many times the link was cut or dropped. */
  get cuts(): number {
    return this.cutCount;
  }

  /** Closes every connection of the link (both sides) and refuses new ones until {@link heal}. */
  cut(): void {
    this.isCut = true;
    this.resetAll();
  }

  /** Takes every fault away: accepts connections again, forwards at once, drops nothing, holds nothing. */
  heal(): void {
    this.isCut = false;
    this.delayMs = 0;
    this.dropRatio = 0;
    this.resume();
  }

  /** Forwards every chunk `ms` later than it came, in order (0: at once). */
  delay(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`delay: ms must be a finite number >= 0, got ${String(ms)}`);
    this.delayMs = ms;
  }

  /** Resets the link on each forwarded chunk with probability `ratio` (0 to 1). */
  drop(ratio: number): void {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`drop: ratio must be between 0 and 1, got ${String(ratio)}`);
    this.dropRatio = ratio;
  }

  /** Holds every chunk, the connections open, until {@link resume} or {@link heal}. */
  pause(): void {
    this.paused = true;
  }

  /** Forwards what {@link pause} held, in order, and what comes next. */
  resume(): void {
    this.paused = false;
    for (const p of this.pairs) {
      for (const s of [p.client, p.server]) (s as HeldSocket).pump?.();
    }
  }

  /** Unregisters from both port mappers, closes every connection and both listeners. */
  async close(): Promise<void> {
    for (const r of this.registrations.splice(0)) r.close();
    this.resetAll(false);
    await Promise.all(this.servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private listen(targetPort: number): Promise<number> {
    const server = net.createServer((client) => this.accept(client, targetPort));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  private accept(client: net.Socket, targetPort: number): void {
    client.on('error', () => client.destroy());
    if (this.isCut) {
      client.destroy();
      return;
    }
    this.connectionCount++;
    client.setNoDelay(true);
    const server = net.connect({ host: '127.0.0.1', port: targetPort });
    server.setNoDelay(true);
    server.on('error', () => server.destroy());
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.once('close', end);
    server.once('close', end);
    this.forward(pair, client, server);
    this.forward(pair, server, client);
  }

  /** Forwards `from` to `to` through a queue that delay, pause and drop act on; order is kept. */
  private forward(pair: Pair, from: net.Socket, to: net.Socket): void {
    const queue: { at: number; data: Buffer }[] = [];
    let timer: NodeJS.Timeout | null = null;
    const pump = (): void => {
      while (queue.length > 0 && !this.paused && !to.destroyed) {
        const wait = queue[0]!.at - Date.now();
        if (wait > 0) {
          timer ??= setTimeout(() => {
            timer = null;
            pump();
          }, wait);
          return;
        }
        const { data } = queue.shift()!;
        if (this.dropRatio > 0 && this.random() < this.dropRatio) {
          this.cutCount++;
          this.reset(pair);
          return;
        }
        if (!to.write(data) && !from.isPaused()) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      }
    };
    (from as HeldSocket).pump = pump;
    from.on('data', (data: Buffer) => {
      queue.push({ at: Date.now() + this.delayMs, data });
      pump();
    });
    from.once('close', () => timer !== null && clearTimeout(timer));
  }

  private reset(pair: Pair): void {
    this.pairs.delete(pair);
    for (const s of [pair.client, pair.server]) {
      if (s.destroyed) continue;
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy(); // not a TCP handle any more
      }
    }
  }

  private resetAll(count = true): void {
    if (count && this.pairs.size > 0) this.cutCount++;
    for (const p of [...this.pairs]) this.reset(p);
  }
}

/** A socket with its forwarding pump attached, so that resume() can restart it. */
type HeldSocket = net.Socket & { pump?: () => void };
