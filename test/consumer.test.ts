/**
 * Grove as a user installs it: every package packed with `npm pack`, a project
 * scaffolded with the packed `grove new` in a temporary folder outside the
 * repository, the tarballs installed there (third-party packages from the registry,
 * nothing linked into the repository), that project's `npm test` and `npm start`,
 * and consumers type-checked with `skipLibCheck: false` and run: ESM (`nodenext`),
 * CommonJS (`node16`) and a bundler-resolution project. Jest maps `@grove/*` to the
 * sources everywhere else, so the published entry points are tested here.
 *
 * Needs the npm registry (jest, typescript, tsx, tslog, protobufjs); when it cannot
 * be reached the tests say so and pass without running. GROVE_CONSUMER_NODE_BIN (a
 * folder holding another `node`, e.g. Node 22's) runs every command of the consumer
 * with that Node (`.ci/run` does).
 */
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const PACKAGES = ['core', 'distribution', 'pg', 'cli', 'cluster', 'testing', 'observer'];
const NODE_BIN = process.env['GROVE_CONSUMER_NODE_BIN'];
const ENV: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  // The consumer's jest and grove must not think they run under this jest, nor inherit its settings.
  for (const k of ['JEST_WORKER_ID', 'NODE_OPTIONS', 'GROVE_LOG_LEVEL', 'GROVE_LOG_FORMAT', 'GROVE_COOKIE', 'TSX_TSCONFIG_PATH', 'INIT_CWD']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('npm_package_') || k.startsWith('npm_lifecycle_')) delete env[k];
  if (NODE_BIN !== undefined) env['PATH'] = `${NODE_BIN}${path.delimiter}${env['PATH'] ?? ''}`;
  return env;
})();

/** Why the registry cannot be used, or undefined when it answers. */
const offline: string | undefined = (() => {
  try {
    execFileSync('npm', ['ping'], { env: ENV, stdio: 'pipe', timeout: 20_000 });
    return undefined;
  } catch (e) {
    return `the npm registry cannot be reached (npm ping: ${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').pop()})`;
  }
})();

interface Result {
  code: number | null;
  out: string;
}

const started = new Set<number>();

/** Runs a command to its end; output is stdout and stderr together. */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 150_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true } satisfies SpawnOptions);
    started.add(child.pid!);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child.pid!);
      reject(new Error(`${cmd} ${args.join(' ')} took over ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      started.delete(child.pid!);
      resolve({ code, out });
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function ok(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.out}`);
  return r.out;
}

interface PackedFile {
  path: string;
  size: number;
}
interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

let tmp: string;
let packs: Packed[] = [];
let tarballs: string[] = [];
let app: string;

/** A test that needs the registry: without it, it says why and passes. */
function online(name: string, fn: () => Promise<void>, timeoutMs?: number): void {
  it(name, async () => {
    if (offline !== undefined) {
      console.warn(`consumer test skipped: ${offline}`);
      return;
    }
    await fn();
  }, timeoutMs);
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, 'packages', 'cli', 'dist', 'bin.js'))) throw new Error("the packages are not built: run 'npm run build' first (npm test does)");
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'grove-consumer-')));
  // npm pack runs no build here: the packages are built, and `prepack` is not used.
  const json = await ok('npm', ['pack', '--json', '--pack-destination', tmp, ...PACKAGES.map((p) => `--workspace=packages/${p}`)], REPO);
  packs = JSON.parse(json.slice(json.indexOf('['))) as Packed[];
  tarballs = packs.map((p) => path.join(tmp, p.filename));
}, 60_000);

