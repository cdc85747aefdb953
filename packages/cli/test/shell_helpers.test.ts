/**
 * `grove shell` helpers and behaviours that test/cli_shell.test.ts does not reach.
 * A local shell as a child OS process, driven one line at a time.
 */
import { grove, killChildren, requireBuild, type Grove } from '../../../test/fixtures/cli_harness';

/** Drives a local shell: `eval` writes a line and resolves with what it printed before the next prompt. */
class LocalShell {
  private n = 1;
  readonly g: Grove = grove(['shell']);

  async eval(line: string): Promise<string> {
    const from = this.g.stdout.length;
    this.g.write(line);
    const prompt = `${++this.n}> `;
    await this.g.waitFor(new RegExp(`(^|\\n)${prompt}`));
    const out = this.g.stdout.slice(from);
    return out.slice(0, out.lastIndexOf(prompt)).trim();
  }
}

describe('grove shell helpers', () => {
  beforeAll(requireBuild);
  afterEach(killChildren);

  it('replaces the shell process when a linked process dies while the shell is idle, and says so', async () => {
    const sh = new LocalShell();
    await sh.g.waitFor(/^1> /);
    await sh.eval('const before = String(self()); const w = spawn(async (ctx) => { await ctx.receive(() => false) }); link(w)');
    // The exit comes from a timer, after the line is done: the shell process is idle when it dies.
    await sh.eval('setTimeout(() => exit(w, "boom"), 0); "armed"');
    const [, old, next] = await sh.g.waitFor(/\*\*\* the shell process (#PID<[^>]+>) exited \(boom\); the new shell process is (#PID<[^>]+>)\n/);
    expect(await sh.eval('before')).toBe(`'${old}'`);
    expect(await sh.eval('self()')).toBe(next);
  });
});
