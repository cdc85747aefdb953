/**
 * A real `erl` node as an OS process, driven line by line: each `eval` sends one
 * Erlang expression sequence (ending in `.`) to a loop on the node, which evaluates it
 * in one long-lived process (bindings persist) and prints the result (or the caught
 * exception) on one line. The node uses the port mapper at `epmdPort` (never the
 * host's). `stop()` kills it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const haveErl = spawnSync('sh', ['-c', 'command -v erl']).status === 0;

const DRIVER = [
  'Print = fun(R) -> io:put_chars(["@@ ", string:replace(io_lib:print(R, 1, 1000000, -1), "\\n", " ", all), "\\n"]) end,',
  'Loop = fun L(Bs) ->',
  '  case io:get_line("") of',
  '    eof -> halt();',
  '    Line ->',
  '      {R, Bs2} = try',
  '        {ok, Toks, _} = erl_scan:string(Line),',
  '        {ok, Exprs} = erl_parse:parse_exprs(Toks),',
  '        {value, V, B1} = erl_eval:exprs(Exprs, Bs),',
  '        {V, B1}',
  '      catch C:E -> {{caught, C, E}, Bs} end,',
  '      Print(R),',
  '      L(Bs2)',
  '  end',
  'end,',
  'io:put_chars("@@ ready\\n"),',
  'Loop(erl_eval:new_bindings()).',
].join(' ');

export interface ErlPeerOptions {
  /** `-name` (long) or `-sname` (short). Default long. */
  names?: 'long' | 'short';
  cookie: string;
  epmdPort: number;
  /** Extra `erl` arguments. */
  args?: string[];
}

export class ErlPeer {
  private out = '';
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly lines: string[] = [];
  private readonly home: string;
  readonly child: ChildProcess;
  /** Everything the node wrote to stderr (for failure messages). */
  stderr = '';
  /** What the node printed besides results (its logger's reports). */
  log = '';

  private constructor(readonly name: string, options: ErlPeerOptions) {
    this.home = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-erl-'));
    const flag = options.names === 'short' ? '-sname' : '-name';
    this.child = spawn('erl', [flag, name, '-setcookie', options.cookie, '-start_epmd', 'false', '-noshell', ...(options.args ?? []), '-eval', DRIVER], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, HOME: this.home, ERL_EPMD_PORT: String(options.epmdPort) },
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (s: string) => {
      this.out += s;
      let i: number;
      while ((i = this.out.indexOf('\n')) >= 0) {
        const line = this.out.slice(0, i);
        this.out = this.out.slice(i + 1);
        if (!line.startsWith('@@ ')) {
          this.log += line + '\n';
          continue;
        }
        const w = this.waiting.shift();
        if (w !== undefined) w(line.slice(3));
        else this.lines.push(line.slice(3));
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => (this.stderr += s));
  }

  /** Starts the node and waits until its driver is ready. */
  static async start(name: string, options: ErlPeerOptions): Promise<ErlPeer> {
    const p = new ErlPeer(name, options);
    const ready = await p.next(20_000);
    if (ready !== 'ready') throw new Error(`erl ${name} did not start: ${ready} ${p.stderr}`);
    return p;
  }

  private next(timeoutMs: number): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(done);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`erl ${this.name}: no answer within ${timeoutMs} ms; stderr: ${this.stderr}`));
      }, timeoutMs);
      const done = (l: string): void => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiting.push(done);
      this.child.once("exit", (code, sig) => reject(new Error(`erl ${this.name} exited (${code} ${sig}); stderr: ${this.stderr} log: ${this.log}`)));
    });
  }

  /** Evaluates `expr` (Erlang, ending in `.`) on the node; resolves with the result as `io_lib:print` shows it. */
  eval(expr: string, timeoutMs = 15_000): Promise<string> {
    const line = expr.replace(/\n/g, ' ');
    this.child.stdin!.write(line + '\n');
    return this.next(timeoutMs);
  }

  /** Compiles and loads an Erlang module from source (no `%` comments; one form per `.`). */
  async loadModule(source: string): Promise<void> {
    const lit = JSON.stringify(source.replace(/\s+/g, ' '));
    const r = await this.eval(
      `LmToks = element(2, erl_scan:string(${lit})), ` +
        'LmSplit = fun LmS([], _, Out) -> lists:reverse(Out); LmS([{dot, _} = D | T], Acc, Out) -> LmS(T, [], [lists:reverse([D | Acc]) | Out]); LmS([H | T], Acc, Out) -> LmS(T, [H | Acc], Out) end, ' +
        'LmForms = [element(2, erl_parse:parse_form(F)) || F <- LmSplit(LmToks, [], [])], ' +
        '{ok, LmMod, LmBin} = compile:forms(LmForms, []), {module, _} = code:load_binary(LmMod, "nofile", LmBin), loaded.',
    );
    if (r !== 'loaded') throw new Error(`erl ${this.name}: could not load the module: ${r}`);
  }

  /** Kills the node and removes its HOME. */
  async stop(): Promise<void> {
    const c = this.child;
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}
