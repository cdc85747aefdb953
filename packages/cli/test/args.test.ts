/**
 * The `grove` command line, parsed in-process: every flag validated with a clear
 * message, help, and what each command receives.
 */
import * as path from 'node:path';
import { localHostName } from '@grove/distribution';
import { helpText, parseArgs, UsageError } from '@grove/cli';

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error(`parseArgs(${JSON.stringify(argv)}) did not throw`);
}

describe('grove command line', () => {
  it('parses a shell with a long name, a cookie and --hidden, in either option form', () => {
    expect(parseArgs(['shell', '--name', 'alice@127.0.0.1', '--cookie=secret', '--hidden'])).toEqual({
      command: 'shell',
      node: { name: 'alice@127.0.0.1', nameKind: 'long', cookie: 'secret', hidden: true },
    });
  });

  it('makes --sname N into N@<short host name>, as erl -sname does', () => {
    const host = localHostName('short');
    expect(parseArgs(['shell', '--sname', 'bob'])).toEqual({ command: 'shell', node: { name: `bob@${host}`, nameKind: 'short', hidden: false } });
    expect(parseArgs(['shell', '--sname', 'bob@box'])).toMatchObject({ node: { name: 'bob@box' } });
  });

  it('gives a shell without a name a local node', () => {
    expect(parseArgs(['shell'])).toEqual({ command: 'shell', node: { hidden: false } });
  });

  it('leaves everything after FILE to the program run', () => {
    expect(parseArgs(['run', '--name', 'a@127.0.0.1', 'app.js', '--port', '80', '--name', 'x'])).toEqual({
      command: 'run',
      node: { name: 'a@127.0.0.1', nameKind: 'long', hidden: false },
      file: 'app.js',
      args: ['--port', '80', '--name', 'x'],
    });
    expect(parseArgs(['run', '--', '-odd.js', 'a'])).toMatchObject({ file: '-odd.js', args: ['a'] });
  });

  it('parses the TLS files of a shell or a run, given one by one or as a directory', () => {
    expect(parseArgs(['shell', '--name', 'a@127.0.0.1', '--tls-cert', 'a.crt', '--tls-key=a.key', '--tls-ca', 'ca.crt'])).toEqual({
      command: 'shell',
      node: { name: 'a@127.0.0.1', nameKind: 'long', hidden: false, tls: { cert: 'a.crt', key: 'a.key', ca: 'ca.crt' } },
    });
    expect(parseArgs(['run', '--name', 'a@127.0.0.1', '--tls-dir', 'certs', 'app.js'])).toMatchObject({
      node: { tls: { cert: path.join('certs', 'a@127.0.0.1.crt'), key: path.join('certs', 'a@127.0.0.1.key'), ca: path.join('certs', 'ca.crt') } },
      file: 'app.js',
    });
  });

  it('parses the distribution settings of a shell or a run: erl\'s -connect_all, net_ticktime, listen port or range, interface, nodes to connect to, allow', () => {
    expect(
      parseArgs([
        'shell', '--name', 'a@127.0.0.1', '--no-connect-all', '--net-ticktime', '20', '--port-range=9100-9105', '--listen', '0.0.0.0',
        '--connect', 'b@127.0.0.1', '--connect=c@127.0.0.1', '--hidden-connect', 'd@127.0.0.1', '--allow', 'b@127.0.0.1', '--allow', 'e@127.0.0.1',
      ]),
    ).toEqual({
      command: 'shell',
      node: {
        name: 'a@127.0.0.1', nameKind: 'long', hidden: false, connectAll: false, netTickTimeMs: 20_000, portRange: { min: 9100, max: 9105 }, listen: '0.0.0.0',
        connect: ['b@127.0.0.1', 'c@127.0.0.1'], hiddenConnect: ['d@127.0.0.1'], allow: ['b@127.0.0.1', 'e@127.0.0.1'],
      },
    });
    expect(parseArgs(['run', '--sname', 'a@box', '--port', '9100', '--connect', 'b@box', 'app.js'])).toMatchObject({
      node: { name: 'a@box', port: 9100, connect: ['b@box'] },
      file: 'app.js',
    });
    expect(parseArgs(['shell', '--name', 'a@127.0.0.1', '--port', '0'])).toMatchObject({ node: { port: 0 } });
  });

  it('parses certs: the nodes, the directory (default grove-certs) and the days', () => {
    expect(parseArgs(['certs', 'a@127.0.0.1', 'b@box'])).toEqual({ command: 'certs', nodes: ['a@127.0.0.1', 'b@box'], dir: 'grove-certs', days: 365 });
    expect(parseArgs(['certs', '--dir', 'x', '--days', '30'])).toEqual({ command: 'certs', nodes: [], dir: 'x', days: 30 });
  });

  it('parses observer: its node, the nodes to connect to, the page\'s port, address and token, and --allow-write', () => {
    expect(parseArgs(['observer', '--name', 'obs@127.0.0.1', '--cookie', 'c', '--connect', 'a@127.0.0.1', '--connect', 'b@127.0.0.1', '--port', '8080', '--listen', '0.0.0.0', '--token', '0123456789abcdef', '--allow-write'])).toEqual({
      command: 'observer',
      node: { name: 'obs@127.0.0.1', nameKind: 'long', hidden: false, cookie: 'c', connect: ['a@127.0.0.1', 'b@127.0.0.1'] },
      port: 8080,
      listen: '0.0.0.0',
      token: '0123456789abcdef',
      allowWrite: true,
    });
    expect(parseArgs(['observer', '--name', 'obs@127.0.0.1'])).toEqual({ command: 'observer', node: { name: 'obs@127.0.0.1', nameKind: 'long', hidden: false }, allowWrite: false });
  });

  it('parses top with its sort, interval, count and lines', () => {
    expect(parseArgs(['top', 'alice@127.0.0.1'])).toEqual({ command: 'top', target: 'alice@127.0.0.1', sort: 'messages', intervalMs: 1000, lines: 20 });
    expect(parseArgs(['top', 'alice@127.0.0.1', '--cookie', 'c', '--sort', 'mailbox', '--interval', '0.25', '--count', '3', '--lines', '5'])).toEqual({
      command: 'top',
      target: 'alice@127.0.0.1',
      cookie: 'c',
      sort: 'mailbox',
      intervalMs: 250,
      count: 3,
      lines: 5,
    });
  });

  it('parses ping with its cookie before or after NODE, and names', () => {
    expect(parseArgs(['ping', 'alice@127.0.0.1', '--cookie', 'c'])).toEqual({ command: 'ping', target: 'alice@127.0.0.1', cookie: 'c' });
    expect(parseArgs(['ping', '--cookie', 'c', 'alice@127.0.0.1'])).toEqual({ command: 'ping', target: 'alice@127.0.0.1', cookie: 'c' });
    expect(parseArgs(['names'])).toEqual({ command: 'names' });
  });

  it('answers --help, -h and help for grove and for each command', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['help', 'ping'])).toEqual({ command: 'help', topic: 'ping' });
    for (const cmd of ['shell', 'run', 'ping', 'names', 'certs', 'top', 'observer'] as const) {
      expect(parseArgs([cmd, '--help'])).toEqual({ command: 'help', topic: cmd });
      expect(helpText(cmd)).toContain(`Usage: grove ${cmd}`);
    }
    // --help wins over the rest of the line, even when the rest is wrong.
    expect(parseArgs(['shell', '--sname', 'a', '--help'])).toEqual({ command: 'help', topic: 'shell' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
  });

  it.each([
    [[], /missing command/],
    [['bogus'], /unknown command "bogus"; the commands are shell, run, ping, names, certs, new, top, observer/],
    [['--sname', 'a'], /unknown option --sname \(options come after the command\)/],
    [['help', 'bogus'], /no help for "bogus"/],
    [['shell', '--bogus'], /unknown option --bogus for grove shell/],
    [['shell', '-x'], /unknown option -x for grove shell/],
    [['shell', 'extra'], /unexpected argument "extra" for grove shell/],
    [['shell', '--sname'], /--sname needs a value/],
    [['shell', '--sname', '--hidden'], /--sname needs a value/],
    [['shell', '--name='], /--name needs a non-empty value/],
    [['shell', '--sname', 'a', '--sname', 'b'], /--sname is given twice/],
    [['shell', '--sname', 'a', '--name', 'b@127.0.0.1'], /--sname and --name cannot go together/],
    [['shell', '--hidden=yes', '--sname', 'a'], /--hidden takes no value/],
    [['shell', '--hidden'], /--hidden needs --sname or --name/],
    [['shell', '--cookie', 'c'], /--cookie needs --sname or --name/],
    [['shell', '--sname', 'a.b'], /--sname a\.b: the part before @ \("a\.b"\) may hold only letters, digits, _ and -/],
    [['shell', '--sname', 'alice@127.0.0.1'], /--sname alice@127\.0\.0\.1: a short name has a host without dots.*use --name/],
    [['shell', '--name', 'alice@box'], /--name alice@box: a long name has a fully qualified host.*use --sname/],
    [['shell', '--name', 'a@b@c'], /--name a@b@c: must be alive@host with exactly one @/],
    [['shell', '--name', '@127.0.0.1'], /the part before @ is empty/],
    [['shell', '--name', 'a@999.1.1.1'], /is not a valid IP address/],
    [['run'], /missing FILE/],
    [['run', '--hidden', 'app.js'], /--hidden needs --sname or --name/],
    [['ping'], /missing NODE/],
    [['ping', 'alice'], /NODE "alice" is not a node name: must be alive@host/],
    [['ping', 'a@127.0.0.1', 'b@127.0.0.1'], /unexpected argument "b@127.0.0.1" for grove ping/],
    [['ping', 'a@127.0.0.1', '--hidden'], /unknown option --hidden for grove ping/],
    [['names', '--cookie', 'x'], /unknown option --cookie for grove names/],
    [['names', 'host'], /unexpected argument "host" for grove names/],
    [['top'], /missing NODE: the node to watch/],
    [['observer'], /needs --sname or --name: the observer is a node of the cluster/],
    [['observer', '--name', 'o@127.0.0.1', 'extra'], /unexpected argument "extra" for grove observer/],
    [['observer', '--name', 'o@127.0.0.1', '--listen', '10.0.0.1'], /--listen 10.0.0.1 serves the page beyond this host: give --token T too/],
    [['observer', '--name', 'o@127.0.0.1', '--listen', 'x'], /--listen must be an IP address/],
    [['observer', '--name', 'o@127.0.0.1', '--token', 'short'], /--token must be 16 characters or more/],
    [['observer', '--name', 'o@127.0.0.1', '--port', '70000'], /--port must be a port number/],
    [['top', 'alice'], /NODE "alice" is not a node name/],
    [['top', 'a@127.0.0.1', '--sort', 'cpu'], /--sort must be mailbox, memory or messages, got "cpu"/],
    [['top', 'a@127.0.0.1', '--interval', '0'], /--interval must be a number of seconds from 0.05 to 3600/],
    [['top', 'a@127.0.0.1', '--interval', '1e3'], /--interval must be a number of seconds/],
    [['top', 'a@127.0.0.1', '--count', '0'], /--count must be a whole number from 1/],
    [['top', 'a@127.0.0.1', '--lines', 'x'], /--lines must be a whole number from 1/],
    [['shell', '--tls-dir', 'certs'], /--tls-dir needs --sname or --name: a node without a name does not connect to others/],
    [['shell', '--name', 'a@127.0.0.1', '--tls-cert', 'a.crt'], /--tls-cert needs --tls-key and --tls-ca too/],
    [['shell', '--name', 'a@127.0.0.1', '--tls-cert', 'a.crt', '--tls-ca', 'ca.crt'], /--tls-cert needs --tls-key too/],
    [['run', '--name', 'a@127.0.0.1', '--tls-dir', 'd', '--tls-ca', 'ca.crt', 'app.js'], /--tls-dir cannot go with --tls-cert, --tls-key or --tls-ca: DIR stands for DIR\/ca\.crt, DIR\/<node>\.crt and DIR\/<node>\.key/],
    [['shell', '--no-connect-all'], /--no-connect-all needs --sname or --name/],
    [['shell', '--connect', 'b@127.0.0.1'], /--connect needs --sname or --name: a node without a name does not connect to others/],
    [['run', '--port', '9100', 'app.js'], /--port needs --sname or --name/],
    [['shell', '--name', 'a@127.0.0.1', '--no-connect-all=yes'], /--no-connect-all takes no value/],
    [['shell', '--name', 'a@127.0.0.1', '--no-connect-all', '--no-connect-all'], /--no-connect-all is given twice/],
    [['shell', '--name', 'a@127.0.0.1', '--net-ticktime', '0'], /--net-ticktime must be a whole number of seconds from 1 to 2147483, got "0"/],
    [['shell', '--name', 'a@127.0.0.1', '--net-ticktime', '1.5'], /--net-ticktime must be a whole number of seconds/],
    [['shell', '--name', 'a@127.0.0.1', '--net-ticktime', '60', '--net-ticktime', '60'], /--net-ticktime is given twice/],
    [['shell', '--name', 'a@127.0.0.1', '--port', '65536'], /--port must be a port number from 0 to 65535 \(0: any free port\), got "65536"/],
    [['shell', '--name', 'a@127.0.0.1', '--port', 'http'], /--port must be a port number/],
    [['shell', '--name', 'a@127.0.0.1', '--port', '-1'], /--port needs a value|--port must be a port number/],
    [['shell', '--name', 'a@127.0.0.1', '--port-range', '9105-9100'], /--port-range must be MIN-MAX with 1 <= MIN <= MAX <= 65535 \(e\.g\. 9100-9105\), got "9105-9100"/],
    [['shell', '--name', 'a@127.0.0.1', '--port-range', '9100'], /--port-range must be MIN-MAX/],
    [['shell', '--name', 'a@127.0.0.1', '--port-range', '0-10'], /--port-range must be MIN-MAX/],
    [['shell', '--name', 'a@127.0.0.1', '--port', '9100', '--port-range', '9100-9101'], /--port and --port-range cannot go together/],
    [['shell', '--name', 'a@127.0.0.1', '--listen', 'localhost'], /--listen must be an IP address to listen on \(127\.0\.0\.1, 0\.0\.0\.0, ::1\), got "localhost"/],
    [['shell', '--name', 'a@127.0.0.1', '--connect', 'bob'], /--connect bob: not a node name: must be alive@host.*give a full name/],
    [['shell', '--name', 'a@127.0.0.1', '--connect', 'bob@box'], /--connect bob@box: a long-named node talks only to long names/],
    [['shell', '--sname', 'a@box', '--allow', 'bob@127.0.0.1'], /--allow bob@127\.0\.0\.1: a short-named node talks only to short names/],
    [['shell', '--name', 'a@127.0.0.1', '--connect', 'a@127.0.0.1'], /--connect a@127\.0\.0\.1: that is this node's own name/],
    [['shell', '--name', 'a@127.0.0.1', '--connect', 'b@127.0.0.1', '--connect', 'b@127.0.0.1'], /--connect b@127\.0\.0\.1 is given twice/],
    [['shell', '--name', 'a@127.0.0.1', '--connect', 'b@127.0.0.1', '--hidden-connect', 'b@127.0.0.1'], /b@127\.0\.0\.1 is given to both --connect and --hidden-connect/],
    [['shell', '--name', 'a@127.0.0.1', '--hidden', '--hidden-connect', 'b@127.0.0.1'], /--hidden-connect makes no sense with --hidden/],
    [['shell', '--name', 'a@127.0.0.1', '--allow'], /--allow needs a value/],
    [['certs', 'alice'], /NODE "alice" is not a node name: must be alive@host/],
    [['certs', 'a@127.0.0.1', 'a@127.0.0.1'], /a@127\.0\.0\.1 is given twice/],
    [['certs', '--days', '0'], /--days must be a whole number of days from 1 to 36500, got "0"/],
    [['certs', '--days', '1.5'], /--days must be a whole number/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(usageError(argv as string[]).message).toMatch(message);
  });

  it('refuses a cookie longer than 1024 bytes', () => {
    expect(usageError(['shell', '--name', 'a@127.0.0.1', '--cookie', 'x'.repeat(1025)]).message).toMatch(/--cookie is longer than 1024 bytes/);
  });

  it('says which command a usage error belongs to, so the hint names its help', () => {
    expect(usageError(['ping']).command).toBe('ping');
    expect(usageError(['bogus']).command).toBeUndefined();
  });

  it('refuses arguments that are not strings', () => {
    expect(() => parseArgs([1 as unknown as string])).toThrow(/array of strings/);
  });
});

describe('parseArgs around help, version and --', () => {
  it('answers help without a topic and -v', () => {
    expect(parseArgs(['help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-v'])).toEqual({ command: 'version' });
  });

  it.each([
    ['an argument after --help', ['--help', 'shell'], /^unexpected argument after --help: shell$/],
    ['a second help topic', ['help', 'ping', 'extra'], /^unexpected argument after help ping: extra$/],
    ['an operand after -- for shell', ['shell', '--', 'extra'], /^unexpected argument "extra" for grove shell$/],
    ['an operand after -- for names', ['names', '--', 'host'], /^unexpected argument "host" for grove names$/],
    ['a ping cookie over 1024 bytes', ['ping', 'a@127.0.0.1', '--cookie', 'x'.repeat(1025)], /^--cookie is longer than 1024 bytes$/],
  ])('refuses %s', (_what, argv, message) => {
    expect(usageError(argv as string[]).message).toMatch(message as RegExp);
  });

  it('takes a lone - as an operand, not an option', () => {
    expect(parseArgs(['run', '-', 'x'])).toEqual({ command: 'run', node: { hidden: false }, file: '-', args: ['x'] });
  });
});
