/**
 * What a Grove node writes to a BEAM node for calls, casts and sends, byte for byte,
 * and how it reads the replies: a fake BEAM peer (`support/fake_beam.ts`) plays the
 * server. Every frame must be exactly `'p'` + `term_to_binary(Control)` +
 * `term_to_binary(Payload)` of the terms it carries (the channel writes them in place,
 * without building the terms).
 */
import { CallExitError, callServer, castServer, GenServer, NotCopyableError, Pid, Ref } from '@grove/core';
import { Atom, atom, binaryToTerm, DecodeError, ImproperList, isTuple, termToBinary, tuple, type Tuple } from '@grove/distribution';
import { FakeBeam } from './support/fake_beam';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { closed, waitFor } from './support/wait';

afterEach(stopTcpNodes);

/** The frames `f` received, less OTP global's (a Grove node speaks global to every BEAM peer it meets: erlang_global.test.ts). */
function appFrames(f: FakeBeam): Buffer[] {
  return f.frames.filter((frame) => {
    const { control } = FakeBeam.split(frame);
    return !(control.elements[0] === 6 && control.elements[3] instanceof Atom && control.elements[3].name === 'global_name_server');
  });
}

/** The frames of `f` with control op `op` (OTP global's left out), each checked to be the exact encoding of its terms. */
function framesOf(f: FakeBeam, op: number): { control: Tuple; payload: unknown }[] {
  const out: { control: Tuple; payload: unknown }[] = [];
  for (const frame of appFrames(f)) {
    const { control, payload } = FakeBeam.split(frame);
    const again = Buffer.concat([Buffer.from([112]), termToBinary(control), ...(payload === undefined ? [] : [termToBinary(payload)])]);
    expect(frame.toString('hex')).toBe(again.toString('hex'));
    if (control.elements[0] === op) out.push({ control, payload });
  }
  return out;
}

/** The bytes of `{TagRef, Value}` with the ref's node atom written as ATOM_EXT (latin-1), as older OTPs may. */
function replyWithLatin1Node(tag: Ref, value: unknown): Buffer {
  const b = termToBinary(tuple(tag, value));
  const at = b.indexOf(Buffer.from([90, 0, 3, 119])); // NEWER_REFERENCE, 3 words, SMALL_ATOM_UTF8
  const n = b[at + 4]!;
  return Buffer.concat([b.subarray(0, at + 3), Buffer.from([100, 0, n]), b.subarray(at + 5)]);
}

async function connected(): Promise<{ g: Awaited<ReturnType<typeof tcpNode>>; f: FakeBeam }> {
  const g = await tcpNode('wire');
  const f = await FakeBeam.connect(g);
  await waitFor(() => g.nodes().includes(f.name), 'the fake BEAM node to be up');
  return { g, f };
}

