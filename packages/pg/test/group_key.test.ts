import { messageCopier } from '@grove/distribution/internal';
import { Node, Pid, Ref, registerClass } from '@grove/core';
import { groupKey, InvalidGroupError } from '@grove/pg';

describe('group keys', () => {
  it('uses a plain string as its own key', () => {
    expect(groupKey('room')).toBe('room');
  });

  it('never confuses a string with the encoding of another term', () => {
    const encodedOne = groupKey(1);
    expect(groupKey(encodedOne)).not.toBe(encodedOne);
    expect(groupKey('\u0000')).not.toBe(groupKey(undefined));
  });

  it.each<[string, unknown, unknown]>([
    ['objects whatever their key order', { a: 1, b: [2] }, { b: [2], a: 1 }],
    ['maps whatever their insertion order', new Map<unknown, unknown>([[1, 'x'], ['k', 2]]), new Map<unknown, unknown>([['k', 2], [1, 'x']])],
    ['sets whatever their insertion order', new Set([3, 'a']), new Set(['a', 3])],
    ['0 and -0', 0, -0],
    ['NaN and NaN', NaN, NaN],
    ['a Buffer and a Uint8Array of the same bytes', Buffer.from([1, 2]), new Uint8Array([1, 2])],
    ['equal pids', new Pid('a@h', 1, 0, 7), new Pid('a@h', 1, 0, 7)],
    ['equal refs', new Ref('a@h', 7, 3, false), new Ref('a@h', 7, 3, true)],
    ['equal dates', new Date(5), new Date(5)],
    ['errors with the same name and message', new Error('x'), new Error('x')],
    ['a plain and a null-prototype object', { a: 1 }, Object.assign(Object.create(null) as object, { a: 1 })],
  ])('gives the same key to %s', (_what, a, b) => {
    expect(groupKey(a)).toBe(groupKey(b));
  });

  it.each<[string, unknown, unknown]>([
    ['1 and "1"', 1, '1'],
    ['1 and 1n', 1, 1n],
    ['null and undefined', null, undefined],
    ['[1, 2] and [2, 1]', [1, 2], [2, 1]],
    ['[[1], 2] and [[1, 2]]', [[1], 2], [[1, 2]]],
    ['["ab"] and ["a", "b"]', ['ab'], ['a', 'b']],
    ['pids of two incarnations', new Pid('a@h', 1, 0, 7), new Pid('a@h', 1, 0, 8)],
    ['an array and a set', [1], new Set([1])],
    ['an object and a map', { a: 1 }, new Map([['a', 1]])],
  ])('gives different keys to %s', (_what, a, b) => {
    expect(groupKey(a)).not.toBe(groupKey(b));
  });

  it('gives a group that crossed the wire the key of the original', () => {
    class Topic {
      constructor(readonly name: string, readonly shard: number) {}
    }
    registerClass(Topic, { name: 'pg_test.Topic' });
    const copy = messageCopier(new Node());
    const group = { t: new Topic('news', 3), at: new Date(1), bytes: Buffer.from('hi'), n: [1n, -0, NaN], m: new Map([[new Set([1]), null]]) };
    expect(groupKey(copy(group))).toBe(groupKey(group));
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a function', { f: () => 1 }, '$.f', /function/],
    ['a symbol', [Symbol('s')], '$[0]', /symbol/],
    ['an unregistered class', new Map([[1, new (class Hidden {})()]]), '$<value 0>', /unregistered class Hidden/],
  ])('refuses %s, naming where it is', (_what, group, path, detail) => {
    let err: unknown;
    try {
      groupKey(group);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidGroupError);
    expect(err).toMatchObject({ code: 'invalid_group', path });
    expect((err as Error).message).toMatch(detail);
  });

  it('refuses a cycle', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => groupKey(a)).toThrow(/cyclic/);
  });

  it('refuses nesting deeper than the wire carries', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 1001; i++) deep = [deep];
    expect(() => groupKey(deep)).toThrow(InvalidGroupError);
    expect(() => groupKey(deep)).toThrow(/nesting deeper than 1000 levels/);
  });
});
