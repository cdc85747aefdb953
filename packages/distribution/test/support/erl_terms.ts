/**
 * A real `erl` as the other side of the term codec: one OS process takes a batch of
 * encoded terms, and for each one runs `binary_to_term` and
 * `term_to_binary(T, [{minor_version, 2}])` (and checks that this decodes back to a
 * term `=:=` T). Not distributed, so no port mapper is involved.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when `erl` is on PATH (`.ci/run` installs Debian's erlang-base). */
export const haveErl = spawnSync('sh', ['-c', 'command -v erl']).status === 0;

/** What erl made of one term: its own encoding of it, or the error it raised. */
export type ErlResult = { ok: true; bytes: Buffer } | { ok: false; error: string };

const SCRIPT = `
[In, Out] = init:get_plain_arguments(),
{ok, Bin} = file:read_file(In),
Loop = fun L(<<>>, Acc) -> lists:reverse(Acc);
           L(<<N:32, B:N/binary, Rest/binary>>, Acc) ->
             R = try binary_to_term(B) of
                   T -> B2 = term_to_binary(T, [{minor_version, 2}]),
                        true = (binary_to_term(B2) =:= T),
                        <<0, (byte_size(B2)):32, B2/binary>>
                 catch C:E ->
                   M = unicode:characters_to_binary(io_lib:format("~p:~p", [C, E])),
                   <<1, (byte_size(M)):32, M/binary>>
                 end,
             L(Rest, [R | Acc])
         end,
ok = file:write_file(Out, Loop(Bin, [])),
halt().
`;

/** Sends `terms` (each a full `term_to_binary` result) through one erl process. */
export async function erlRoundTrip(terms: readonly Buffer[], timeoutMs = 60_000): Promise<ErlResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-etf-'));
  try {
    const input = join(dir, 'in.bin');
    const output = join(dir, 'out.bin');
    const parts: Buffer[] = [];
    for (const t of terms) {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(t.length);
      parts.push(len, t);
    }
    writeFileSync(input, Buffer.concat(parts));
    await new Promise<void>((resolve, reject) => {
      execFile('erl', ['-noshell', '-noinput', '-eval', SCRIPT, '-extra', input, output], { timeout: timeoutMs }, (err, _out, stderr) => {
        if (err) reject(new Error(`erl failed: ${err.message}\n${stderr}`));
        else resolve();
      });
    });
    const out = readFileSync(output);
    const results: ErlResult[] = [];
    for (let pos = 0; pos < out.length; ) {
      const status = out[pos]!;
      const n = out.readUInt32BE(pos + 1);
      const body = out.subarray(pos + 5, pos + 5 + n);
      pos += 5 + n;
      results.push(status === 0 ? { ok: true, bytes: Buffer.from(body) } : { ok: false, error: body.toString('utf8') });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
