/**
 * examples/doors end to end, as `npm run example:doors` runs it (built): door locks
 * as GenStateMachines named through a Registry, badge checks as tasks under a
 * TaskSupervisor, state changes dispatched to watchers, a door crashed and restarted.
 */
import { expectInOrder, killChildren, requireBuilt, startProgram } from './example_helpers';

beforeAll(() => requireBuilt('doors', ['run.js', 'door.js', 'watcher.js', 'names.js']));
afterEach(killChildren);

describe('examples/doors', () => {
  it('checks swipes concurrently, postpones at an open door, raises and resets an alarm, survives a crashed check and a crashed door', async () => {
    const run = startProgram('npm run example:doors', 'doors', 'run.js');
    expect(await run.exitCode(20_000)).toBe(0);
    const out = run.output;
    // What the main process prints comes in its order.
    expectInOrder(out, [
      /Doors in the registry: front \(lobby\), lab \(research\), vault \(vault\)/,
      /1\. Seven badge swipes/,
      /ada at front: opened \(lobby zone\)/,
      /bob at front: opened \(lobby zone\)/,
      /eve at lab: wrong code/,
      /eve at lab: wrong code/,
      /eve at lab: wrong code/,
      /cy at garage: the check crashed \(no door named garage\); nobody else noticed/,
      /fay at lab: opened \(research zone\)/,
      /2\. A power cut crashes the vault door/,
      /vault was #PID<[^>]+>, is now #PID<[^>]+>, locked/,
      /dan at vault: opened \(vault zone\)/,
      /3\. Closing time/,
      /front \(lobby zone\): (open, then )?locked/,
      /lab \(research zone\): (open, then )?locked/,
      /vault \(vault zone\): (open, then )?locked/,
      /'doors' is gone\. Bye!/,
    ]);
    // Three wrong codes: two counted, the third raises the alarm.
    expect(out.match(/eve at lab: wrong code \([12] of 3\)/g)).toHaveLength(2);
    expect(out).toMatch(/eve at lab: wrong code: alarm raised/);
    // Postpone: bob waits while the door is open, and is let in once it has locked again.
    expectInOrder(out, [/\[front\] bob waits: the door is open/, /\[desk\] front: open -> locked/, /\[desk\] front: locked -> open/, /bob at front: opened/]);
    // Registry.dispatch: the desk hears of the alarm and resets the door.
    expectInOrder(out, [/\[lab\] 3 wrong codes in a row, the last from eve: alarm/, /\[desk\] lab: locked -> alarm/, /\[desk\] ALARM at lab: sending a guard/, /\[lab\] reset by the guard from desk/, /\[desk\] lab: alarm -> locked/]);
    // The auditor registered for the vault zone only.
    expect(out.match(/\[vault audit\] vault \(vault zone\) is up: locked/g)).toHaveLength(2); // first start, then the restart
    expect(out).not.toMatch(/\[vault audit\] (front|lab)/);
    // The crashed check is reported by the task supervisor; the crashed door is restarted by the tree.
    expect(out).toMatch(/child terminated[\s\S]*?supervisor: 'checks'[\s\S]*?no door named garage/);
    expect(out).toMatch(/child terminated[\s\S]*?child: 'vault'[\s\S]*?power cut at the vault door/);
    const [, was, now] = /vault was (#PID<[^>]+>), is now (#PID<[^>]+>)/.exec(out)!;
    expect(now).not.toBe(was);
  });
});
