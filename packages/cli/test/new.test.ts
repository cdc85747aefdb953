/**
 * `grove new DIR [--distributed]`: what it writes, and what it refuses. The written
 * project's own `npm test` and `npm start` run in test/consumer.test.ts, against the
 * packed packages.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, NewProjectError, parseArgs, runNew, version } from '@grove/cli';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-new-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

describe('grove new', () => {
  it('parses DIR and --distributed, and refuses a missing or second DIR', () => {
    expect(parseArgs(['new', 'my-app'])).toEqual({ command: 'new', dir: 'my-app', distributed: false });
    expect(parseArgs(['new', '--distributed', 'my-app'])).toEqual({ command: 'new', dir: 'my-app', distributed: true });
    expect(() => parseArgs(['new'])).toThrow(/missing DIR/);
    expect(() => parseArgs(['new', 'a', 'b'])).toThrow(/unexpected argument "b" for grove new/);
    expect(() => parseArgs(['new', '--force', 'a'])).toThrow(/unknown option --force for grove new/);
  });

  it('writes a project that depends on this release of the Grove packages, with an app, a tree, a GenServer, a test and a README', async () => {
    const out = sink();
    expect(await runNew({ dir: 'my-app', distributed: false }, version(), { stdout: out.stream }, tmp)).toBe(0);
    const dir = path.join(tmp, 'my-app');
    const files = fs.readdirSync(dir, { recursive: true }).map(String).sort();
    expect(files).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'src/app.ts', 'src/counter.ts', 'src/main.ts', 'test', 'test/app.test.ts', 'tsconfig.json']);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.name).toBe('my-app');
    expect(pkg.dependencies).toEqual({ '@grove/cli': `^${version()}`, '@grove/core': `^${version()}` });
    expect(pkg.scripts).toMatchObject({ start: 'grove run src/main.ts', test: 'tsc --noEmit && jest' });
    expect(fs.readFileSync(path.join(dir, 'src', 'app.ts'), 'utf8')).toContain('export class MyApp extends Application');
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/npm start[\s\S]*npm test/);
    expect(out.text()).toContain('Created my-app, a Grove application, in my-app:');
    expect(out.text()).toContain('  cd my-app\n  npm install\n  npm test\n  npm start\n');
  });

  it('--distributed adds a second node (client.ts, start:client) and a two-node test', async () => {
    await runNew({ dir: 'duo', distributed: true }, '1.2.3', { stdout: sink().stream }, tmp);
    const dir = path.join(tmp, 'duo');
    expect(fs.existsSync(path.join(dir, 'src', 'client.ts'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'test', 'cluster.test.ts'))).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(pkg.dependencies['@grove/distribution']).toBe('^1.2.3');
    expect(pkg.scripts['start']).toBe('grove run --name app@127.0.0.1 --cookie change-me src/main.ts');
    expect(pkg.scripts['start:client']).toBe('grove run --name client@127.0.0.1 --cookie change-me src/client.ts');
  });

  it('writes into an empty folder, and refuses a folder that is not empty, overwriting nothing', async () => {
    fs.mkdirSync(path.join(tmp, 'empty'));
    await runNew({ dir: 'empty', distributed: false }, '0.1.0', { stdout: sink().stream }, tmp);
    expect(fs.existsSync(path.join(tmp, 'empty', 'package.json'))).toBe(true);
    fs.mkdirSync(path.join(tmp, 'busy'));
    fs.writeFileSync(path.join(tmp, 'busy', 'notes.txt'), 'mine');
    await expect(runNew({ dir: 'busy', distributed: false }, '0.1.0', { stdout: sink().stream }, tmp)).rejects.toThrow(NewProjectError);
    await expect(runNew({ dir: 'busy', distributed: false }, '0.1.0', { stdout: sink().stream }, tmp)).rejects.toThrow(
      'busy is not empty (1 entry, e.g. notes.txt): grove new writes into a new or empty folder, and overwrites nothing',
    );
    expect(fs.readdirSync(path.join(tmp, 'busy'))).toEqual(['notes.txt']);
    fs.writeFileSync(path.join(tmp, 'file'), '');
    await expect(runNew({ dir: 'file', distributed: false }, '0.1.0', { stdout: sink().stream }, tmp)).rejects.toThrow('file exists and is not a folder');
  });

  it('refuses a folder name that cannot name a package, and main says so on stderr with exit code 1', async () => {
    await expect(runNew({ dir: 'My App', distributed: false }, '0.1.0', { stdout: sink().stream }, tmp)).rejects.toThrow(/"My App" cannot name a package/);
    const out = sink();
    const err = sink();
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      expect(await main(['new', 'Bad_Name'], { stdout: out.stream, stderr: err.stream })).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    expect(err.text()).toMatch(/^grove new: "Bad_Name" cannot name a package/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
