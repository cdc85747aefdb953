/**
 * Helpers for the examples' end-to-end tests (test/example_*.test.ts): run an
 * example's launcher (what its npm script runs) or one of its nodes (`grove run`)
 * as child OS processes, wait for what they print, type into their stdin, and kill
 * every one of them by pid in `killChildren` (afterEach).
 *
 * A launcher starts its nodes as its own children, so it runs in a process group of
 * its own and is killed as a group (still by the pid we started, negated).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpmdServer } from '@grove/distribution/internal';
import { cleanup } from './support/nodes';

/** A port mapper on an ephemeral port, for this test only; {@link killChildren} stops it. */
export { privateEpmd } from './support/nodes';

export const REPO = path.resolve(__dirname, '..');
const GROVE = path.join(REPO, 'packages', 'cli', 'dist', 'bin.js');
const LAUNCHER = path.join(REPO, 'examples', 'launcher', 'dist', 'launcher.js');

/** Fails early, saying what to do, when an example (or the CLI, or the examples' launcher) has not been built. */
export function requireBuilt(example: string, files: string[]): void {
  for (const f of [GROVE, LAUNCHER, ...files.map((file) => path.join(REPO, 'examples', example, 'dist', file))]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run 'npm run build' first (npm test does)`);
  }
}

/** The environment of a child: not under jest (it behaves as for a user), no colours, no inherited cluster settings. */
export function exampleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const k of ['JEST_WORKER_ID', 'NODE_OPTIONS', 'GROVE_COOKIE', 'GROVE_LOG_LEVEL', 'GROVE_LOG_FORMAT']) delete env[k];
  if (extra['GROVE_EPMD_PORT'] === undefined) delete env['GROVE_EPMD_PORT'];
  return env;
}

const children = new Set<Child>();

/** A child OS process and everything it printed (stdout and stderr, interleaved as they came). */
export class Child {
  output = '';
  /** Where the next {@link waitForOutput} starts looking. */
  cursor = 0;
  /** Resolves once the child has exited and its output is closed, so `output` is whole. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(readonly label: string, readonly proc: ChildProcess, private readonly group: boolean) {
    for (const s of [proc.stdout!, proc.stderr!]) {
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        this.output += d;
        this.changed();
      });
    }
    proc.stdin?.on('error', () => {}); // a child that exits before reading its stdin is no test failure
    // 'close', not 'exit': a process may exit before what it printed last is read.
    this.exited = new Promise((resolve) =>
      proc.on('close', (code, signal) => {
        this.closed = true;
        resolve({ code, signal });
        this.changed();
      }),
    );
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Until its output closes after it exited. */
  get running(): boolean {
    return !this.closed;
  }

  /** Types a line, as a user at the terminal would. */
  type(line: string): void {
    this.proc.stdin!.write(line + '\n');
  }

  /** Closes stdin (Ctrl-D). */
  endInput(): void {
    this.proc.stdin!.end();
  }

  /** Sends `signal` to the child (to its whole process group for a launcher). */
  signal(signal: NodeJS.Signals): void {
    try {
      if (this.group) process.kill(-this.pid, signal);
      else if (this.running) this.proc.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Resolves with the exit code, or rejects saying what was printed after `timeoutMs`. */
  async exitCode(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.label} did not exit within ${timeoutMs} ms; it printed:\n${this.output}`)), timeoutMs);
    });
    try {
      return (await Promise.race([this.exited, timeout])).code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** @internal */
  onChange(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * Waits until `child` prints something matching `pattern` after its cursor, then moves
 * the cursor past the match, so successive waits check the order a user reads the
 * lines in. Rejects with everything the child printed when it exits first or after
 * `timeoutMs`.
 */
export function waitForOutput(child: Child, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let off = (): void => {};
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${child.label} to print ${pattern}; it printed:\n${child.output}`)), timeoutMs);
    const finish = (result: RegExpMatchArray | Error): void => {
      clearTimeout(timer);
      off();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const check = (): void => {
      const m = pattern.exec(child.output.slice(child.cursor));
      if (m !== null) {
        child.cursor += m.index + m[0].length;
        return finish(m);
      }
      if (!child.running) finish(new Error(`${child.label} exited before printing ${pattern}; it printed:\n${child.output}`));
    };
    off = child.onChange(check);
    check();
  });
}

/** Waits for each pattern in turn on `child` (see {@link waitForOutput}). */
export async function waitInOrder(child: Child, patterns: RegExp[]): Promise<void> {
  for (const p of patterns) await waitForOutput(child, p);
}

/**
 * What a launcher printed for one node (its `label | text` lines, without the prefix).
 * Lines of one node keep their order; lines of different nodes reach the launcher
 * through different pipes, so their interleaving proves nothing.
 */
export function nodeOutput(launcher: Child, label: string): string {
  const prefix = new RegExp(`^${label} +\\| `);
  return launcher.output
    .split('\n')
    .filter((l) => prefix.test(l))
    .map((l) => l.replace(prefix, ''))
    .join('\n');
}

/** Expects every pattern to match `text`, each after the previous one's match. */
export function expectInOrder(text: string, patterns: RegExp[]): void {
  let at = 0;
  for (const p of patterns) {
    const m = p.exec(text.slice(at));
    if (m === null) throw new Error(`expected ${p} after:\n${text.slice(0, at)}\n--- in what followed:\n${text.slice(at)}`);
    at += m.index + m[0].length;
  }
}

/** Runs an example's launcher, `node examples/<example>/dist/run.js` (its npm script, built). */
export function startLauncher(example: string): Child {
  return startProgram(`npm run example:${example}`, example, 'run.js');
}

/**
 * Runs `node examples/<example>/dist/<file>` in a process group of its own, so that its
 * own children die with it; `env` adds to its environment (e.g. a private GROVE_EPMD_PORT).
 */
export function startProgram(label: string, example: string, file: string, env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [path.join(REPO, 'examples', example, 'dist', file)], {
    cwd: REPO,
    env: exampleEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  return track(new Child(label, proc, true));
}

/** Runs one node: `grove run --name NAME --cookie COOKIE [--hidden] [--workers N] examples/<example>/dist/FILE ARGS`. */
export function groveRun(example: string, file: string, name: string, args: string[], epmd: EpmdServer, options: { hidden?: boolean; cookie?: string; workers?: number } = {}): Child {
  const flags = [
    '--name', name, '--cookie', options.cookie ?? 'example-test',
    ...(options.hidden === true ? ['--hidden'] : []),
    ...(options.workers !== undefined ? ['--workers', String(options.workers)] : []),
  ];
  const argv = [GROVE, 'run', ...flags, path.join(REPO, 'examples', example, 'dist', file), ...args];
  const proc = spawn(process.execPath, argv, { cwd: REPO, env: exampleEnv({ GROVE_EPMD_PORT: String(epmd.port) }), stdio: ['pipe', 'pipe', 'pipe'] });
  return track(new Child(name.split('@')[0]!, proc, false));
}

function track(child: Child): Child {
  children.add(child);
  return child;
}

/** Kills (SIGKILL, by pid) every child this test started and waits for them; stops its port mappers. */
export async function killChildren(): Promise<void> {
  const all = [...children];
  children.clear();
  for (const c of all) c.signal('SIGKILL');
  await Promise.all(all.map((c) => c.exited));
  await cleanup();
}
