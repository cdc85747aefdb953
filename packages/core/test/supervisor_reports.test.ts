/**
 * Supervisor and application reports through the logger, and silencing them.
 */
import {
  Application,
  callServer,
  type Node,
  setLogLevel,
  startApplication,
  startSimpleOneForOne,
  startLinkSupervisor,
  startSupervisor,
  stopApplication,
  UnknownCallError,
  whichChildren,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { captureLogs, node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

afterEach(() => {
  setLogLevel('silent');
});

describe('supervisor reports', () => {
  it('report the child start, its termination with the reason, and the restart', async () => {
    // The worker's own crash report (logger 'process') is captured too, to keep it off the console.
    const logs = captureLogs(['supervisor', 'process']);
    try {
      setLogLevel('debug');
      const sup = await startSupervisor(node, { flags: { intensity: 0 }, children: [{ id: 'w', start: worker(trace, 'w') }] }, { name: 'reporter' });
      trace.ids.set(sup.key, 'sup');
      node.send(pidOf(await whichChildren(node, sup), 'w'), 'crash');
      await waitFor(() => trace.count('exit sup shutdown') === 1, 'the supervisor to give up');
      const reports = logs.records.filter((r) => r.logger === 'supervisor');
      const seen = reports.map((r) => [r.level, r.message, r.data['child'], r.data['supervisor']]);
      expect(seen).toEqual([
        ['DEBUG', 'child started', 'w', 'reporter'],
        ['ERROR', 'child terminated', 'w', 'reporter'],
        ['ERROR', 'reached max restart intensity, shutting down', 'w', 'reporter'],
      ]);
      expect(reports[1]!.data['reason']).toBe('Error: w crashed');
    } finally {
      logs.restore();
    }
  });

  it('report the restart at info, and nothing once silenced', async () => {
    const logs = captureLogs(['supervisor', 'application', 'process']);
    try {
      setLogLevel('info');
      class App extends Application {
        start(ctx: ProcessContext): Promise<Pid> {
          return startLinkSupervisor(ctx, { flags: { intensity: 5 }, children: [{ id: 'w', start: worker(trace, 'w') }] });
        }
      }
      const root = await startApplication(node, App);
      node.send(pidOf(await whichChildren(node, root), 'w'), 'crash');
      await waitFor(() => trace.count('start w') === 2, 'w to restart');
      await stopApplication(node, App);
      const reports = (): string[] => logs.records.filter((r) => r.logger !== 'process').map((r) => `${r.level} ${r.message}`);
      expect(reports()).toEqual([
        'INFO application started',
        'ERROR child terminated',
        'INFO restarting',
        'INFO application stopped',
      ]);
      const before = logs.records.length;
      setLogLevel('silent');
      await startApplication(node, App);
      await stopApplication(node, App);
      expect(logs.records.length).toBe(before);
    } finally {
      logs.restore();
    }
  });

  it.each([
    ['static', (n: Node) => startSupervisor(n, { children: [] })],
    ['dynamic', (n: Node) => startSimpleOneForOne(n, { child: { start: () => Promise.resolve('ignore') } })],
  ])('a %s supervisor logs an unexpected message and call at warn, fails the call with UnknownCallError, and goes on', async (_kind, startSup) => {
    const logs = captureLogs(['supervisor']);
    try {
      const sup = await startSup(node);
      node.send(sup, 'junk');
      const err = await callServer(node, sup, 'junk call').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownCallError);
      expect((err as UnknownCallError).request).toBe('junk call');
      expect(await whichChildren(node, sup)).toEqual([]);
      expect(logs.records.map((r) => [r.level, r.message])).toEqual([
        ['WARN', 'unexpected message'],
        ['WARN', 'unexpected call'],
      ]);
    } finally {
      logs.restore();
    }
  });
});
