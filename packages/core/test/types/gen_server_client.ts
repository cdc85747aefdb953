/**
 * Type tests for GenServer clients, compiled (never run) by
 * `npx tsc -p tsconfig.test.json`. Every `@ts-expect-error` line must fail to
 * compile: a wrong message name, argument or reply type is a compile error.
 */
import { Call, Cast, clientOf, GenServer, Info, type Handlers, type Node, type NoReply, type Pid, type ProcessContext, type ProtocolOf, type ServerRef, type Client } from '@grove/core';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

// ---- a protocol declared by name: the signatures are the class's own methods ----

class Counter extends GenServer<{ call: 'add' | 'label' | 'pop' | 'quit' | 'vanish'; cast: 'reset' }> {
  private n = 0;
  override init(start: number) {
    this.n = start;
  }
  @Call() add(k: number): number {
    return (this.n += k);
  }
  @Call() async label(prefix: string): Promise<string> {
    return `${prefix}${this.n}`;
  }
  @Call() pop(): number | NoReply {
    return this.n > 0 ? this.n : this.noReply();
  }
  @Call() quit() {
    return this.stopWith('normal', 'bye' as const);
  }
  @Call() vanish() {
    return this.stopWith('normal');
  }
  @Cast() reset(): void {
    this.n = 0;
  }
  private helper(): number {
    return this.n;
  }
  protected shielded(): number {
    return this.helper();
  }
  /** Public, undecorated, not in the protocol: not a message. */
  peek(): number {
    return this.shielded();
  }
}

class MaybeIgnores extends GenServer {
  override init(skip: boolean) {
    if (skip) return this.ignore();
    return undefined;
  }
}

class NoArgs extends GenServer<{ call: 'ping' }> {
  @Call() ping(): 'pong' {
    return 'pong';
  }
}

export async function named(ctx: ProcessContext, node: Node, pid: Pid): Promise<void> {
  const c = Counter.client(ctx, pid);
  const fromNode = Counter.client(node, 'counter');

  assertType<Equal<typeof c.call.add, (k: number) => Promise<number>>>();
  assertType<Equal<ReturnType<typeof c.call.label>, Promise<string>>>();
  assertType<Equal<ReturnType<typeof c.call.pop>, Promise<number>>>();
  assertType<Equal<ReturnType<typeof c.call.quit>, Promise<'bye'>>>();
  assertType<Equal<ReturnType<typeof c.call.vanish>, Promise<never>>>();
  assertType<Equal<typeof c.cast.reset, () => void>>();
  const n: number = await fromNode.call.add(1);
  c.cast.reset();
  void n;

  // A client elsewhere, with the class's type only.
  const remote = clientOf<ProtocolOf<Counter>>(ctx, ['counter', 'b@host']);
  assertType<Equal<typeof remote.call.add, (k: number) => Promise<number>>>();
  assertType<Equal<typeof remote.cast.reset, () => void>>();
  // @ts-expect-error: a protocol by name has no signatures: clientOf takes ProtocolOf<Cls>
  clientOf<{ call: 'add' }>(ctx, pid);

  // @ts-expect-error: an undeclared message
  await c.call.subtract(1);
  // @ts-expect-error: a wrong argument type
  await c.call.add('5');
  // @ts-expect-error: a missing argument
  await c.call.add();
  // @ts-expect-error: too many arguments
  await c.call.add(1, 2);
  // @ts-expect-error: a wrong reply type
  const s: string = await c.call.add(5);
  void s;
  // @ts-expect-error: a wrong argument to a cast
  c.cast.reset(1);
  // @ts-expect-error: add is a call: it cannot be cast
  c.cast.add(1);
  // @ts-expect-error: reset is a cast: it cannot be called
  await c.call.reset();
  // @ts-expect-error: a public method the protocol does not name is not a message
  await c.call.peek();
  // @ts-expect-error: nor is it a cast
  c.cast.peek();
  // @ts-expect-error: GenServer's own callbacks are not messages
  await c.call.init(1);
  // @ts-expect-error: nor is terminate
  c.cast.terminate('normal');
  // @ts-expect-error: private methods are not messages
  await c.call.helper();
  // @ts-expect-error: protected methods are not messages
  await c.call.shielded();
}

export async function starting(ctx: ProcessContext, node: Node): Promise<void> {
  assertType<Equal<ReturnType<typeof Counter.start<Counter>>, Promise<ServerRef<Counter>>>>();
  const pid: Pid = await Counter.start(node, 1, { name: 'counter' });
  const linked = await Counter.startLink(ctx, 2);
  // A reference: typed calls and casts from the class's protocol, still a pid.
  assertType<Equal<Awaited<ReturnType<typeof linked.call.add>>, number>>();
  assertType<Equal<Awaited<ReturnType<typeof linked.call.label>>, string>>();
  linked.cast.reset();
  ctx.link(linked);
  const other: Client<ProtocolOf<Counter>> = linked.client(node, { timeoutMs: 100 });
  void other;
  // @ts-expect-error: add takes a number
  await linked.call.add('1');
  // @ts-expect-error: reset is a cast
  await linked.call.reset();
  // @ts-expect-error: not a message
  await linked.call.peek();
  const ping = await NoArgs.start(node);
  assertType<Equal<Awaited<ReturnType<typeof ping.call.ping>>, 'pong'>>();
  const maybe = await MaybeIgnores.start(node, true);
  assertType<Equal<typeof maybe, ServerRef<MaybeIgnores> | 'ignore'>>();
  if (maybe !== 'ignore') {
    // @ts-expect-error: a class that declares no protocol has no typed calls
    await maybe.call.anything();
  }
  void pid;

  // @ts-expect-error: init takes a number
  await Counter.start(node, 'one');
  // @ts-expect-error: init's argument is required
  await Counter.start(node);
  // @ts-expect-error: init may ignore, so the result may be 'ignore'
  const p: Pid = await MaybeIgnores.start(node, false);
  void p;
  // @ts-expect-error: an unknown start option
  await NoArgs.start(node, undefined, { nmae: 'x' });
  // @ts-expect-error: a child spec's args are checked too
  Counter.childSpec('x');
}

