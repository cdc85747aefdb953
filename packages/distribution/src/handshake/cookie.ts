/**
 * The cookie: the shared secret that lets two nodes connect.
 *
 * Resolution order: the explicit option, else the `GROVE_COOKIE` environment
 * variable, else the cookie file `~/.grove.cookie`, which is created (mode 0600,
 * a random cookie of 20 upper-case letters, like Erlang's) when absent. Like
 * Erlang's `~/.erlang.cookie`, a file that the group or others may read or write
 * is refused with an error that says how to fix it, because a cookie anyone can
 * read protects nothing. Grove keeps its own file rather than reusing
 * `~/.erlang.cookie`, so that a Grove cluster and an Erlang cluster on one host do
 * not share a secret by accident; pass `cookie` explicitly to share one on purpose.
 *
 * Creation is atomic (written to a temporary file, then hard-linked into place), so
 * two nodes starting at once end up with the same cookie and neither reads a
 * half-written file.
 */
import { randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { CookieError } from '../errors';

/** The cookie file's name in the home directory. */
export const COOKIE_FILE_NAME = '.grove.cookie';
/** The environment variable that holds a cookie. */
export const COOKIE_ENV = 'GROVE_COOKIE';
/** The longest cookie accepted, in bytes. */
export const MAX_COOKIE_BYTES = 1024;

export interface CookieOptions {
  /** An explicit cookie; wins over everything else. */
  cookie?: string;
  /** The environment to read `GROVE_COOKIE` and `HOME` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The home directory holding the cookie file. Default `env.HOME`, else `os.homedir()`. */
  home?: string;
  /** A cookie file path; overrides `home`. */
  file?: string;
}

/** Where a cookie came from. */
export type CookieSource = 'option' | 'env' | 'file' | 'created';

/**
 * The cookie to use, by the resolution order above.
 *
 * @throws CookieError for an empty or oversized cookie, an unreadable cookie file,
 *   or one that the group or others can access.
 */
export function resolveCookie(options: CookieOptions = {}): string {
  return resolveCookieWithSource(options).cookie;
}

/** {@link resolveCookie}, also telling where the cookie came from (for logs). */
export function resolveCookieWithSource(options: CookieOptions = {}): { cookie: string; source: CookieSource; path?: string } {
  if (options.cookie !== undefined) return { cookie: checkCookie(options.cookie, 'the cookie option'), source: 'option' };
  const env = options.env ?? process.env;
  const fromEnv = env[COOKIE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { cookie: checkCookie(fromEnv, `$${COOKIE_ENV}`), source: 'env' };
  const file = cookieFilePath(options);
  const existing = readCookieFile(file);
  if (existing !== undefined) return { cookie: existing, source: 'file', path: file };
  return { cookie: createCookieFile(file), source: 'created', path: file };
}

/** The cookie file that {@link resolveCookie} would use. */
export function cookieFilePath(options: CookieOptions = {}): string {
  if (options.file !== undefined) return options.file;
  const env = options.env ?? process.env;
  const home = options.home ?? (env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : homedir());
  return path.join(home, COOKIE_FILE_NAME);
}

/** A fresh random cookie: 20 upper-case letters, as Erlang makes them. */
export function randomCookie(): string {
  let s = '';
  for (let i = 0; i < 20; i++) s += String.fromCharCode(65 + randomInt(26));
  return s;
}

/**
 * The cookie in `file`, or `undefined` when there is no such file.
 *
 * @throws CookieError when it is not a regular file, can be accessed by the group or
 *   others, cannot be read, or holds no cookie.
 */
export function readCookieFile(file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CookieError(`cannot read cookie file ${file}: ${(e as Error).message}`, file);
  }
  if (!st.isFile()) throw new CookieError(`cookie file ${file} is not a regular file`, file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new CookieError(
      `cookie file ${file} must be accessible by its owner only (mode is ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
      file,
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CookieError(`cannot read cookie file ${file}: ${(e as Error).message}`, file);
  }
  // Like Erlang: the cookie is the first line, without trailing white space.
  const cookie = text.split(/\r?\n/, 1)[0]!.trimEnd();
  if (cookie === '') throw new CookieError(`cookie file ${file} is empty`, file);
  return checkCookie(cookie, `cookie file ${file}`, file);
}

/**
 * Creates `file` holding a random cookie (mode 0600) unless it exists; returns the
 * cookie the file holds afterwards (another node's, if it won the race).
 */
export function createCookieFile(file: string): string {
  const cookie = randomCookie();
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, cookie + '\n', { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600); // the umask may have narrowed it already; never widened
    try {
      fs.linkSync(tmp, file); // atomic: fails with EEXIST if another node was first
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new CookieError(`cannot create cookie file ${file}: ${(e as Error).message}`, file);
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // already gone, or never written
    }
  }
  const written = readCookieFile(file);
  if (written === undefined) throw new CookieError(`cookie file ${file} vanished right after it was created`, file);
  return written;
}

function checkCookie(cookie: unknown, where: string, file?: string): string {
  if (typeof cookie !== 'string') throw new CookieError(`${where}: a cookie is a string, got ${typeof cookie}`, file);
  if (cookie === '') throw new CookieError(`${where}: the cookie is empty`, file);
  if (Buffer.byteLength(cookie) > MAX_COOKIE_BYTES) {
    throw new CookieError(`${where}: the cookie is longer than ${MAX_COOKIE_BYTES} bytes`, file);
  }
  return cookie;
}
