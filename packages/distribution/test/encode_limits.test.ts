/**
 * The sender holds a message to the receiver's limits (the fuzz suite's "a batch the
 * encoder made was refused"): the nesting depth, counted as the decoder counts it
 * (containers are levels, pids and refs are not), and the decoding budget of a frame
 * (`decodeBudget`: Maps, Sets, Errors, Buffers and class instances for its size). What
 * the receiver would refuse, closing the connection, fails its sender instead with a
 * NotCopyableError, writing nothing; the connection stays up and the next message
 * gets through. A batch that only its neighbours would put over the budget is sent
 * as a batch of its own.
 */
import { NotCopyableError, Pid, registerClass } from '@grove/core';
import { ControlDecoder, ControlEncoder, decodeBudget, decodeTerm, DEFAULT_MAX_DEPTH, encodeTerm } from '@grove/distribution/internal';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

const here = { localNode: 'a@h', localCreation: 1 };
const a = new Pid('a@h', 10, 0, 1);
const b = new Pid('b@h', 20, 0, 7);

class Box {
  constructor(readonly inner: unknown) {}
}
registerClass(Box, { name: 'EncodeLimitsBox', toTerm: (x) => [x.inner], fromTerm: (t) => new Box((t as unknown[])[0]) });

afterEach(async () => {
  await stopTcpNodes();
});

/** An Error of a few bytes on the wire: empty name and message, no stack. */
function tinyError(cause?: unknown): Error {
  const e = cause === undefined ? new Error('') : new Error('', { cause });
  Object.defineProperty(e, 'name', { value: '', enumerable: false });
  delete (e as { stack?: string }).stack;
  return e;
}

/** An Error that pays its way in the budget (4096 per Error, 64 per byte): a 60-byte message. */
function error(cause: unknown): Error {
  const e = new Error('x'.repeat(60), { cause });
  delete (e as { stack?: string }).stack;
  return e;
}

/** `levels` containers, each inside the next, of the kind `wrap` makes; `leaf` innermost. */
function nest(levels: number, wrap: (inner: unknown, level: number) => unknown, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = wrap(v, i);
  return v;
}

const SHAPES: [string, (inner: unknown, level: number) => unknown][] = [
  ['Maps', (x) => new Map([['k', x]])],
  ['Errors (as causes)', (x) => error(x)],
  ['Maps, Errors, Sets, class instances, arrays and objects', (x, i) => [() => new Map([[x, 0]]), () => error(x), () => new Set([x]), () => new Box(x), () => [x], () => ({ x })][i % 6]!()],
];

/** The number of levels of `nest(n, wrap)` as the decoder counts them (a Box is two: the instance and its term). */
function levels(shape: string, n: number): number {
  return shape.startsWith('Maps, Errors') ? n + Math.floor((n + 2) / 6) : n;
}

/** The most containers of `wrap` that fit `DEFAULT_MAX_DEPTH` levels. */
function atLimit(shape: string): number {
  let n = DEFAULT_MAX_DEPTH;
  while (levels(shape, n) > DEFAULT_MAX_DEPTH) n--;
  return n;
}

/** An encoder holding `before`; runs `send`; returns what it threw (undefined: nothing) after checking the batch was left alone when it threw. */
function sendAfter(enc: ControlEncoder, send: () => void): unknown {
  const length = enc.length;
  const count = enc.count;
  const atoms = enc.terms.atoms.size;
  try {
    send();
    return undefined;
  } catch (e) {
    expect(enc.length).toBe(length);
    expect(enc.count).toBe(count);
    expect(enc.terms.atoms.size).toBe(atoms);
    return e;
  }
}

describe('the sender holds a message to the receiver\'s nesting limit', () => {
  it.each(SHAPES)('deep nesting of %s: at the limit it crosses, one level past it is refused at the sender, and the batch goes on', (shape, wrap) => {
    const n = atLimit(shape);
    expect(levels(shape, n)).toBeLessThanOrEqual(DEFAULT_MAX_DEPTH);
    const enc = new ControlEncoder();
    enc.send(a, b, 'before');
    expect(sendAfter(enc, () => enc.send(a, b, nest(n, wrap)))).toBeUndefined();
    let past = n + 1;
    while (levels(shape, past) <= DEFAULT_MAX_DEPTH) past++;
    const err = sendAfter(enc, () => enc.send(a, b, nest(past, wrap)));
    expect(err).toBeInstanceOf(NotCopyableError);
    expect((err as Error).message).toMatch(/nesting deeper than 1000 levels/);
    enc.send(a, b, 'after');
    const out = new ControlDecoder(here).decodeAll(enc.take());
    expect(out.map((m) => m.type)).toEqual(['send', 'send', 'send']);
    expect((out[2] as { msg: unknown }).msg).toBe('after');
  });

  it('counts pids and refs as the decoder does: not levels', () => {
    const value = nest(DEFAULT_MAX_DEPTH, (x) => new Map([['k', x]]), b);
    const bytes = encodeTerm(value);
    let v = decodeTerm(bytes, here);
    for (let i = 0; i < DEFAULT_MAX_DEPTH; i++) v = (v as Map<string, unknown>).get('k');
    expect(v).toEqual(b);
  });
});

