import { Pid } from '@grove/core';
import { ControlDecoder, ControlEncoder, encodeTerm, type ControlMessage } from '@grove/distribution/internal';

const here = { localNode: 'a@h', localCreation: 1 };

function decodeSends(pairs: [from: Pid, to: Pid][]): { from: Pid; to: Pid }[] {
  const enc = new ControlEncoder();
  for (const [from, to] of pairs) enc.send(from, to, 0);
  return new ControlDecoder(here).decodeAll(enc.take()) as Extract<ControlMessage, { type: 'send' }>[] as { from: Pid; to: Pid }[];
}

describe('decoding the pids of a stream of sends', () => {
  it('gives the same Pid object back while the sender repeats', () => {
    const from = new Pid('b@h', 300, 0, 1_700_000_000);
    const to = new Pid('a@h', 5, 0, 1);
    const out = decodeSends([[from, to], [from, to], [from, to]]);
    expect(out[1]!.from).toBe(out[0]!.from);
    expect(out[2]!.from).toBe(out[0]!.from);
    expect(out[0]!.from).toEqual(from);
  });

  it('tells apart pids that differ only in node, id, serial or creation', () => {
    const base = new Pid('b@h', 300, 0, 7);
    const variants = [
      base,
      new Pid('c@h', 300, 0, 7),
      new Pid('b@h', 301, 0, 7),
      new Pid('b@h', 300, 1, 7),
      new Pid('b@h', 300, 0, 8),
      base,
    ];
    const to = new Pid('a@h', 5, 0, 1);
    const pairs: [Pid, Pid][] = [];
    // Each variant as sender and as destination, alternating with the base pid.
    for (const v of variants) pairs.push([v, to], [base, v], [v, v]);
    const out = decodeSends(pairs);
    expect(out.map((m) => [m.from.node, m.from.id, m.from.serial, m.from.creation, m.to.node, m.to.id, m.to.serial, m.to.creation])).toEqual(
      pairs.map(([f, t]) => [f.node, f.id, f.serial, f.creation, t.node, t.id, t.serial, t.creation]),
    );
  });

  it('parses again a pid whose node name comes in full, so that every such name joins the atom cache', () => {
    // Hand-made: a peer may write the same name in full twice; each time appends it.
    const field = (key: number, body: number[]): number[] => [key, body.length, ...body];
    const pidBytes = (node: number[]): number[] => [...node, 0x18, 44, 0x28, 7];
    const full = (name: string): number[] => field(0x12, [...Buffer.from(name)]);
    const index = (i: number): number[] => [0x08, i];
    const payload = [...encodeTerm(0)];
    const send = (from: number[], to: number[]): number[] => {
      const body = [...field(0x0a, pidBytes(from)), ...field(0x12, pidBytes(to)), ...field(0x1a, payload)];
      return field(0x0a, field((2 << 3) | 2, body)); // Batch.messages: Envelope.send (field 2)
    };
    const batch = Buffer.from([
      ...send(full('b@h'), full('a@h')), // cache: 0 b@h, 1 a@h
      ...send(full('b@h'), full('a@h')), // the very same bytes; cache: 2 b@h, 3 a@h
      ...send(index(2), index(3)),
    ]);
    const out = new ControlDecoder(here).decodeAll(batch) as { from: Pid; to: Pid }[];
    const from = new Pid('b@h', 44, 0, 7);
    const to = new Pid('a@h', 44, 0, 7);
    expect(out.map((m) => [m.from, m.to])).toEqual([
      [from, to],
      [from, to],
      [from, to],
    ]);
  });
});
