/**
 * Grove's logger: levels per subsystem, a replaceable sink, pids written as text,
 * and the term formatter under a name that leaves jest's `describe` alone.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as core from '@grove/core';
import { consoleSink, getLogger, getLogLevel, setLogLevel, setLogSink, startSupervisor, tslogSink, type LogRecord } from '@grove/core';
import { node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

const records: LogRecord[] = [];

beforeEach(() => {
  records.length = 0;
  setLogSink((r) => records.push(r));
});

afterEach(() => {
  setLogSink(null);
  setLogLevel('silent');
  for (const name of ['supervisor', 'process', 'x', 'y']) setLogLevel(name, null);
  jest.restoreAllMocks();
});

describe('log levels per subsystem', () => {
  it("setLogLevel('supervisor', 'warn') leaves the supervisor's info reports out and keeps its errors, other subsystems at the default", async () => {
    setLogLevel('info');
    setLogLevel('supervisor', 'warn');
    setLogLevel('process', 'silent');
    expect(getLogLevel('supervisor')).toBe('warn');
    expect(getLogLevel('application')).toBe('info');
    expect(getLogLevel()).toBe('info');
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [{ id: 'w', start: worker(trace, 'w') }] });
    node.send(pidOf(await core.whichChildren(node, sup), 'w'), 'crash');
    await waitFor(() => records.some((r) => r.message === 'child terminated'), 'the child terminated report');
    const supervisorLines = records.filter((r) => r.subsystem === 'supervisor').map((r) => `${r.level} ${r.message}`);
    expect(supervisorLines).toContain('error child terminated');
    expect(supervisorLines).not.toContain('info restarting');
    expect(records.filter((r) => r.subsystem === 'process')).toEqual([]);
    getLogger('y').info('y says hello');
    expect(records.filter((r) => r.subsystem === 'y').map((r) => r.message)).toEqual(['y says hello']);
    await core.stopSupervisor(node, sup);
  });

  it("a subsystem's level can be quieter or louder than the default, and null makes it follow the default again", () => {
    setLogLevel('warn');
    setLogLevel('x', 'debug');
    getLogger('x').debug('x debug');
    getLogger('y').info('y info');
    getLogger('y').warn('y warn');
    expect(records.map((r) => `${r.subsystem} ${r.level} ${r.message}`)).toEqual(['x debug x debug', 'y warn y warn']);
    expect(getLogger('x').enabled('debug')).toBe(true);
    setLogLevel('x', null);
    expect(getLogger('x').enabled('debug')).toBe(false);
    expect(getLogLevel('x')).toBe('warn');
  });

  it('GROVE_LOG_LEVEL sets the default and per-subsystem levels (warn,supervisor=debug); a part that makes no sense is ignored', () => {
    const core = path.resolve(__dirname, '..');
    const env: NodeJS.ProcessEnv = { ...process.env, GROVE_LOG_LEVEL: 'warn,supervisor=debug,dist=loud,=info' };
    delete env['JEST_WORKER_ID'];
    const script = `const c = require(${JSON.stringify(core)}); console.log(c.getLogLevel(), c.getLogLevel('supervisor'), c.getLogLevel('dist'))`;
    expect(execFileSync(process.execPath, ['-e', script], { env }).toString()).toBe('warn debug warn\n');
  });

  it('refuses an unknown level or an empty subsystem with a TypeError', () => {
    expect(() => setLogLevel('loud' as never)).toThrow(TypeError);
    expect(() => setLogLevel('x', 'loud' as never)).toThrow(/unknown log level "loud"/);
    expect(() => setLogLevel('', 'warn')).toThrow(/non-empty string/);
  });
});

describe('the sink', () => {
  it('gets message, fields and further arguments, with pids and refs written as #PID<node.id.serial> text', () => {
    setLogLevel('info');
    const pid = new core.Pid('alice@127.0.0.1', 12, 0, 1);
    const ref = node.makeRef();
    getLogger('x').error('something', { pid, ref, n: 1 }, pid);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r).toMatchObject({ level: 'error', subsystem: 'x', message: 'something', fields: { pid: '#PID<alice@127.0.0.1.12.0>', ref: ref.toString(), n: 1 }, extra: ['#PID<alice@127.0.0.1.12.0>'] });
    expect(r.time).toBeInstanceOf(Date);
  });

  it("a crash report names the process as '#PID<nonode@nohost.N.0>'", async () => {
    setLogLevel('error');
    node.spawn(() => {
      throw new Error('crash for the report');
    });
    await waitFor(() => records.some((r) => r.message === 'crash report'), 'the crash report');
    const report = records.find((r) => r.message === 'crash report')!;
    expect(report.fields?.['pid']).toMatch(/^#PID<nonode@nohost\.\d+\.0>$/);
  });

  it('a sink that throws does not take down the caller; setLogSink refuses what is not a function', () => {
    setLogLevel('info');
    setLogSink(() => {
      throw new Error('sink broke');
    });
    expect(() => getLogger('x').info('still fine')).not.toThrow();
    expect(() => setLogSink('console' as never)).toThrow(TypeError);
  });

  it('the console sink writes one line with the level and the subsystem, warnings to stderr', () => {
    setLogLevel('info');
    setLogSink(consoleSink);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    getLogger('x').warn('careful', { pid: new core.Pid('a@h', 3, 0, 0) });
    getLogger('x').info('fyi');
    expect(err).toHaveBeenCalledTimes(1);
    expect(err.mock.calls[0]![0]).toMatch(/^\d\d:\d\d:\d\d\.\d\d\d WARN \[grove:x\] careful$/);
    expect(err.mock.calls[0]![1]).toEqual({ pid: '#PID<a@h.3.0>' });
    expect(out.mock.calls[0]![0]).toMatch(/INFO \[grove:x\] fyi$/);
  });

  it('the default sink (tslog) prints the pid as text, and setLogSink(null) brings it back', () => {
    setLogLevel('info');
    setLogSink(null);
    const out = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    getLogger('x').error('tslog line', { pid: new core.Pid('a@h', 4, 0, 0) });
    const printed = out.mock.calls.map((c) => c.join(' ')).join('\n');
    expect(printed).toContain('tslog line');
    expect(printed).toContain('#PID<a@h.4.0>');
    expect(tslogSink).toBeInstanceOf(Function);
  });
});

describe('public names', () => {
  it("core's term formatter is formatTerm, and core exports no describe to shadow jest's", () => {
    expect(core.formatTerm({ a: [1, 'x'] })).toBe("{ a: [ 1, 'x' ] }");
    expect('describe' in core).toBe(false);
  });
});
