import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COOKIE_FILE_NAME, CookieError, createCookieFile, readCookieFile, resolveCookie, resolveCookieWithSource } from '@grove/distribution';

describe('cookie resolution', () => {
  let home: string;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-cookie-'));
  });

  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  const file = (): string => path.join(home, COOKIE_FILE_NAME);

  it('takes the explicit option first', () => {
    expect(resolveCookieWithSource({ cookie: 'explicit', env: { GROVE_COOKIE: 'fromenv', HOME: home } })).toEqual({
      cookie: 'explicit',
      source: 'option',
    });
    expect(fs.existsSync(file())).toBe(false);
  });

  it('takes GROVE_COOKIE when there is no option', () => {
    expect(resolveCookie({ env: { GROVE_COOKIE: 'fromenv', HOME: home } })).toBe('fromenv');
    expect(fs.existsSync(file())).toBe(false);
  });

  it('creates the cookie file in HOME with mode 0600 and a random cookie when nothing else is set', () => {
    const first = resolveCookieWithSource({ env: { HOME: home } });
    expect(first.source).toBe('created');
    expect(first.cookie).toMatch(/^[A-Z]{20}$/);
    expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
    const again = resolveCookieWithSource({ env: { HOME: home } });
    expect(again).toEqual({ cookie: first.cookie, source: 'file', path: file() });
  });

  it('leaves no temporary file behind after creating the cookie file', () => {
    resolveCookie({ home });
    expect(fs.readdirSync(home)).toEqual([COOKIE_FILE_NAME]);
  });

  it('keeps the first cookie when two creators race', () => {
    const a = createCookieFile(file());
    const b = createCookieFile(file());
    expect(b).toBe(a);
  });

  it('reads the first line of an existing file, without trailing white space', () => {
    fs.writeFileSync(file(), 'secret  \nsecond line\n', { mode: 0o600 });
    expect(resolveCookie({ home })).toBe('secret');
  });

  it('refuses a cookie file that the group or others can read, telling how to fix it', () => {
    fs.writeFileSync(file(), 'secret\n', { mode: 0o600 });
    fs.chmodSync(file(), 0o644);
    expect(() => resolveCookie({ home })).toThrow(CookieError);
    expect(() => resolveCookie({ home })).toThrow(/accessible by its owner only \(mode is 644\); run: chmod 600/);
  });

  it('refuses an empty cookie file', () => {
    fs.writeFileSync(file(), '\n', { mode: 0o600 });
    expect(() => readCookieFile(file())).toThrow(/is empty/);
  });

  it('refuses a cookie path that is a directory', () => {
    fs.mkdirSync(file(), { mode: 0o700 });
    expect(() => resolveCookie({ home })).toThrow(/not a regular file/);
  });

  it('refuses an empty or oversized explicit cookie', () => {
    expect(() => resolveCookie({ cookie: '' })).toThrow(/the cookie is empty/);
    expect(() => resolveCookie({ cookie: 'x'.repeat(2000) })).toThrow(/longer than 1024 bytes/);
  });

  it('reports a cookie file that cannot be created', () => {
    expect(() => resolveCookie({ file: path.join(home, 'missing-dir', 'cookie') })).toThrow(/cannot create cookie file/);
  });
});