describe('calls, casts and sends from a Grove node to a BEAM node, on the wire', () => {
  it("writes a call as OTP's MONITOR_P, REG_SEND {'$gen_call', {Pid, Ref}, Req} and DEMONITOR_P, and takes the reply {Ref, Value}", async () => {
    const { g, f } = await connected();
    const call = g.node.run((ctx) => callServer(ctx, ['srv', f.name], tuple(atom('get'), 1)));
    await waitFor(() => framesOf(f, 6).length === 1, 'the request');
    const [mon] = framesOf(f, 19);
    const [{ control, payload }] = framesOf(f, 6);
    const caller = control.elements[1] as Pid;
    expect(caller).toBeInstanceOf(Pid);
    expect(control.elements.slice(2)).toEqual([atom(''), atom('srv')]);
    expect(mon!.control.elements.slice(1, 3)).toEqual([caller, atom('srv')]);
    const req = payload as Tuple;
    expect(req.elements[0]).toEqual(atom('$gen_call'));
    expect(req.elements[2]).toEqual(tuple(atom('get'), 1));
    const from = req.elements[1] as Tuple;
    expect(from.elements[0]).toEqual(caller);
    const tag = from.elements[1] as Ref;
    expect(tag.node).toBe(g.name);
    // The reply, to the caller's pid: SEND.
    f.send(tuple(2, atom(''), caller), tuple(tag, atom('got')));
    await expect(call).resolves.toEqual(atom('got'));
    await waitFor(() => framesOf(f, 20).length === 1, 'the demonitor');
    expect(framesOf(f, 20)[0]!.control.elements.slice(1)).toEqual(mon!.control.elements.slice(1));
    f.socket.destroy();
  });

  it('takes a reply sent with SEND_SENDER, and one whose ref names this node in another atom form', async () => {
    const { g, f } = await connected();
    const values: unknown[] = [];
    const done = g.node.run(async (ctx) => {
      for (let i = 0; i < 2; i++) values.push(await callServer(ctx, ['srv', f.name], i));
    });
    const tagOf = (k: number): { caller: Pid; tag: Ref } => {
      const { control, payload } = framesOf(f, 6)[k]!;
      return { caller: control.elements[1] as Pid, tag: ((payload as Tuple).elements[1] as Tuple).elements[1] as Ref };
    };
    await waitFor(() => framesOf(f, 6).length === 1, 'the first request');
    const first = tagOf(0);
    f.send(tuple(22, f.pid(3), first.caller), tuple(first.tag, 'zero'));
    await waitFor(() => framesOf(f, 6).length === 2, 'the second request');
    const second = tagOf(1);
    f.raw(Buffer.concat([Buffer.from([112]), termToBinary(tuple(2, atom(''), second.caller)), replyWithLatin1Node(second.tag, 'one')]));
    await done;
    expect(values).toEqual(['zero', 'one']);
    // A message shaped like a reply whose ref is not this node's is a message.
    const got: unknown[] = [];
    const inbox = g.node.spawnLoop((m) => void got.push(m));
    const foreign = new Ref(f.name, 7, -1, false, [1, 0, 0x67726f76]);
    f.send(tuple(2, atom(''), inbox), tuple(foreign, 'x'));
    await waitFor(() => got.length === 1, 'the message');
    expect(got[0]).toEqual(tuple(foreign, 'x'));
    f.socket.destroy();
  });

  it('writes casts and sends as OTP does: REG_SEND {\'$gen_cast\', Req}, SEND_SENDER with any term', async () => {
    const { g, f } = await connected();
    const target = f.pid(5);
    const self = await g.node.run(async (ctx) => {
      castServer(ctx, ['srv', f.name], tuple(atom('put'), 'k', [1, 2.5, { a: true }]));
      ctx.send(target, new Map<unknown, unknown>([[1, 'x']]));
      ctx.send(['named', f.name], 'hello');
      // Pids met again and new ones, in turn (the writer remembers the last two).
      for (const id of [6, 7, 5, 6, 5]) ctx.send(f.pid(id), id);
      return ctx.self;
    });
    await waitFor(() => appFrames(f).length >= 8, 'the eight messages');
    const [cast, named] = framesOf(f, 6);
    expect((cast!.control.elements[1] as Pid).equals(self)).toBe(true);
    expect(cast!.control.elements.slice(2)).toEqual([atom(''), atom('srv')]);
    expect(cast!.payload).toEqual(tuple(atom('$gen_cast'), tuple(atom('put'), 'k', [1, 2.5, { a: true }])));
    expect(named!.payload).toBe('hello');
    const [send] = framesOf(f, 22);
    expect((send!.control.elements[1] as Pid).equals(self)).toBe(true);
    expect((send!.control.elements[2] as Pid).equals(target)).toBe(true);
    expect(send!.payload).toEqual(new Map([[1, 'x']]));
    const more = framesOf(f, 22).slice(1);
    expect(more.map((m) => [(m.control.elements[2] as Pid).id, m.payload])).toEqual([6, 7, 5, 6, 5].map((id) => [id, id]));
    expect(more.every((m) => (m.control.elements[1] as Pid).equals(self))).toBe(true);
    f.socket.destroy();
  });

  it('refuses a request it cannot encode at the caller, writing none of it, and goes on', async () => {
    const { g, f } = await connected();
    await expect(g.node.run((ctx) => callServer(ctx, ['srv', f.name], tuple(atom('f'), () => 1)))).rejects.toThrow(NotCopyableError);
    await expect(g.node.run(async (ctx) => ctx.send(f.pid(2), [new Date(0)]))).rejects.toThrow(NotCopyableError);
    await g.node.run((ctx) => ctx.send(['named', f.name], 'after'));
    await waitFor(() => framesOf(f, 6).length === 1, 'the message after');
    expect(framesOf(f, 6)[0]!.payload).toBe('after');
    // The refused call's monitor was taken down again.
    expect(framesOf(f, 19).length).toBe(framesOf(f, 20).length);
    f.socket.destroy();
  });

  it('reads a pid met again as the same Pid, and every pid as its value', () => {
    const p = new Pid('e1@127.0.0.1', 42, 0, 3);
    const q = new Pid('e1@127.0.0.1', 43, 0, 3);
    const r = new Pid('e2@127.0.0.1', 42, 0, 3);
    const s = new Pid('e3@127.0.0.1', 42, 1, 4);
    const pids = [p, p, q, q, r, r, p, s, q, r, s];
    const got = binaryToTerm(termToBinary(pids)) as Pid[];
    expect(got.map((x) => x.key)).toEqual(pids.map((x) => x.key));
    expect(got[1]).toBe(got[0]);
    expect(got[3]).toBe(got[2]);
    expect(got[5]).toBe(got[4]);
    // A pid of a node met before, cut short: an error, not a pid.
    const two = termToBinary([p, p]);
    expect(() => binaryToTerm(Buffer.concat([two.subarray(0, two.length - 5), Buffer.from([106])]))).toThrow(DecodeError);
  });
});

