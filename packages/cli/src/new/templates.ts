/**
 * The files `grove new` writes: a project that depends on the Grove packages, with
 * an Application, its supervision tree and a GenServer, a jest test of them, and a
 * README with `npm start` and `npm test`; the distributed variant adds a second node
 * that calls the first, and a test of the two.
 */

/** What a template needs to know. */
export interface ProjectParams {
  /** The package name (the folder's name). */
  readonly name: string;
  /** The Application class's name, from `name` (`my-app` → `MyApp`). */
  readonly appClass: string;
  /** The version range of the Grove packages (`^0.1.0`). */
  readonly groveRange: string;
  /** Two nodes: the application's and a client's. */
  readonly distributed: boolean;
}

/** Versions of the tools the project's tests use. */
const DEV_DEPENDENCIES = {
  '@types/jest': '^29.5.14',
  '@types/node': '^20.17.0',
  jest: '^29.7.0',
  'ts-jest': '^29.2.5',
  typescript: '~5.9.3',
};

/** `my-app` → `MyApp`; a name that does not start with a letter gets `App` in front. */
export function appClassName(name: string): string {
  const words = name.replace(/^@[^/]+\//, '').split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  let id = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (!/^[A-Za-z]/.test(id)) id = `App${id}`;
  return id;
}

/** The files, by path relative to the project folder. */
export function projectFiles(p: ProjectParams): Record<string, string> {
  const files: Record<string, string> = {
    'package.json': packageJson(p),
    'tsconfig.json': tsconfig(),
    '.gitignore': 'node_modules/\ndist/\n',
    'README.md': readme(p),
    'src/counter.ts': counter(),
    'src/app.ts': app(p),
    'src/main.ts': main(p),
    'test/app.test.ts': appTest(p),
  };
  if (p.distributed) {
    files['src/client.ts'] = client(p);
    files['test/cluster.test.ts'] = clusterTest(p);
  }
  return files;
}

const COOKIE = 'change-me';

function packageJson(p: ProjectParams): string {
  const scripts: Record<string, string> = p.distributed
    ? {
        start: `grove run --name app@127.0.0.1 --cookie ${COOKIE} src/main.ts`,
        'start:client': `grove run --name client@127.0.0.1 --cookie ${COOKIE} src/client.ts`,
        test: 'tsc --noEmit && jest',
      }
    : { start: 'grove run src/main.ts', test: 'tsc --noEmit && jest' };
  const dependencies: Record<string, string> = { '@grove/cli': p.groveRange, '@grove/core': p.groveRange };
  if (p.distributed) dependencies['@grove/distribution'] = p.groveRange;
  const pkg = {
    name: p.name,
    version: '0.1.0',
    private: true,
    description: `${p.name}: a Grove application${p.distributed ? ' on two nodes' : ''}`,
    scripts,
    dependencies,
    devDependencies: DEV_DEPENDENCIES,
    jest: {
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
    },
    engines: { node: '>=20' },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

function tsconfig(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'node16',
      moduleResolution: 'node16',
      lib: ['ES2022'],
      types: ['node', 'jest'],
      strict: true,
      // Grove's GenServer decorators (@Call, @Cast, @Info) are TypeScript's experimental ones.
      experimentalDecorators: true,
      esModuleInterop: true,
      // ts-jest compiles file by file; `npm test` type-checks the whole project with tsc first.
      isolatedModules: true,
      skipLibCheck: false,
      outDir: 'dist',
    },
    include: ['src', 'test'],
  };
  return JSON.stringify(config, null, 2) + '\n';
}

function counter(): string {
  return `import { Call, Cast, GenServer } from '@grove/core';

/** A counter in a process of its own: calls get a reply, casts do not. */
export class Counter extends GenServer<{ call: 'increment' | 'value' | 'crash'; cast: 'reset' }> {
  private count = 0;

  // Runs in the new process, before its start resolves.
  override init(start: number): void {
    this.count = start;
  }

  @Call() increment(by: number): number {
    return (this.count += by);
  }

  @Call() value(): number {
    return this.count;
  }

  @Cast() reset(): void {
    this.count = 0;
  }

  // Let it crash: the supervisor starts a fresh counter.
  @Call() crash(): never {
    throw new Error('asked to crash');
  }
}
`;
}

function app(p: ProjectParams): string {
  return `import { Application, getLogger, Supervisor, supervisor, type ChildSpec, type Pid, type ProcessContext } from '@grove/core';
import { Counter } from './counter';

const log = getLogger('${p.name}');

/** The supervision tree: one_for_one restarts a crashed child alone (at most 3 times in 5 s). */
@supervisor({ strategy: 'one_for_one', intensity: 3, periodMs: 5000 })
export class RootSupervisor extends Supervisor {
  children(): ChildSpec[] {
    // Registered as 'counter': any process${p.distributed ? ' of the cluster' : ''} reaches it by name.
    return [Counter.childSpec(0, { name: 'counter' })];
  }
}

/** The application: \`npm start\` runs it on a node until Ctrl-C. */
export class ${p.appClass} extends Application {
  async start(ctx: ProcessContext): Promise<Pid> {
    const root = await RootSupervisor.startLink(ctx);
    log.info(\`${p.name} started on \${ctx.node.name}\`, { root });
    return root;
  }

  override stop(): void {
    log.info('${p.name} stopped');
  }
}
`;
}

function main(p: ProjectParams): string {
  return `/**
 * What \`npm start\` runs (\`grove run ${p.distributed ? '--name app@127.0.0.1 ' : ''}src/main.ts\`): grove starts a node${p.distributed ? ' named app@127.0.0.1' : ''},
 * starts the application exported here, and stops it on Ctrl-C.
 */
import { setLogLevel } from '@grove/core';

// grove shows warnings and errors; this application's own reports too.
setLogLevel('${p.name}', 'info');

export { ${p.appClass} as default } from './app';
`;
}

function client(p: ProjectParams): string {
  return `/**
 * The second node (\`npm run start:client\`, in another shell while \`npm start\` runs):
 * grove starts client@127.0.0.1 and calls main, which reaches the counter on
 * app@127.0.0.1 by its registered name, then exits.
 */
import type { Node } from '@grove/core';
import { Counter } from './counter';

const APP_NODE = 'app@127.0.0.1';

export async function main(node: Node): Promise<number> {
  const counter = Counter.client(node, ['counter', APP_NODE]);
  const value = await counter.call.increment(1);
  console.log(\`the counter on \${APP_NODE} is at \${value}\`);
  return 0;
}
`;
}

function appTest(p: ProjectParams): string {
  return `import { Node, startApplication, stopApplications } from '@grove/core';
import { ${p.appClass} } from '../src/app';
import { Counter } from '../src/counter';

describe('${p.appClass}', () => {
  let node: Node;
  beforeEach(() => {
    node = new Node();
  });
  afterEach(() => node.halt());

  it('starts its tree; the counter answers calls and casts', async () => {
    await startApplication(node, ${p.appClass});
    const counter = Counter.client(node, 'counter');
    expect(await counter.call.increment(2)).toBe(2);
    expect(await counter.call.increment(3)).toBe(5);
    counter.cast.reset();
    expect(await counter.call.value()).toBe(0);
    await stopApplications(node);
    expect(node.whereis('counter')).toBeUndefined();
  });

  it('the supervisor restarts a crashed counter, with fresh state', async () => {
    await startApplication(node, ${p.appClass});
    const counter = Counter.client(node, 'counter');
    await counter.call.increment(7);
    const before = node.whereis('counter');
    await expect(counter.call.crash()).rejects.toThrow();
    // A call waits until the restarted counter is registered again.
    let after = node.whereis('counter');
    while (after === undefined || after.equals(before)) {
      await new Promise((resolve) => setImmediate(resolve));
      after = node.whereis('counter');
    }
    expect(await counter.call.value()).toBe(0);
    await stopApplications(node);
  });
});
`;
}

function clusterTest(p: ProjectParams): string {
  return `/**
 * The two nodes of \`npm start\` and \`npm run start:client\`, in one test: the
 * application on app@127.0.0.1, and a call to its counter from client@127.0.0.1.
 * They are linked in memory here (\`transport: 'memory'\`); grove run links them over TCP.
 */
import { startApplication, stopApplications } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';
import { ${p.appClass} } from '../src/app';
import { Counter } from '../src/counter';

describe('two nodes', () => {
  let app: DistNode;
  let client: DistNode;
  beforeEach(async () => {
    app = await startDistributed({ name: 'app@127.0.0.1', cookie: 'test', transport: 'memory' });
    client = await startDistributed({ name: 'client@127.0.0.1', cookie: 'test', transport: 'memory' });
  });
  afterEach(async () => {
    await client.stop();
    await app.stop();
  });

  it('a process on the client node calls the counter on the app node by name', async () => {
    await startApplication(app.node, ${p.appClass});
    const counter = Counter.client(client.node, ['counter', 'app@127.0.0.1']);
    expect(await counter.call.increment(1)).toBe(1);
    expect(await counter.call.increment(1)).toBe(2);
    expect(client.nodes()).toEqual(['app@127.0.0.1']);
    await stopApplications(app.node);
  });
});
`;
}

function readme(p: ProjectParams): string {
  const run = p.distributed
    ? `## Run it

Two nodes on this machine, in two shells:

\`\`\`sh
npm start                # shell 1: the application on node app@127.0.0.1; Ctrl-C stops it
npm run start:client     # shell 2: node client@127.0.0.1 calls the counter on app@127.0.0.1
\`\`\`

The second prints \`the counter on app@127.0.0.1 is at 1\` (then 2, 3, ... each time).
Both use the cookie in \`package.json\`'s scripts (\`--cookie ${COOKIE}\`): change it.
From a third shell, \`npx grove shell --name me@127.0.0.1 --cookie ${COOKIE}\` is a node
too: \`await call(['counter', 'app@127.0.0.1'], 'value')\`.`
    : `## Run it

\`\`\`sh
npm start     # the application on a node; Ctrl-C stops it
\`\`\``;
  return `# ${p.name}

A [Grove](https://www.npmjs.com/package/@grove/core) application: OTP's processes,
supervisors and applications in TypeScript.

\`\`\`sh
npm install   # once
npm test      # type-checks, then runs the tests (jest)
npm start     # runs the application
\`\`\`

## What is here

| file | what it is |
| --- | --- |
| \`src/counter.ts\` | \`Counter\`, a GenServer: a process that holds a number and answers calls and casts |
| \`src/app.ts\` | \`RootSupervisor\` (the supervision tree) and \`${p.appClass}\`, the Application that starts it |
| \`src/main.ts\` | what \`npm start\` runs with \`grove run\` |
${p.distributed ? "| `src/client.ts` | the second node: calls the counter on the first |\n" : ''}| \`test/\` | jest tests: the tree, a call, a crash and its restart${p.distributed ? ', and two nodes' : ''} |

${run}

## Test it

\`\`\`sh
npm test
\`\`\`

## Next

\`npx grove --help\` lists the \`grove\` commands (\`shell\`, \`run\`, \`ping\`, ...). The API
reference and guides are in the READMEs of \`@grove/core\`${p.distributed ? ', `@grove/distribution`' : ''} and
\`@grove/cli\` (\`node_modules/@grove/*/README.md\`).
`;
}
