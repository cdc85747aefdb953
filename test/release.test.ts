/**
 * `npm run release` (scripts/release.js): a dry run by default, which bumps the
 * fixed version with lerna, aligns the packages' peer ranges, shows what
 * `npm publish` would upload, publishes nothing and leaves no file changed. It runs
 * on a copy of the repository (a git repository of its own, node_modules linked), so
 * the version bump it makes for a moment is never seen by the other tests.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO = path.resolve(__dirname, '..');
/** Every published package (with publishConfig), as scripts/release.js finds them. */
const PACKAGES = fs
  .readdirSync(path.join(REPO, 'packages'))
  .filter((p) => fs.existsSync(path.join(REPO, 'packages', p, 'package.json')))
  .filter((p) => JSON.parse(fs.readFileSync(path.join(REPO, 'packages', p, 'package.json'), 'utf8')).publishConfig !== undefined)
  .sort();
let copy: string;

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['lerna.json', 'package-lock.json', ...PACKAGES.map((p) => `packages/${p}/package.json`)]) out[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  return out;
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, 'packages', 'core', 'dist', 'index.js'))) throw new Error("the packages are not built: run 'npm run build' first (npm test does)");
  copy = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'grove-release-')));
  for (const f of ['lerna.json', 'package.json', 'package-lock.json', 'LICENSE']) fs.copyFileSync(path.join(REPO, f), path.join(copy, f));
  fs.mkdirSync(path.join(copy, 'examples', 'launcher'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'examples', 'launcher', 'package.json'), path.join(copy, 'examples', 'launcher', 'package.json'));
  for (const p of PACKAGES) {
    const from = path.join(REPO, 'packages', p);
    const to = path.join(copy, 'packages', p);
    fs.mkdirSync(to, { recursive: true });
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist', 'src', 'bin']) {
      if (fs.existsSync(path.join(from, f))) fs.cpSync(path.join(from, f), path.join(to, f), { recursive: true });
    }
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
  fs.writeFileSync(path.join(copy, '.gitignore'), 'node_modules\ndist\n');
  const git = (...args: string[]) => exec('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: copy });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'copy');
}, 60_000);

afterAll(() => {
  if (copy !== undefined) fs.rmSync(copy, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('is a dry run by default: lerna bumps the fixed version, npm publish --dry-run shows each package, then every file is as before', async () => {
    const before = snapshot(copy);
    const env: NodeJS.ProcessEnv = { ...process.env, GROVE_RELEASE_ROOT: copy, NO_COLOR: '1', npm_config_update_notifier: 'false' };
    delete env['JEST_WORKER_ID'];
    const { stdout, stderr } = await exec(process.execPath, [path.join(REPO, 'scripts', 'release.js'), 'minor', '--no-build'], { cwd: copy, env, maxBuffer: 64 << 20 });
    const out = stdout + stderr;
    expect(out).toContain('lerna version minor --force-publish --no-git-tag-version --no-push --yes');
    for (const p of PACKAGES) {
      expect(out).toContain(`npm publish --dry-run --workspace=packages/${p}`);
      expect(out).toContain(`+ @grove/${p}@0.2.0`);
    }
    expect(out).toContain(`release (dry run): would publish ${PACKAGES.map((p) => `@grove/${p}@0.2.0`).join(', ')}; nothing was published`);
    expect(snapshot(copy)).toEqual(before);
    const { stdout: status } = await exec('git', ['status', '--porcelain'], { cwd: copy });
    expect(status).toBe('');
  }, 120_000);

  it('refuses an unknown option or bump with exit code 2, before changing anything', async () => {
    const env = { ...process.env, GROVE_RELEASE_ROOT: copy };
    await expect(exec(process.execPath, [path.join(REPO, 'scripts', 'release.js'), 'sideways'], { cwd: copy, env })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('BUMP must be patch, minor, major') });
    await expect(exec(process.execPath, [path.join(REPO, 'scripts', 'release.js'), '--force'], { cwd: copy, env })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown option --force') });
  });
});
