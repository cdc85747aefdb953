/**
 * `npm run docs`: typedoc's HTML API reference for every package, built with
 * warnings as errors (a public declaration that names an unexported type, a link to
 * a private symbol: the build fails), internals (`@internal`) left out; each package
 * README links to its page.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO = path.resolve(__dirname, '..');
const OUT = path.join(REPO, 'docs', 'api');
const PACKAGES = ['core', 'distribution', 'pg', 'cli', 'cluster', 'testing', 'observer'];

describe('npm run docs', () => {
  it('builds the API reference of every package without a warning, and each README links to its page', async () => {
    const { stdout, stderr } = await exec('npm', ['run', 'docs', '--silent'], { cwd: REPO, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1' } });
    expect(stdout + stderr).not.toMatch(/\[warning\]|\[error\]/);
    for (const p of PACKAGES) {
      const page = path.join(OUT, 'modules', `_grove_${p}.html`);
      expect([p, fs.existsSync(page)]).toEqual([p, true]);
      const readme = fs.readFileSync(path.join(REPO, 'packages', p, 'README.md'), 'utf8');
      expect([p, readme.includes(`(../../docs/api/modules/_grove_${p}.html)`)]).toEqual([p, true]);
    }
    // Internals stay out: core's Process (the runtime's process object) and the scheduler's enqueue are @internal.
    const core = fs.readFileSync(path.join(OUT, 'modules', '_grove_core.html'), 'utf8');
    expect(core).toContain('GenServer');
    expect(fs.existsSync(path.join(OUT, 'classes', '_grove_core.Process.html'))).toBe(false);
    expect(fs.readFileSync(path.join(OUT, 'classes', '_grove_core.Scheduler.html'), 'utf8')).not.toContain('enqueue');
  }, 180_000);

  it('writes into a folder git ignores', async () => {
    const { stdout } = await exec('git', ['check-ignore', 'docs/api/index.html'], { cwd: REPO });
    expect(stdout.trim()).toBe('docs/api/index.html');
  });
});
