/**
 * `npm run example:doors`: a building's door locks, in one node.
 *
 * One supervision tree (one_for_one) holds
 * - two registries (Elixir's Registry): DOORS, unique keys, where each door is
 *   registered by its name (a via name) with its zone as the value; WATCHERS,
 *   duplicate keys, where watchers subscribe to door events (pub-sub);
 * - a TaskSupervisor, CHECKS, that runs the badge checks;
 * - two watchers (watcher.ts): the security desk (every zone; it resets alarms)
 *   and the vault's auditor (the vault zone only);
 * - three doors (door.ts), each a GenStateMachine.
 *
 * The story: badge swipes checked concurrently (one of them at a door that does
 * not exist, which crashes its task and nothing else), a door opened twice in a
 * row (the second person waits: postpone), three wrong codes (alarm, reset by the
 * desk, and whoever comes next is held until then), a power cut that crashes a door
 * (restarted by its supervisor, under the same name), and the doors' final states.
 */
import { Node, Registry, setLogLevel, startSupervisor, stopSupervisor, Task, TaskSupervisor, type ProcessContext, type TaskResult } from '@grove/core';
import { Door, DOORS, WATCHERS, type DoorArgs, type DoorInfo } from './door';
import { CHECKS, via } from './names';
import { Watcher, type WatcherArgs } from './watcher';

const OPEN_MS = 100;

const DOOR_LIST: DoorArgs[] = [
  { name: 'front', zone: 'lobby', code: '1234', openMs: OPEN_MS },
  { name: 'lab', zone: 'research', code: '4711', openMs: OPEN_MS },
  { name: 'vault', zone: 'vault', code: '0007', openMs: OPEN_MS },
];

const WATCHER_LIST: WatcherArgs[] = [
  { label: 'desk', zones: 'all', guard: true },
  { label: 'vault audit', zones: ['vault'], guard: false },
];

interface Swipe {
  person: string;
  door: string;
  code: string;
}

/** A badge check, run as a task: find the door in the registry, ask it. */
async function check({ person, door, code }: Swipe, taskCtx: ProcessContext): Promise<string> {
  const [entry] = Registry.lookup<DoorInfo>(taskCtx, DOORS, door);
  if (entry === undefined) throw new Error(`no door named ${door}`);
  const answer = await Door.client(taskCtx, entry.pid).call.swipe(person, code);
  return `${answer} (${entry.value.zone} zone)`;
}

function show({ person, door }: Swipe, r: TaskResult<string>): void {
  if ('ok' in r) console.log(`  ${person} at ${door}: ${r.ok}`);
  else console.log(`  ${person} at ${door}: the check crashed (${r.exit instanceof Error ? r.exit.message : String(r.exit)}); nobody else noticed`);
}

async function story(ctx: ProcessContext): Promise<void> {
  const sup = await startSupervisor(ctx, {
    flags: { strategy: 'one_for_one', intensity: 3, periodMs: 5000 },
    children: [
      Registry.childSpec({ name: DOORS, keys: 'unique' }, { id: 'doors' }),
      Registry.childSpec({ name: WATCHERS, keys: 'duplicate' }, { id: 'watchers' }),
      TaskSupervisor.childSpec({ name: CHECKS, id: 'checks' }),
      ...WATCHER_LIST.map((w) => Watcher.childSpec(w, { id: w.label })),
      ...DOOR_LIST.map((d) => Door.childSpec(d, { id: d.name, name: via(ctx, d.name, { zone: d.zone }) })),
    ],
  }, { name: 'building' });
  console.log(`Doors in the registry: ${Registry.select<DoorInfo>(ctx, DOORS).map((e) => `${String(e.key)} (${e.value.zone})`).join(', ')}\n`);

  console.log('1. Seven badge swipes, checked four at a time by tasks under the task supervisor:');
  const swipes: Swipe[] = [
    { person: 'ada', door: 'front', code: '1234' },
    { person: 'bob', door: 'front', code: '1234' },
    { person: 'eve', door: 'lab', code: '1111' },
    { person: 'eve', door: 'lab', code: '2222' },
    { person: 'eve', door: 'lab', code: '3333' },
    { person: 'cy', door: 'garage', code: '9999' },
    { person: 'fay', door: 'lab', code: '4711' },
  ];
  let i = 0;
  for await (const r of TaskSupervisor.asyncStreamNolink(ctx, CHECKS, swipes, check, { maxConcurrency: 4 })) show(swipes[i++]!, r);

  console.log('\n2. A power cut crashes the vault door; its supervisor starts a new one under the same name:');
  const [before] = Registry.lookup(ctx, DOORS, 'vault');
  Door.client(ctx, via(ctx, 'vault')).cast.powerCut();
  const fresh = (): boolean => {
    const [now] = Registry.lookup(ctx, DOORS, 'vault');
    return now !== undefined && !now.pid.equals(before!.pid);
  };
  while (!fresh()) await ctx.yield(); // the registry drops the dead door on its EXIT, the new one registers as it starts
  const [after] = Registry.lookup(ctx, DOORS, 'vault');
  console.log(`  vault was ${String(before!.pid)}, is now ${String(after!.pid)}, ${await Door.client(ctx, via(ctx, 'vault')).call.status()}`);
  const dan: Swipe = { person: 'dan', door: 'vault', code: '0007' };
  const task = await TaskSupervisor.async(ctx, CHECKS, (taskCtx) => check(dan, taskCtx));
  show(dan, { ok: await Task.await(ctx, task, 1000) });

  console.log('\n3. Closing time: every door answers `whenLocked` once it is locked (postponed until then):');
  for (const { key, value } of Registry.select<DoorInfo>(ctx, DOORS)) {
    const door = Door.client(ctx, via(ctx, key as string));
    const now = await door.call.status();
    console.log(`  ${String(key)} (${value.zone} zone): ${now}${now === 'locked' ? '' : `, then ${await door.call.whenLocked()}`}`);
  }
  await stopSupervisor(ctx, sup);
  console.log(`\nStopped the tree (doors, watchers, task supervisor, registries): 'doors' is ${ctx.node.whereis(DOORS) === undefined ? 'gone' : 'STILL THERE'}. Bye!`);
}

/** Crash reports print whole stacks: off unless GROVE_EXAMPLE_VERBOSE=1 (the supervisor's report says what crashed and why). */
function tidyReports(): void {
  if (process.env['GROVE_EXAMPLE_VERBOSE'] !== '1') for (const name of ['gen_server', 'process']) setLogLevel(name, 'fatal');
}

tidyReports();
console.log('Door locks: GenStateMachine doors, a Registry of them, badge checks as Tasks.\n');
const node = new Node();
node.run(story).then(
  () => {
    node.halt();
    process.exit(0);
  },
  (e: unknown) => {
    console.error('doors failed:', e);
    process.exit(1);
  },
);
