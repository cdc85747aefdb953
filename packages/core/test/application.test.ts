/**
 * Applications: dependency order, environment, restart types, the controller API.
 */
import {
  Application,
  ApplicationError,
  getEnv,
  onNodeStop,
  startApplication,
  startLinkSupervisor,
  startSupervisor,
  stopApplication,
  stopApplications,
  stopSupervisor,
  whichApplications,
  whichChildren,
  type NodeStopInfo,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { captureLogs, node, waitFor } from './helpers';
import { pidOf, trace, useTracedNode, worker } from './supervisor_helpers';

useTracedNode();

/** An application whose root supervisor has one worker named after the app. */
abstract class Traced extends Application {
  start(ctx: ProcessContext): Promise<Pid> {
    trace.events.push(`app ${this.name}`);
    return startLinkSupervisor(ctx, { flags: { intensity: 0 }, children: [{ id: 'w', start: worker(trace, this.name) }] });
  }
  override stop(): void {
    trace.events.push(`stopped ${this.name}`);
  }
}

class Base extends Traced {}
class Middle extends Traced {
  dependencies = [Base];
}
class Top extends Traced {
  dependencies = [Middle, Base];
}

describe('applications', () => {
  it('starts dependencies first and stops them last', async () => {
    await startApplication(node, Top);
    expect(trace.events.filter((e) => e.startsWith('app'))).toEqual(['app Base', 'app Middle', 'app Top']);
    expect(whichApplications(node).map((a) => a.name)).toEqual(['Base', 'Middle', 'Top']);
    const mark = trace.events.length;
    await stopApplications(node);
    expect(trace.since(mark)).toEqual(['exit Top shutdown', 'stopped Top', 'exit Middle shutdown', 'stopped Middle', 'exit Base shutdown', 'stopped Base']);
    expect(whichApplications(node)).toEqual([]);
  });

  it('stops the running dependents of an application before the application itself', async () => {
    await startApplication(node, Top);
    await stopApplication(node, Base);
    expect(trace.events.filter((e) => e.startsWith('stopped'))).toEqual(['stopped Top', 'stopped Middle', 'stopped Base']);
  });

  it('does not start a dependency that already runs, and refuses to start an application twice', async () => {
    await startApplication(node, Base);
    await startApplication(node, Middle);
    expect(trace.events.filter((e) => e.startsWith('app'))).toEqual(['app Base', 'app Middle']);
    await expect(startApplication(node, Middle)).rejects.toMatchObject({ code: 'already_started', application: 'Middle' });
    await expect(stopApplication(node, 'Nope')).rejects.toMatchObject({ code: 'not_started' });
  });

  it('reads env defaults and start overrides', async () => {
    let seen: unknown;
    class Web extends Application {
      env = { port: 8080, greeting: 'hello' };
      start(ctx: ProcessContext): Promise<Pid> {
        seen = [this.getEnv('port'), this.getEnv('greeting')];
        return startLinkSupervisor(ctx, { children: [] });
      }
    }
    await startApplication(node, Web, { env: { port: 9000 } });
    expect(seen).toEqual([9000, 'hello']);
    expect(getEnv(node, Web, 'greeting')).toBe('hello');
    expect(getEnv(node, Web, 'port')).toBe(9000);
    if (Math.random() > 2) {
      // Type-level only: an unknown env key is a compile error at both ends.
      // @ts-expect-error 'prot' is not an env key of Web
      await startApplication(node, Web, { env: { prot: 1 } });
      // @ts-expect-error 'nope' is not an env key of Web
      getEnv(node, Web, 'nope');
    }
  });

  it('fails with start_failed and stops the dependencies it started when start rejects', async () => {
    class Broken extends Traced {
      dependencies = [Base];
      override start(): Promise<Pid> {
        return Promise.reject(new Error('no database'));
      }
    }
    const err = await startApplication(node, Broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationError);
    expect(err).toMatchObject({ code: 'start_failed', application: 'Broken' });
    expect((err as Error).message).toMatch(/no database/);
    expect(whichApplications(node)).toEqual([]);
    expect(trace.events).toContain('stopped Base');
  });

  it('refuses a root that is not linked to the application master', async () => {
    class Unlinked extends Application {
      start(ctx: ProcessContext): Promise<Pid> {
        return startSupervisor(ctx, { children: [] });
      }
    }
    await expect(startApplication(node, Unlinked)).rejects.toThrow(/start must start the root linked/);
    expect(whichApplications(node)).toEqual([]);
  });

  it('refuses circular dependencies', async () => {
    class Ping extends Traced {
      dependencies = [Pong];
    }
    class Pong extends Traced {
      dependencies = [Ping];
    }
    const err = await startApplication(node, Ping).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'circular_dependency', reason: 'Ping -> Pong -> Ping' });
    expect(trace.events).toEqual([]);
  });

  it('refuses what is not an application, dependencies that are not classes, and a start that resolves with no pid', async () => {
    class NotAnApp {}
    class BadDeps extends Traced {
      dependencies = ['Base'];
    }
    class NoRoot extends Application {
      start(): Promise<Pid> {
        return Promise.resolve('root' as unknown as Pid);
      }
    }
    await expect(startApplication(node, 42 as unknown as typeof NoRoot)).rejects.toMatchObject({ code: 'bad_application' });
    await expect(startApplication(node, NotAnApp as unknown as typeof NoRoot)).rejects.toMatchObject({ code: 'bad_application', application: 'NotAnApp' });
    await expect(startApplication(node, BadDeps)).rejects.toMatchObject({ code: 'bad_application', application: 'BadDeps' });
    await expect(startApplication(node, NoRoot)).rejects.toThrow(/start resolved with root; expected the root Pid/);
    expect(whichApplications(node)).toEqual([]);
    expect(trace.events).toEqual([]);
  });
});