afterAll(() => {
  for (const pid of started) killGroup(pid);
  if (tmp !== undefined && process.env['GROVE_CONSUMER_KEEP'] === undefined) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the tarballs', () => {
  it('hold dist, src (the source maps resolve), README, LICENSE and package.json with the publishing fields, and no tsbuildinfo or tests', () => {
    expect(packs.map((p) => p.name).sort()).toEqual(PACKAGES.map((p) => `@grove/${p}`).sort());
    for (const p of packs) {
      const files = new Set(p.files.map((f) => f.path));
      expect([p.name, ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts'].filter((f) => !files.has(f))]).toEqual([p.name, []]);
      expect([p.name, [...files].filter((f) => /tsbuildinfo|(^|\/)test\/|\.test\./.test(f))]).toEqual([p.name, []]);
      const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages', p.name.slice('@grove/'.length), 'package.json'), 'utf8')) as Record<string, unknown>;
      for (const field of ['description', 'repository', 'keywords', 'license', 'files', 'exports']) expect([p.name, field, pkg[field] !== undefined]).toEqual([p.name, field, true]);
      expect(pkg['publishConfig']).toEqual({ access: 'public' });
      // Every source map names sources that are in the tarball.
      const dir = path.join(REPO, 'packages', p.name.slice('@grove/'.length));
      const missing: string[] = [];
      for (const f of files) {
        if (!f.endsWith('.map')) continue;
        const map = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { sources: string[] };
        for (const s of map.sources) {
          const source = path.posix.normalize(path.posix.join(path.posix.dirname(f), s));
          if (!files.has(source)) missing.push(`${f} -> ${source}`);
        }
      }
      expect([p.name, missing.slice(0, 3)]).toEqual([p.name, []]);
    }
  });

  it('take @grove/core (and distribution) as peer dependencies with caret ranges, one version for all', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'lerna.json'), 'utf8')) as { version: string }).version;
    for (const name of PACKAGES) {
      const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'packages', name, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
      expect([name, pkg['version']]).toEqual([name, version]);
      const deps = { ...(pkg['dependencies'] as Record<string, string> | undefined) };
      expect([name, Object.keys(deps).filter((d) => d.startsWith('@grove/'))]).toEqual([name, []]);
      for (const [dep, range] of Object.entries((pkg['peerDependencies'] ?? {}) as Record<string, string>)) {
        if (dep.startsWith('@grove/')) expect([name, dep, range]).toEqual([name, dep, `^${version}`]);
      }
    }
  });

  it('say their sizes', () => {
    const lines = packs.map((p) => `${p.filename}: ${(p.size / 1024).toFixed(1)} kB packed, ${(p.unpackedSize / 1024).toFixed(1)} kB unpacked, ${p.files.length} files`);
    fs.writeFileSync(path.join(REPO, 'build', 'tarball-sizes.txt'), lines.join('\n') + '\n');
    expect(lines).toHaveLength(PACKAGES.length);
  });
});

