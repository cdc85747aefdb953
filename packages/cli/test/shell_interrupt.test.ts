/**
 * Ctrl-C on a terminal interrupts the line the shell is evaluating, not the shell
 * process: it keeps its pid, names and mailbox. The shell runs in this process on
 * streams that say they are a terminal, so the REPL reads keys (Ctrl-C is \x03).
 */
import { PassThrough } from 'node:stream';
import { runShell, type ShellIo } from '@grove/cli';

/** A terminal-like shell: `type` writes keys, `waitFor` waits for output. */
class TtyShell {
  readonly input = Object.assign(new PassThrough(), { isTTY: true });
  readonly output = Object.assign(new PassThrough(), { isTTY: true, columns: 200, rows: 50 });
  readonly error = new PassThrough();
  text = '';
  readonly done: Promise<number>;

  constructor() {
    this.output.on('data', (d: Buffer) => (this.text += d.toString().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')));
    this.done = runShell({ hidden: false }, { input: this.input, output: this.output, error: this.error } as unknown as ShellIo);
  }

  type(keys: string): void {
    this.input.write(keys);
  }

  async waitFor(re: RegExp, from = 0): Promise<string> {
    for (let i = 0; i < 500; i++) {
      const m = this.text.slice(from).match(re);
      if (m !== null) return m[0];
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${re} in ${JSON.stringify(this.text.slice(from))}`);
  }
}

describe('grove shell on a terminal', () => {
  it('interrupts a line waiting in receive() with Ctrl-C and keeps the shell process, its names and its mailbox', async () => {
    const sh = new TtyShell();
    await sh.waitFor(/1> /);
    sh.type('register("keeper"); String(self())\r');
    const pid = (await sh.waitFor(/#PID<[^>]+>/)).toString();
    await sh.waitFor(/2> /);
    const mark = sh.text.length;
    sh.type('receive((m) => m === "never")\r');
    await new Promise((r) => setTimeout(r, 50));
    sh.type('\x03');
    await sh.waitFor(/ShellInterruptError: interrupted/, mark);
    expect(sh.text.slice(mark)).not.toContain('To exit, press Ctrl+C again');
    await sh.waitFor(/3> /, mark);
    sh.type('send(self(), "still here"); [String(self()), String(whereis("keeper")), await receive()]\r');
    await sh.waitFor(/4> /, mark);
    expect(sh.text.slice(mark)).toContain(`[ '${pid}', '${pid}', 'still here' ]`);
    // At an idle prompt, Ctrl-C is the REPL's own: it clears the line and says how to exit.
    const idle = sh.text.length;
    sh.type('\x03');
    await sh.waitFor(/To exit, press Ctrl\+C again/, idle);
    sh.input.end();
    expect(await sh.done).toBe(0);
  });
});
