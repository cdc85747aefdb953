/**
 * Type tests for supervisors and applications, compiled (never run) by
 * `npx tsc -p tsconfig.test.json`. Every `@ts-expect-error` line must fail to compile.
 */
import {
  Application,
  SimpleOneForOneSupervisor,
  getEnv,
  startApplication,
  startSimpleOneForOne,
  startLinkSimpleOneForOne,
  startLinkSupervisor,
  startSupervisor,
  Supervisor,
  supervisor,
  type ChildSpec,
  type ChildTemplate,
  type Node,
  type Pid,
  type ProcessContext,
} from '@grove/core';

declare const node: Node;
declare const ctx: ProcessContext;
declare const pid: Pid;

@supervisor({ strategy: 'one_for_all', intensity: 2, periodMs: 1000 })
class NoArgs extends Supervisor {
  children(): ChildSpec[] {
    return [];
  }
}

class WithArgs extends Supervisor<{ port: number }> {
  children(args: { port: number }): ChildSpec[] {
    return [NoArgs.childSpec(), WithArgs2.childSpec({ tag: String(args.port) }, { id: 'x' })];
  }
}

class WithArgs2 extends Supervisor<{ tag: string }> {
  children(): ChildSpec[] {
    return [];
  }
}

export async function supervisors(): Promise<void> {
  await NoArgs.start(node);
  await NoArgs.start(node, undefined, { name: 'root' });
  await NoArgs.startLink(ctx);
  await WithArgs.start(node, { port: 1 });
  // @ts-expect-error the args are required
  await WithArgs.start(node);
  // @ts-expect-error wrong args
  await WithArgs.start(node, { port: '1' });
  // @ts-expect-error a supervisor takes no args
  NoArgs.childSpec({ port: 1 });
  // @ts-expect-error the abstract base cannot start
  await Supervisor.start(node);
}

export async function plainDescriptions(): Promise<void> {
  await startSupervisor(node, { children: [] }, { name: 'root' });
  await startLinkSupervisor(ctx, { children: [] });
  await startSimpleOneForOne(ctx, { child: { start: () => Promise.resolve(pid) } });
  await startLinkSimpleOneForOne(ctx, { child: { start: () => Promise.resolve(pid) } });
  // @ts-expect-error whether it links is in the name: there is no link option
  await startSupervisor(ctx, { children: [] }, { link: true });
  // @ts-expect-error nor for a dynamic supervisor
  await startSimpleOneForOne(ctx, { child: { start: () => Promise.resolve(pid) } }, { link: true });
  // @ts-expect-error a linked supervisor needs a parent process, not a node
  await startLinkSupervisor(node, { children: [] });
}

// @ts-expect-error an unknown strategy
@supervisor({ strategy: 'one_for_some' })
export class BadFlags extends Supervisor {
  children(): ChildSpec[] {
    return [];
  }
}

class Pool extends SimpleOneForOneSupervisor<void, { user: string }> {
  child(): ChildTemplate<{ user: string }> {
    return { start: (_parent, args) => Promise.resolve(args.user === '' ? 'ignore' : pid) };
  }
}

export async function dynamic(): Promise<void> {
  await Pool.startChild(node, 'pool', { user: 'ada' });
  // @ts-expect-error child args are typed by the class
  await Pool.startChild(node, 'pool', { name: 'ada' });
}

class Web extends Application {
  env = { port: 8080, host: 'localhost' };
  start(c: ProcessContext): Promise<Pid> {
    const port: number = this.getEnv('port');
    // @ts-expect-error not an env key
    this.getEnv('prot');
    return NoArgs.startLink(c).then((p) => (port > 0 ? p : p));
  }
}

export async function applications(): Promise<void> {
  await startApplication(node, Web, { env: { port: 1 }, type: 'permanent' });
  // @ts-expect-error an env override of the wrong type
  await startApplication(node, Web, { env: { port: '1' } });
  // @ts-expect-error an unknown restart type
  await startApplication(node, Web, { type: 'sometimes' });
  const host: string | undefined = getEnv(node, Web, 'host');
  void host;
}

// ---- Elixir's DynamicSupervisor: typed extra arguments ----

export async function elixirDynamic(node: import('@grove/core').Node): Promise<void> {
  const { DynamicSupervisor, startDynamicSupervisor, startChild } = await import('@grove/core');
  class Jobs extends DynamicSupervisor<number, [number]> {
    override extraArguments(n: number): [number] {
      return [n];
    }
  }
  const sup = await Jobs.start(node, 1);
  await Jobs.startChild(node, sup, { id: 'ok', start: async (_parent, n: number) => (n > 0 ? 'ignore' : 'ignore') });
  // @ts-expect-error: the extra argument is a number
  await Jobs.startChild(node, sup, { id: 'bad', start: async (_parent, s: string) => (s ? 'ignore' : 'ignore') });
  // @ts-expect-error: the class's start args are a number
  await Jobs.start(node, 'one');
  const plain = await startDynamicSupervisor(node, { flags: { maxChildren: 3 }, extraArguments: ['x'] });
  await startChild(node, plain, { id: 'w', start: async () => 'ignore' as const });
  // @ts-expect-error: maxChildren is a number or 'infinity'
  await startDynamicSupervisor(node, { flags: { maxChildren: 'lots' } });
}
