/**
 * The term mapping against a real Elixir: what Elixir makes of Grove's values (an
 * Error, a registered class, a tuple with a string and a charlist), and what Grove
 * makes of Elixir's (maps with atom keys, structs, charlists, nil, floats,
 * exceptions), byte for byte both ways. `.ci/run` installs Debian's elixir.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerClass } from '@grove/core';
import { atom, binaryToTerm, charlist, float, termToBinary, tuple, type Tuple } from '@grove/distribution';

const haveElixir = spawnSync('sh', ['-c', 'command -v elixir']).status === 0;

const SCRIPT = `
[input, output] = System.argv()
printed = input |> File.read!() |> :erlang.binary_to_term() |> Enum.map(&inspect/1)
made = [
  %{name: "José", tags: [:a, :b]},
  %URI{host: "example.com", port: 80},
  'abc',
  nil,
  {:ok, 1.0},
  %RuntimeError{message: "boom"}
]
File.write!(output, :erlang.term_to_binary({printed, Enum.map(made, &:erlang.term_to_binary(&1, minor_version: 2))}, minor_version: 2))
`;

/** Runs the script on `terms` (one list term) and returns what Elixir printed and made. */
async function elixir(terms: unknown[]): Promise<{ printed: string[]; made: Buffer[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-etf-ex-'));
  try {
    const script = join(dir, 'probe.exs');
    writeFileSync(script, SCRIPT);
    writeFileSync(join(dir, 'in.bin'), termToBinary(terms));
    await new Promise<void>((resolve, reject) => {
      execFile('elixir', [script, join(dir, 'in.bin'), join(dir, 'out.bin')], { timeout: 60_000 }, (err, _o, stderr) =>
        err ? reject(new Error(`elixir failed: ${err.message}\n${stderr}`)) : resolve(),
      );
    });
    const [printed, made] = (binaryToTerm(readFileSync(join(dir, 'out.bin')), { binaries: 'auto' }) as Tuple).elements as [string[], (string | Buffer)[]];
    return { printed, made: made.map((m) => (Buffer.isBuffer(m) ? m : Buffer.from(m, 'utf8'))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

class Money {
  constructor(
    readonly amount: number,
    readonly currency: string,
  ) {}
}
registerClass(Money, { name: 'Elixir.Shop.Money' });

(haveElixir ? describe : describe.skip)('terms with a real Elixir', () => {
  it("prints Grove's values as Elixir terms and reads Elixir's as the mapping says, byte for byte", async () => {
    const error = new TypeError('boom');
    error.stack = 'TypeError: boom';
    const { printed, made } = await elixir([error, new Money(3, 'EUR'), tuple(atom('ok'), 'José', charlist('abc'), null)]);
    expect(printed).toEqual([
      '%{__exception__: true, __struct__: Grove.Error, message: "boom", name: "TypeError", stack: "TypeError: boom"}',
      '%{__struct__: Shop.Money, amount: 3, currency: "EUR"}',
      `{:ok, "José", 'abc', nil}`,
    ]);
    const values = made.map((b) => binaryToTerm(b));
    expect(values[0]).toEqual({ name: 'José', tags: [atom('a'), atom('b')] });
    expect(values[1]).toMatchObject({ __struct__: atom('Elixir.URI'), host: 'example.com', port: 80, path: null });
    expect(values[2]).toEqual([97, 98, 99]);
    expect(values[3]).toBeNull();
    expect(values[4]).toEqual(tuple(atom('ok'), float(1)));
    expect(values[5]).toEqual({ __exception__: true, __struct__: atom('Elixir.RuntimeError'), message: 'boom' });
    made.forEach((b, i) => expect(termToBinary(values[i]).equals(b)).toBe(true));
  });
});
