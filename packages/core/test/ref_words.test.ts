/**
 * A ref an Erlang node made carries its reference words (up to five 32-bit words)
 * where a Grove ref has one id: it is equal only to a ref with the same words, and
 * keys (map keys, term keys) tell such refs apart.
 */
import { Ref, termKey } from '@grove/core';

const policy = { noun: 'a key', plain: false, error: (path: string, detail: string) => new Error(`${path}: ${detail}`) };

describe('refs with Erlang reference words', () => {
  const a = new Ref('erl@host', 3, -1, false, [156752, 3400531969, 2698545248]);

  it('is equal to a copy with the same words and to nothing else', () => {
    expect(a.equals(new Ref('erl@host', 3, -1, false, [156752, 3400531969, 2698545248]))).toBe(true);
    expect(a.equals(new Ref('erl@host', 3, -1, false, [156752, 3400531969, 1]))).toBe(false);
    expect(a.equals(new Ref('erl@host', 3, -1, false))).toBe(false);
    expect(new Ref('erl@host', 3, -1, false).equals(a)).toBe(false);
  });

  it('keys by its words', () => {
    expect(a.key).toBe('erl@host/3/156752.3400531969.2698545248');
    expect(a.key).not.toBe(new Ref('erl@host', 3, -1, false, [156752, 3400531969, 1]).key);
    expect(termKey(a, policy)).not.toBe(termKey(new Ref('erl@host', 3, -1, false, [1, 2, 3]), policy));
    expect(String(a)).toBe('#Ref<erl@host.156752.3400531969.2698545248>');
  });

  it('leaves Grove refs as they were', () => {
    const r = new Ref('a@b', 1, 42, true);
    expect([r.key, r.words, r.equals(new Ref('a@b', 1, 42, true))]).toEqual([42, undefined, true]);
  });
});