describe('the sender holds a batch to the receiver\'s decoding budget', () => {
  /** `n` tiny Errors (about 6 bytes each on the wire, 4096 each to the budget). */
  const errors = (n: number): Error[] => Array.from({ length: n }, () => tinyError());

  /** The most of `make`'s units one message may carry alone. */
  function most(make: (n: number) => unknown): number {
    let lo = 1;
    let hi = DEFAULT_MAX_DEPTH - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        new ControlEncoder().send(a, b, make(mid));
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    return lo;
  }
  const mostErrors = (): number => most(errors);

  const BUDGET_SHAPES: [string, (n: number) => unknown][] = [
    ['tiny Errors side by side', errors],
    ['tiny Errors nested (causes)', (n) => nest(n, (x) => tinyError(x))],
    ['Errors and Maps nested', (n) => nest(n, (x, i) => (i % 2 === 0 ? tinyError(x) : new Map([['k', x]])))],
  ];

  it.each(BUDGET_SHAPES)('%s: at the limit the message crosses; one more is refused at the sender, exactly where the receiver would refuse it', (_shape, make) => {
    const n = most(make);
    expect(n).toBeGreaterThan(60); // the budget's base alone is 64 Errors
    const enc = new ControlEncoder();
    const dec = new ControlDecoder(here);
    enc.send(a, b, make(n));
    expect(dec.decodeAll(enc.take())).toHaveLength(1);

    const err = sendAfter(enc, () => enc.send(a, b, make(n + 1)));
    expect(err).toBeInstanceOf(NotCopyableError);
    expect((err as Error).message).toMatch(/the message would build about \d+ bytes of Maps, Sets, Errors, Buffers and class instances in \d+ bytes, over the receiver's decoding budget of \d+ .*: the receiver would refuse it/);
    // What a sender without the check would have sent: the receiver refuses it.
    const hostile = new ControlEncoder({ budget: false });
    hostile.send(a, b, make(n + 1));
    expect(() => new ControlDecoder(here).decodeAll(hostile.take())).toThrow(/would build more than \d+ bytes of terms/);
    // The encoder goes on.
    enc.send(a, b, 'after');
    expect(dec.decodeAll(enc.take())).toMatchObject([{ type: 'send', msg: 'after' }]);
  });

  it('refuses a term encodeTerm would make that decodeTerm would refuse', () => {
    const n = mostErrors();
    expect(() => encodeTerm(errors(2 * n))).toThrow(/over the receiver's decoding budget/);
    expect(decodeTerm(encodeTerm(errors(n - 2)), here)).toHaveLength(n - 2);
    expect(decodeBudget(0)).toBeGreaterThan(0);
  });

  it('over a TCP connection: the message over a limit fails its sender, the connection stays up, the next message gets through', async () => {
    const x = await tcpNode('limits_a');
    const y = await tcpNode('limits_b');
    const got: unknown[] = [];
    const sink = y.node.spawnLoop((m: unknown) => void got.push(m));
    await x.connect(y.name);
    const n = mostErrors();
    const deep = nest(DEFAULT_MAX_DEPTH + 1, (v) => new Map([['k', v]]));
    const failures: unknown[] = [];
    await x.node.run(async (ctx) => {
      for (const bad of [deep, errors(n + 20), nest(DEFAULT_MAX_DEPTH + 1, (v) => error(v)), nest(DEFAULT_MAX_DEPTH, (v) => tinyError(v))]) {
        try {
          ctx.send(sink, bad);
        } catch (e) {
          failures.push(e);
        }
      }
      ctx.send(sink, 'next');
      // Messages each under the budget alone but not in one batch: they go in batches of their own.
      for (let i = 0; i < 3; i++) ctx.send(sink, errors(n));
      ctx.send(sink, 'last');
    });
    expect(failures).toHaveLength(4);
    for (const e of failures) expect(e).toBeInstanceOf(NotCopyableError);
    await waitFor(() => got.includes('last'), 'the messages after the refused ones');
    expect(got.map((m) => (Array.isArray(m) ? m.length : m))).toEqual(['next', n, n, n, 'last']);
    expect(x.connectionInfo(y.name)).toMatchObject({ state: 'up' });
    await expect(x.ping(y.name)).resolves.toBe('pong');
  });
});
