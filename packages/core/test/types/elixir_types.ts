/**
 * Type tests for Task, Agent and Registry (Elixir), compiled (never run) by
 * `npx tsc -p tsconfig.test.json`. Every `@ts-expect-error` line must fail to compile.
 */
import { Agent, Registry, Task, type Node, type ProcessContext, type RegistryEntry, type TaskResult } from '@grove/core';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

export async function tasks(ctx: ProcessContext): Promise<void> {
  const t = Task.async(ctx, async () => 42);
  const n = await Task.await(ctx, t);
  assertType<Equal<typeof n, number>>();
  const y = await Task.yield(ctx, t);
  assertType<Equal<typeof y, TaskResult<number> | undefined>>();
  for await (const r of Task.asyncStream(ctx, ['a', 'b'], (s) => s.length)) assertType<Equal<typeof r, TaskResult<number>>>();
  // @ts-expect-error the item is a string, not a number
  Task.asyncStream(ctx, ['a'], (s: number) => s);
  // @ts-expect-error a task's function, not a value
  Task.async(ctx, 42);
}

export async function agents(node: Node): Promise<void> {
  const count = await Agent.get(node, 'counter', (n: number) => n + 1);
  assertType<Equal<typeof count, number>>();
  const got = await Agent.getAndUpdate(node, 'counter', (n: number) => ['old', n + 1] as const);
  assertType<Equal<typeof got, 'old'>>();
  // @ts-expect-error update must return the new state, of the state's type
  await Agent.update(node, 'counter', (n: number) => String(n));
  // @ts-expect-error getAndUpdate returns [reply, newState]
  await Agent.getAndUpdate(node, 'counter', (n: number) => n);
}

export function registries(ctx: ProcessContext): void {
  const entries = Registry.lookup<{ lang: string }>(ctx, 'topics', 'news');
  assertType<Equal<typeof entries, RegistryEntry<{ lang: string }>[]>>();
  Registry.match<{ lang: string }>(ctx, 'topics', 'news', (v) => v.lang === 'en');
  // @ts-expect-error the value has no `size`
  Registry.match<{ lang: string }>(ctx, 'topics', 'news', (v) => v.size === 1);
  // @ts-expect-error register needs the registering process's context, not a node
  Registry.register(ctx.node, 'topics', 'news', 1);
  // @ts-expect-error keys are 'unique' or 'duplicate'
  void Registry.start(ctx, { name: 'r', keys: 'many' });
}