// ---- no declared protocol: no typed client (the untyped callServer / castServer remain) ----

class Undeclared extends GenServer {
  @Call() add(k: number): number {
    return k;
  }
  @Cast() reset(): void {}
}

export function undeclared(ctx: ProcessContext, pid: Pid): void {
  // @ts-expect-error: a typed client needs a declared protocol: types cannot see which methods are decorated
  Undeclared.client(ctx, pid);
}

// ---- decorators are checked against the class and its declared protocol ----

export class NotAServer {
  // @ts-expect-error: @Call routes messages to a GenServer's methods
  @Call() add(k: number): number {
    return k;
  }
  // @ts-expect-error: so does @Cast
  @Cast() reset(): void {}
  // @ts-expect-error: and @Info
  @Info('tick') tick(): void {}
}

export class WrongSides extends GenServer<{ call: 'add'; cast: 'reset' }> {
  // @ts-expect-error: add is declared a call
  @Cast() add(k: number): number {
    return k;
  }
  // @ts-expect-error: reset is declared a cast
  @Call() reset(): void {}
  // @ts-expect-error: a handler the protocol does not name
  @Call() extra(): number {
    return 1;
  }
  @Info('tick') tick(): void {}
}

class Base extends GenServer<{ call: 'hello' }> {
  @Call() hello(): string {
    return 'hi';
  }
}

/** A subclass that adds messages redeclares the whole protocol. */
class Derived extends Base {
  declare readonly '~protocol'?: { call: 'hello' | 'extra' };
  @Call() extra(): number {
    return 42;
  }
}

export async function inherited(ctx: ProcessContext, pid: Pid): Promise<void> {
  const d = Derived.client(ctx, pid);
  const got: [string, number] = [await d.call.hello(), await d.call.extra()];
  void got;
  // @ts-expect-error: the base's protocol does not name extra
  await Base.client(ctx, pid).call.extra();
}

// ---- a protocol declared with signatures ----

interface KvProtocol {
  call: { get(key: string): string | undefined; put(key: string, value: string): 'ok' };
  cast: { clear(): void };
}

class Kv extends GenServer<KvProtocol> implements Handlers<KvProtocol> {
  private data = new Map<string, string>();
  @Call() get(key: string): string | undefined {
    return this.data.get(key);
  }
  @Call() async put(key: string, value: string): Promise<'ok'> {
    this.data.set(key, value);
    return 'ok';
  }
  @Cast() clear(): void {
    this.data.clear();
  }
}

export class WrongReply extends GenServer<KvProtocol> implements Handlers<KvProtocol> {
  // @ts-expect-error: a handler's reply does not match the declared protocol
  @Call() get(key: string): number {
    return key.length;
  }
  @Call() put(): 'ok' {
    return 'ok';
  }
  @Cast() clear(): void {}
}

export class WrongArgs extends GenServer<KvProtocol> implements Handlers<KvProtocol> {
  // @ts-expect-error: a handler's argument does not match the declared protocol
  @Call() get(key: number): string {
    return String(key);
  }
  @Call() put(): 'ok' {
    return 'ok';
  }
  @Cast() clear(): void {}
}

export class WrongDecorators extends GenServer<KvProtocol> {
  // @ts-expect-error: put is declared a call
  @Cast() put(): void {}
  // @ts-expect-error: clear is declared a cast
  @Call() clear(): void {}
  // @ts-expect-error: even without implements Handlers, a decorated handler is checked against the protocol
  @Call() get(key: number): string {
    return String(key);
  }
}

export class Renamed extends GenServer<KvProtocol> {
  // @ts-expect-error: with signatures, a message is named after its handler (clientOf sends the protocol's names)
  @Call('get') fetch(key: string): string | undefined {
    return key;
  }
}

export async function declared(ctx: ProcessContext, pid: Pid): Promise<void> {
  const kv = Kv.client(ctx, pid);
  const remote = clientOf<KvProtocol>(ctx, ['kv', 'b@host']);
  assertType<Equal<ReturnType<typeof kv.call.get>, Promise<string | undefined>>>();
  assertType<Equal<ReturnType<typeof remote.call.put>, Promise<'ok'>>>();
  remote.cast.clear();
  const slow = remote.withTimeout(100);

  // @ts-expect-error: put is a call, not a cast
  kv.cast.put('a', 'b');
  // @ts-expect-error: clear is a cast, not a call
  await kv.call.clear();
  // @ts-expect-error: a wrong argument type through a protocol-only client
  await remote.call.put('a', 1);
  // @ts-expect-error: a wrong reply type through a protocol-only client
  const r: number = await slow.call.put('a', 'b');
  void r;
}

export async function startChildTyped(node: Node, sup: Pid): Promise<void> {
  const { startChild } = await import('@grove/core');
  const ref = await startChild(node, sup, Counter.childSpec(1));
  assertType<Equal<typeof ref, ServerRef<Counter>>>();
  const maybe = await startChild(node, sup, MaybeIgnores.childSpec(true));
  assertType<Equal<typeof maybe, ServerRef<MaybeIgnores> | 'ignore'>>();
  const plain = await startChild(node, sup, { id: 'x', start: async () => 'ignore' as const });
  assertType<Equal<typeof plain, Pid | 'ignore'>>();
  // @ts-expect-error: add takes a number
  await ref.call.add('1');
}
