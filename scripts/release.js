#!/usr/bin/env node
/**
 * `npm run release [-- BUMP] [--publish] [--no-build]`: versions and publishes the
 * packages with lerna, at one fixed version (lerna.json's).
 *
 * BUMP is patch (default), minor, major, a pre-release keyword lerna knows, or an
 * exact version. The steps: build; `lerna version BUMP` (every package, without a
 * git commit or tag yet); the packages' peer ranges on each other set to `^VERSION`
 * (lerna leaves peerDependencies alone); then
 * - by default, a dry run: `npm publish --dry-run` of each package (what would be
 *   uploaded), and every file it changed is put back: nothing is published, nothing
 *   is left changed;
 * - with --publish: a commit and a tag `vVERSION`, then `lerna publish from-package`
 *   (needs `npm login`), then push the commit and the tag yourself.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// GROVE_RELEASE_ROOT: another checkout to release from (the test releases a copy).
const ROOT = process.env.GROVE_RELEASE_ROOT ?? path.resolve(__dirname, '..');
// Every package under packages/ that is published (has publishConfig).
const PACKAGES = fs
  .readdirSync(path.join(ROOT, 'packages'))
  .filter((p) => fs.existsSync(path.join(ROOT, 'packages', p, 'package.json')))
  .filter((p) => JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', p, 'package.json'), 'utf8')).publishConfig !== undefined)
  .sort();

function usage(message) {
  process.stderr.write(`release: ${message}\nusage: npm run release [-- patch|minor|major|VERSION] [--publish] [--no-build]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const publish = args.includes('--publish');
const build = !args.includes('--no-build');
const words = args.filter((a) => !a.startsWith('--'));
const unknown = args.find((a) => a.startsWith('--') && a !== '--publish' && a !== '--no-build');
if (unknown !== undefined) usage(`unknown option ${unknown}`);
if (words.length > 1) usage(`one BUMP at most, got ${words.join(' ')}`);
const bump = words[0] ?? 'patch';
if (!/^(patch|minor|major|prepatch|preminor|premajor|prerelease|\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?)$/.test(bump)) usage(`BUMP must be patch, minor, major, a pre-release keyword or a version, got ${JSON.stringify(bump)}`);

function run(cmd, cmdArgs) {
  process.stdout.write(`\n$ ${cmd} ${cmdArgs.join(' ')}\n`);
  execFileSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit' });
}

const touched = ['lerna.json', 'package-lock.json', ...PACKAGES.map((p) => `packages/${p}/package.json`)];
const saved = new Map(touched.map((f) => [f, fs.readFileSync(path.join(ROOT, f))]));

function restore() {
  for (const [f, content] of saved) fs.writeFileSync(path.join(ROOT, f), content);
}

function alignPeers(version) {
  for (const p of PACKAGES) {
    const file = path.join(ROOT, 'packages', p, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const field of ['peerDependencies', 'devDependencies']) {
      for (const dep of Object.keys(pkg[field] ?? {})) if (dep.startsWith('@grove/')) pkg[field][dep] = `^${version}`;
    }
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
  }
}

let ok = false;
try {
  if (build) run('npm', ['run', 'build']);
  // lerna updates package-lock.json itself when there is one, resolving the peer
  // ranges (still ^OLD until alignPeers) against the registry, where nothing is
  // published yet: it runs without the lockfile, which is updated below instead.
  const lock = path.join(ROOT, 'package-lock.json');
  fs.renameSync(lock, `${lock}.release`);
  try {
    run('npx', ['lerna', 'version', bump, '--force-publish', '--no-git-tag-version', '--no-push', '--yes']);
  } finally {
    fs.renameSync(`${lock}.release`, lock);
  }
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'lerna.json'), 'utf8')).version;
  alignPeers(version);
  run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']);
  if (!publish) {
    for (const p of PACKAGES) run('npm', ['publish', '--dry-run', `--workspace=packages/${p}`]);
    process.stdout.write(`\nrelease (dry run): would publish ${PACKAGES.map((p) => `@grove/${p}@${version}`).join(', ')}; nothing was published, and the version changes are undone.\nRun \`npm run release -- ${bump} --publish\` to publish.\n`);
  } else {
    run('git', ['commit', '-m', `release v${version}`, '--', ...touched]);
    run('git', ['tag', `v${version}`]);
    run('npx', ['lerna', 'publish', 'from-package', '--yes']);
    process.stdout.write(`\nreleased v${version}: push the commit and the tag (git push --follow-tags).\n`);
  }
  ok = true;
} finally {
  if (!publish) restore();
  if (!ok) process.exitCode = 1;
}