describe('application restart types', () => {
  async function crashRoot(name: string): Promise<void> {
    const app = whichApplications(node).find((a) => a.name === name)!;
    node.send(pidOf(await whichChildren(node, app.root), 'w'), 'crash');
  }

  it('stops every other application and halts the node when a permanent application dies', async () => {
    const stops: NodeStopInfo[] = [];
    onNodeStop(node, (info) => stops.push(info));
    await startApplication(node, Base);
    await startApplication(node, Middle, { type: 'permanent' });
    await crashRoot('Middle');
    await waitFor(() => stops.length === 1, 'the node to stop');
    expect(stops[0]).toEqual({ application: 'Middle', reason: 'shutdown' });
    expect(trace.events.filter((e) => e.startsWith('stopped'))).toEqual(['stopped Middle', 'stopped Base']);
    expect(node.processCount).toBe(0);
  });

  it('stops the node when a transient application dies abnormally but not when it ends normally', async () => {
    const stops: NodeStopInfo[] = [];
    onNodeStop(node, (info) => stops.push(info));
    await startApplication(node, Base, { type: 'transient' });
    await stopSupervisor(node, whichApplications(node)[0]!.root, 'normal');
    await waitFor(() => whichApplications(node).length === 0, 'Base to be gone');
    await startApplication(node, Middle, { type: 'transient' });
    await crashRoot('Middle');
    await waitFor(() => stops.length === 1, 'the node to stop');
    expect(stops).toEqual([{ application: 'Middle', reason: 'shutdown' }]);
  });

  it("calls a dead application's stop() after its tree has gone, whatever the reason, as OTP", async () => {
    await startApplication(node, Base);
    await startApplication(node, Middle);
    const mark = trace.events.length;
    await crashRoot('Middle');
    await waitFor(() => trace.events.includes('stopped Middle'), "Middle's stop()");
    expect(trace.since(mark)).toEqual(['exit Middle error', 'stopped Middle']);
    await stopSupervisor(node, whichApplications(node)[0]!.root, 'normal');
    await waitFor(() => trace.events.includes('stopped Base'), "Base's stop() after a normal exit");
    expect(whichApplications(node)).toEqual([]);
  });

  it('logs a stop() that throws when the application died, and goes on', async () => {
    class Clumsy extends Traced {
      override stop(): void {
        trace.events.push('stopping Clumsy');
        throw new Error('cleanup failed');
      }
    }
    const logs = captureLogs(['application']);
    try {
      await startApplication(node, Clumsy);
      await crashRoot('Clumsy');
      await waitFor(() => logs.records.some((r) => r.message === 'application stop hook failed'), 'the failed hook to be logged');
      expect(trace.events).toContain('stopping Clumsy');
      await startApplication(node, Clumsy); // the controller goes on
      expect(whichApplications(node).map((a) => a.name)).toEqual(['Clumsy']);
    } finally {
      logs.restore();
    }
  });

  it('only reports the death of a temporary application', async () => {
    const stops: NodeStopInfo[] = [];
    onNodeStop(node, (info) => stops.push(info));
    await startApplication(node, Base);
    await startApplication(node, Middle);
    await crashRoot('Middle');
    await waitFor(() => whichApplications(node).length === 1, 'Middle to be gone');
    expect(whichApplications(node).map((a) => a.name)).toEqual(['Base']);
    expect(stops).toEqual([]);
  });
});