/** A GenServer that answers every call with `{echo, Req}`. */
class Echo extends GenServer {
  override handleCall(req: unknown): unknown {
    return tuple(atom('echo'), req);
  }
}

describe('calls from a BEAM node to a Grove server, on the wire', () => {
  it("answers {'$gen_call', {Pid, Tag}, Req} with {Tag, Reply} to the caller's pid, the tag as it came", async () => {
    const { g, f } = await connected();
    await Echo.start(g.node, undefined, { name: 'echo' });
    const caller = f.pid(4);
    const aliasTag = new ImproperList([atom('alias')], new Ref(f.name, 7, -1, false, [11, 12, 13]));
    const plainTag = new Ref(f.name, 7, -1, false, [21, 22, 23]);
    f.send(tuple(6, caller, atom(''), atom('echo')), tuple(atom('$gen_call'), tuple(caller, aliasTag), 1));
    f.send(tuple(6, caller, atom(''), atom('echo')), tuple(atom('$gen_call'), tuple(caller, plainTag), 'two'));
    await waitFor(() => framesOf(f, 2).length === 2, 'the two replies');
    const replies = framesOf(f, 2);
    for (const r of replies) {
      expect(r.control.elements[1]).toEqual(atom(''));
      expect((r.control.elements[2] as Pid).equals(caller)).toBe(true);
    }
    expect(replies[0]!.payload).toEqual(tuple(aliasTag, tuple(atom('echo'), 1)));
    expect(replies[1]!.payload).toEqual(tuple(plainTag, tuple(atom('echo'), 'two')));
    f.socket.destroy();
  });
});

describe('a reply to a call from a BEAM node, given bad input', () => {
  it('closes the connection of a peer whose reply is cut short or has bytes after it; the call fails with nodedown', async () => {
    for (const bad of [(b: Buffer) => b.subarray(0, b.length - 2), (b: Buffer) => Buffer.concat([b, Buffer.from([97, 1])])]) {
      const { g, f } = await connected();
      const call = g.node.run((ctx) => callServer(ctx, ['srv', f.name], atom('ping'))).catch((e: unknown) => e);
      await waitFor(() => framesOf(f, 6).length === 1, 'the request');
      const { control, payload } = framesOf(f, 6)[0]!;
      const tag = ((payload as Tuple).elements[1] as Tuple).elements[1] as Ref;
      const reply = termToBinary(tuple(tag, atom('pong')));
      f.raw(Buffer.concat([Buffer.from([112]), termToBinary(tuple(2, atom(''), control.elements[1])), bad(reply)]));
      await closed(f.socket);
      const err = await call;
      expect(err).toBeInstanceOf(CallExitError);
      expect((err as CallExitError).reason).toEqual({ nodedown: f.name });
      expect(isTuple(await g.node.run(() => tuple(atom('still'), atom('up'))))).toBe(true);
    }
  });
});
