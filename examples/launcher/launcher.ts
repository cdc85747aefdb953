/**
 * The launcher behind every example's npm script (`npm run example:echo`, ...): a
 * private port mapper, each node a `grove run` child process, their output printed
 * line by line with the node's name in front, and everything stopped at the end or
 * on Ctrl-C. An example's `run.ts` tells its story with {@link runStory}. Nothing
 * Grove-specific to learn here: see the examples' node files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EpmdServer } from '@grove/distribution/internal';

const GROVE = path.join(path.dirname(require.resolve('@grove/cli/package.json')), 'bin', 'grove.js');
const LABEL_WIDTH = 7;
// Grove's log lines are coloured; keep the colours for a terminal only.
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = process.stdout.isTTY !== true;
/** How long {@link NodeProcess.waitFor} waits for a line by default. */
const WAIT_MS = 30_000;

/** One node: a `grove run` child process. */
export class NodeProcess {
  /** Every line it printed (stdout and stderr). */
  readonly lines: string[] = [];
  private cursor = 0;
  private readonly listeners = new Set<(line: string | null) => void>();
  /**
   * Resolves with the exit code (0 after SIGTERM, which grove handles as a clean
   * stop) once the node's output is closed too, so every line it printed is in.
   */
  readonly exited: Promise<number>;

  private closed = false;

  constructor(readonly label: string, readonly proc: ChildProcess) {
    for (const stream of [proc.stdout!, proc.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (raw) => {
        const line = plain ? raw.replace(ANSI, '') : raw;
        print(label, line);
        this.lines.push(line);
        for (const l of [...this.listeners]) l(line);
      });
    }
    proc.stdin?.on('error', () => {});
    // 'close', not 'exit': a process may exit before its last lines are read.
    this.exited = new Promise((resolve) => proc.on('close', (code) => resolve(code ?? 1)));
    void this.exited.then(() => {
      this.closed = true;
      for (const l of [...this.listeners]) l(null);
    });
  }

  /** Calls `fn` with every line matching `re` from now on. */
  on(re: RegExp, fn: (match: RegExpMatchArray) => void): void {
    this.listeners.add((line) => {
      const m = line === null ? null : re.exec(line);
      if (m !== null) fn(m);
    });
  }

  /**
   * Resolves with the first line matching `re` after the line the previous wait
   * matched (so it may have been printed already); rejects if the node exits first
   * or prints no such line within `timeoutMs`.
   */
  waitFor(re: RegExp, timeoutMs = WAIT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      const check = (line: string | null): void => {
        while (this.cursor < this.lines.length) {
          const m = re.exec(this.lines[this.cursor++]!);
          if (m !== null) return finish(() => resolve(m));
        }
        if (line === null) finish(() => reject(new Error(`${this.label} exited before printing ${re}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${this.label} printed no line matching ${re} within ${timeoutMs} ms`))), timeoutMs);
      this.listeners.add(check);
      check(this.closed ? null : '');
    });
  }

  /** Types `line` into the node's stdin, and shows it. */
  type(line: string): void {
    print(this.label, `> ${line}`);
    this.proc.stdin!.write(line + '\n');
  }

  /** SIGTERM, what Ctrl-C does: grove stops the node cleanly. Resolves with the exit code. */
  stop(): Promise<number> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** What a story runs with: the example's cookie, and the folder its node files are in. */
export interface StoryOptions {
  /** The cookie every node of the example shares. */
  cookie: string;
  /** Where {@link Launcher.node} finds the node files: the example's built folder (its `__dirname`). */
  dir: string;
}

/** Starts nodes on a port mapper of its own; {@link close} ends them all. */
export class Launcher {
  private readonly children = new Set<NodeProcess>();

  private constructor(private readonly options: StoryOptions, private readonly epmd: EpmdServer | null, private readonly env: NodeJS.ProcessEnv) {}

  /**
   * A port mapper of our own on a free port, so the example never meets other nodes
   * on this host. With GROVE_EPMD_PORT set, that port is used instead (the first
   * node starts a port mapper there when none runs).
   */
  static async start(options: StoryOptions): Promise<Launcher> {
    const given = process.env['GROVE_EPMD_PORT'];
    const epmd = given === undefined ? await EpmdServer.start({ port: 0, host: '127.0.0.1' }) : null;
    return new Launcher(options, epmd, { ...process.env, GROVE_EPMD_PORT: given ?? String(epmd!.port) });
  }

  /** `grove run --name NAME --cookie C [--hidden] DIR/FILE ARGS...` */
  node(label: string, name: string, file: string, args: string[] = [], options: { hidden?: boolean } = {}): NodeProcess {
    const flags = ['--name', name, '--cookie', this.options.cookie, ...(options.hidden === true ? ['--hidden'] : [])];
    const argv = [GROVE, 'run', ...flags, path.join(this.options.dir, file), ...args];
    const proc = spawn(process.execPath, argv, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new NodeProcess(label, proc);
    this.children.add(p);
    void p.exited.then(() => this.children.delete(p));
    return p;
  }

  /**
   * Another program (an `elixir` or `erl` node, say), run with the port mapper of the
   * story as its `ERL_EPMD_PORT`, so that BEAM nodes and Grove nodes find each other.
   */
  command(label: string, cmd: string, args: string[]): NodeProcess {
    const proc = spawn(cmd, args, { env: { ...this.env, ERL_EPMD_PORT: this.env['GROVE_EPMD_PORT'] }, stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new NodeProcess(label, proc);
    this.children.add(p);
    void p.exited.then(() => this.children.delete(p));
    return p;
  }

  /** Prints a line of the launcher's own. */
  say(text: string): void {
    print('run', text);
  }

  /** Kills whatever still runs, and stops the port mapper. */
  async close(): Promise<void> {
    const left = [...this.children];
    this.killAll();
    await Promise.all(left.map((c) => c.exited));
    await this.epmd?.stop();
  }

  /** SIGKILL to every node still running. */
  killAll(): void {
    for (const c of this.children) c.proc.kill('SIGKILL');
  }
}

function print(label: string, line: string): void {
  console.log(`${label.padEnd(LABEL_WIDTH)}| ${line}`);
}

/**
 * Runs `story` with a launcher, then exits with the code it returns (1 if it
 * throws, 130 on Ctrl-C). An example's run.ts:
 * `runStory({ cookie: 'echo-example', dir: __dirname }, async (launcher) => ...)`.
 */
export function runStory(options: StoryOptions, story: (launcher: Launcher) => Promise<number>): void {
  void (async () => {
    const launcher = await Launcher.start(options);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        launcher.killAll();
        process.exit(130);
      });
    }
    let code: number;
    try {
      code = await story(launcher);
    } catch (e) {
      launcher.say(`failed: ${e instanceof Error ? e.message : String(e)}`);
      code = 1;
    }
    await launcher.close();
    process.exit(code);
  })();
}
