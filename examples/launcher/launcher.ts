/**
 * The launcher behind the example's npm script (the same file in every example):
 * a private port mapper, each node a `grove run` child process, their output
 * printed line by line with the node's name in front, and everything stopped at
 * the end or on Ctrl-C. Nothing Grove-specific to learn here: see the nodes' files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EpmdServer } from '@grove/dist';

const GROVE = path.join(path.dirname(require.resolve('@grove/cli/package.json')), 'bin', 'grove.js');
const LABEL_WIDTH = 7;
// Grove's log lines are coloured; keep the colours for a terminal only.
const ANSI = /\x1b\[[0-9;]*m/g;
const plain = process.stdout.isTTY !== true;

/** One node: a `grove run` child process. */
export class NodeProcess {
  /** Every line it printed (stdout and stderr). */
  readonly lines: string[] = [];
  private cursor = 0;
  private readonly listeners = new Set<(line: string | null) => void>();
  /** Resolves with the exit code (0 after SIGTERM, which grove handles as a clean stop). */
  readonly exited: Promise<number>;

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
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code ?? 1)));
    void this.exited.then(() => [...this.listeners].forEach((l) => l(null)));
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
   * matched (so it may have been printed already); rejects if the node exits first.
   */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (line: string | null): void => {
        while (this.cursor < this.lines.length) {
          const m = re.exec(this.lines[this.cursor++]!);
          if (m !== null) {
            this.listeners.delete(check);
            return resolve(m);
          }
        }
        if (line === null) {
          this.listeners.delete(check);
          reject(new Error(`${this.label} exited before printing ${re}`));
        }
      };
      this.listeners.add(check);
      check(this.proc.exitCode === null && this.proc.signalCode === null ? '' : null);
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

/** Starts nodes on a port mapper of its own; {@link close} ends them all. */
export class Launcher {
  private readonly children = new Set<NodeProcess>();

  private constructor(private readonly cookie: string, private readonly epmd: EpmdServer | null, private readonly env: NodeJS.ProcessEnv) {}

  /**
   * A port mapper of our own on a free port, so the example never meets other nodes
   * on this host. With GROVE_EPMD_PORT set, that port is used instead (the first
   * node starts a port mapper there when none runs).
   */
  static async start(cookie: string): Promise<Launcher> {
    const given = process.env['GROVE_EPMD_PORT'];
    const epmd = given === undefined ? await EpmdServer.start({ port: 0, host: '127.0.0.1' }) : null;
    return new Launcher(cookie, epmd, { ...process.env, GROVE_EPMD_PORT: given ?? String(epmd!.port) });
  }

  /** `grove run --name NAME --cookie C [--hidden] <this folder>/FILE ARGS...` */
  node(label: string, name: string, file: string, args: string[] = [], options: { hidden?: boolean } = {}): NodeProcess {
    const flags = ['--name', name, '--cookie', this.cookie, ...(options.hidden === true ? ['--hidden'] : [])];
    const proc = spawn(process.execPath, [GROVE, 'run', ...flags, path.join(__dirname, file), ...args], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Runs `story` with a launcher, then exits with the code it returns (1 if it throws, 130 on Ctrl-C). */
export function runStory(cookie: string, story: (launcher: Launcher) => Promise<number>): void {
  void (async () => {
    const launcher = await Launcher.start(cookie);
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