describe('a project made with grove new, from the tarballs', () => {
  online('grove new writes it; npm install installs the tarballs (no link into the repository); its npm test passes', async () => {
    // npx with the packed CLI, as `npx -p @grove/cli grove new` does once published (peers given as tarballs too).
    const made = await ok('npm', ['exec', '--yes', ...tarballs.map((t) => `--package=${t}`), '--', 'grove', 'new', 'my-app'], tmp);
    expect(made).toContain('Created my-app, a Grove application, in my-app:');
    if (NODE_BIN !== undefined) {
      // Every command here runs on the Node in GROVE_CONSUMER_NODE_BIN.
      expect((await ok('node', ['--version'], tmp)).trim()).toBe(execFileSync(path.join(NODE_BIN, 'node'), ['--version']).toString().trim());
    }
    app = path.join(tmp, 'my-app');
    const again = await run('npm', ['exec', '--yes', ...tarballs.map((t) => `--package=${t}`), '--', 'grove', 'new', 'my-app'], tmp);
    expect(again.code).toBe(1);
    expect(again.out).toContain('grove new: my-app is not empty');
    await ok('npm', ['install', ...tarballs], app);
    for (const name of PACKAGES) {
      const installed = path.join(app, 'node_modules', '@grove', name);
      expect([name, fs.lstatSync(installed).isSymbolicLink()]).toEqual([name, false]);
    }
    expect(fs.realpathSync(path.join(app, 'node_modules', '@grove', 'core')).startsWith(REPO)).toBe(false);
    const test = await run('npm', ['test'], app);
    expect({ code: test.code, out: test.out }).toMatchObject({ code: 0 });
    expect(test.out).toMatch(/Tests:\s+2 passed, 2 total/);
  }, 200_000);

  online('its npm start runs the application until Ctrl-C, then stops it cleanly', async () => {
    expect(app).toBeDefined();
    const child = spawn('npm', ['start'], { cwd: app, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    started.add(child.pid!);
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not say it started:\n${out}`)), 30_000);
      const seen = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('my-app started on nonode@nohost')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
    });
    // Ctrl-C in a terminal signals the whole foreground process group: grove stops the
    // application and exits 0; npm itself ends by the same SIGINT, as it does in a terminal.
    process.kill(-child.pid!, 'SIGINT');
    expect([{ code: 0, signal: null }, { code: null, signal: 'SIGINT' }]).toContainEqual(await exited);
    expect(out).not.toContain('grove run:');
    started.delete(child.pid!);
    expect(out).toMatch(/my-app started on nonode@nohost \{\s*root: '#PID<nonode@nohost\.\d+\.0>'\s*\}/);
    expect(out).toContain('my-app stopped');
    const version = await ok('npx', ['grove', '--version'], app);
    expect(version.trim()).toBe(`grove ${packs[0]!.filename.match(/-(\d+\.\d+\.\d+)\.tgz$/)![1]}`);
  }, 60_000);

  online('the distributed variant type-checks and its two-node test passes', async () => {
    expect(app).toBeDefined();
    await ok('npm', ['exec', '--yes', ...tarballs.map((t) => `--package=${t}`), '--', 'grove', 'new', 'cluster', '--distributed'], tmp);
    const cluster = path.join(tmp, 'cluster');
    // Its dependencies are my-app's plus @grove/distribution, which my-app has (a peer of the CLI): reuse my-app's install.
    fs.symlinkSync(path.join(app, 'node_modules'), path.join(cluster, 'node_modules'));
    const test = await run('npm', ['test'], cluster);
    expect({ code: test.code, out: test.out }).toMatchObject({ code: 0 });
    expect(test.out).toMatch(/Tests:\s+3 passed, 3 total/);
  }, 60_000);
});

/** A program that touches every package's public entry point (and the internal subpath). */
const CONSUMER_SOURCE = `
import { Node, GenServer, Call, formatTerm, getLogger, setLogLevel, setLogSink, type LogRecord, type Pid } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';
import { TermEncoder } from '@grove/distribution/internal';
import { join, type ScopeOptions } from '@grove/pg';
import { parseArgs, type Command } from '@grove/cli';
import { staticNodes, type Strategy } from '@grove/cluster';
import { VirtualClock } from '@grove/testing';
import { startMetrics } from '@grove/observer';

class Echo extends GenServer<{ call: 'echo' }> {
  @Call() echo(text: string): string {
    return text;
  }
}

const records: LogRecord[] = [];
setLogSink((r) => void records.push(r));
setLogLevel('consumer', 'info');

async function main(): Promise<void> {
  const node = new Node();
  const pid: Pid = await Echo.start(node, undefined);
  const answer: string = await Echo.client(node, pid).call.echo('hi');
  getLogger('consumer').info('answered', { pid });
  const cmd: Command = parseArgs(['ping', 'a@127.0.0.1']);
  const start: (o: { name: string }) => Promise<DistNode> = startDistributed;
  const group: ScopeOptions | undefined = undefined;
  const seeds: Strategy = staticNodes(['a@127.0.0.1']);
  console.log(answer, formatTerm({ n: 1 }), cmd.command, typeof start, typeof join, typeof TermEncoder, group, records[0]!.fields!['pid'] === pid.toString(), seeds.describe, typeof VirtualClock, typeof startMetrics);
  node.halt();
}
void main();
`;

describe('consumers type-check with skipLibCheck: false, and run', () => {
  const variants: { name: string; pkg: Record<string, unknown>; compilerOptions: Record<string, unknown>; run: boolean }[] = [
    { name: 'esm-nodenext', pkg: { type: 'module' }, compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' }, run: true },
    { name: 'cjs-node16', pkg: { type: 'commonjs' }, compilerOptions: { module: 'node16', moduleResolution: 'node16' }, run: true },
    { name: 'bundler', pkg: { type: 'module' }, compilerOptions: { module: 'esnext', moduleResolution: 'bundler' }, run: false },
  ];
  online(`${variants.map((v) => v.name).join(', ')}: tsc, then node runs the compiled ESM and CommonJS programs`, async () => {
    expect(app).toBeDefined();
    const dirs: string[] = [];
    for (const v of variants) {
      // Inside the app's folder, so that the installed tarballs (and typescript) resolve from node_modules above.
      const dir = path.join(app, 'consumers', v.name);
      dirs.push(dir);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${v.name}`, private: true, ...v.pkg }, null, 2));
      const compilerOptions = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, experimentalDecorators: true, skipLibCheck: false, outDir: 'out', ...v.compilerOptions };
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }, null, 2));
      fs.writeFileSync(path.join(dir, 'main.ts'), CONSUMER_SOURCE);
    }
    // One tsc for the three projects (each with its own settings).
    const tsc = await run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-b', ...dirs], app);
    expect({ code: tsc.code, out: tsc.out }).toEqual({ code: 0, out: '' });
    for (const v of variants.filter((x) => x.run)) {
      const out = await ok(NODE_BIN !== undefined ? path.join(NODE_BIN, 'node') : process.execPath, [path.join(app, 'consumers', v.name, 'out', 'main.js')], app);
      expect([v.name, out]).toEqual([v.name, 'hi { n: 1 } ping function function function undefined true static [a@127.0.0.1] function function\n']);
    }
  }, 120_000);
});
