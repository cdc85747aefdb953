/**
 * `npm run example:echo`: the whole tour in one terminal. It starts a private port
 * mapper, then bob and alice as two OS processes (each `grove run --name ...`, as
 * you would in two terminals), prints their output prefixed with their names, and
 * plays your part: when alice asks, it stops bob and starts it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EpmdServer } from '@grove/dist';

const GROVE = path.join(path.dirname(require.resolve('@grove/cli/package.json')), 'bin', 'grove.js');
const COOKIE = 'echo-example';
const BOB = 'bob@127.0.0.1';
const ALICE = 'alice@127.0.0.1';

/** One node: a `grove run` child process whose output lines we print with a prefix. */
class NodeProcess {
  private readonly waiters = new Set<(line: string | null) => void>();
  readonly exited: Promise<number>;

  constructor(readonly label: string, readonly proc: ChildProcess) {
    for (const stream of [proc.stdout!, proc.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        console.log(`${label.padEnd(6)}| ${line}`);
        for (const w of [...this.waiters]) w(line);
      });
    }
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? 0 : 1))));
    void this.exited.then(() => this.waiters.forEach((w) => w(null)));
  }

  /** Starts `grove run --name NAME FILE ARGS` from this folder's build. */
  static start(label: string, name: string, file: string, args: string[], env: NodeJS.ProcessEnv): NodeProcess {
    const argv = [GROVE, 'run', '--name', name, '--cookie', COOKIE, path.join(__dirname, file), ...args];
    running.add(label);
    const p = new NodeProcess(label, spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    children.add(p);
    void p.exited.then(() => children.delete(p));
    return p;
  }

  /** Resolves when the node prints a line matching `re`; rejects if it exits first. */
  waitFor(re: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const w = (line: string | null): void => {
        if (line !== null && !re.test(line)) return;
        this.waiters.delete(w);
        if (line === null) reject(new Error(`${this.label} exited before printing ${re}`));
        else resolve(line);
      };
      this.waiters.add(w);
    });
  }

  /** SIGTERM (what Ctrl-C does): grove stops the node cleanly. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

const running = new Set<string>();
const children = new Set<NodeProcess>();

async function main(): Promise<number> {
  // A port mapper of our own on a free port, so the example never meets other nodes on
  // this host (GROVE_EPMD_PORT set: use that one, or the first node starts it there).
  const epmd = process.env['GROVE_EPMD_PORT'] === undefined ? await EpmdServer.start({ port: 0, host: '127.0.0.1' }) : null;
  const env = { ...process.env, GROVE_EPMD_PORT: String(epmd?.port ?? process.env['GROVE_EPMD_PORT']) };
  try {
    let bob = NodeProcess.start('bob', BOB, 'bob.js', [], env);
    await bob.waitFor(/bob is up/);
    const alice = NodeProcess.start('alice', ALICE, 'alice.js', [BOB], env);
    await alice.waitFor(/now stop/);
    console.log('run   | stopping bob (SIGTERM, as Ctrl-C would)');
    await bob.stop();
    console.log('run   | starting bob again');
    bob = NodeProcess.start('bob', BOB, 'bob.js', [], env);
    const code = await alice.exited;
    await bob.stop();
    return code;
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    await epmd?.stop();
  }
}

// Ctrl-C stops everything we started.
process.on('SIGINT', () => {
  for (const c of children) c.proc.kill('SIGKILL');
  process.exit(130);
});

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('run   |', e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
