/**
 * `grove new DIR [--distributed]`: writes a ready project into DIR (new, or empty):
 * package.json depending on the Grove packages of this release, tsconfig, an
 * Application with a supervision tree and a GenServer, a jest test, a README. It
 * installs nothing: `npm install` is the next step it prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NewProjectError } from '../errors';
import { appClassName, projectFiles } from './templates';

/** What `grove new` was asked. */
export interface NewRequest {
  readonly dir: string;
  readonly distributed: boolean;
}

/** Where `grove new` writes its report. */
export interface NewIo {
  readonly stdout: NodeJS.WritableStream;
}

/** npm's rule for a package name (lower case, URL-safe, at most 214 characters). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._~-]*$/;

/**
 * Writes the project; resolves with the exit code (0).
 *
 * @throws NewProjectError when DIR's name is no package name, or DIR exists and is not an empty folder.
 */
export async function runNew(req: NewRequest, version: string, io: NewIo, cwd: string = process.cwd()): Promise<number> {
  const dir = path.resolve(cwd, req.dir);
  const name = path.basename(dir);
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new NewProjectError(`${JSON.stringify(name)} cannot name a package: use lower-case letters, digits, '-', '.' and '_', starting with a letter or digit (e.g. my-app)`);
  }
  let entries: string[] | undefined;
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new NewProjectError(`${req.dir} exists and is not a folder`);
    if (code !== 'ENOENT') throw new NewProjectError(`cannot read ${req.dir}: ${(e as Error).message}`);
  }
  if (entries !== undefined && entries.length > 0) {
    throw new NewProjectError(`${req.dir} is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, e.g. ${entries.sort()[0]}): grove new writes into a new or empty folder, and overwrites nothing`);
  }
  const files = projectFiles({ name, appClass: appClassName(name), groveRange: `^${version}`, distributed: req.distributed });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { flag: 'wx' });
  }
  const shown = path.relative(cwd, dir) || '.';
  const lines = [
    `Created ${name}, a Grove ${req.distributed ? 'application on two nodes' : 'application'}, in ${shown}:`,
    ...Object.keys(files).map((f) => `  ${f}`),
    '',
    'Next:',
    ...(shown === '.' ? [] : [`  cd ${shown}`]),
    '  npm install',
    '  npm test',
    req.distributed ? '  npm start               # then, in another shell: npm run start:client' : '  npm start',
    '',
  ];
  io.stdout.write(lines.join('\n'));
  return 0;
}
