/**
 * Type tests for GenStateMachine, compiled (never run) by `npm run build`. Every
 * `@ts-expect-error` line must fail to compile: a state outside the machine's
 * states, a missing state function, a wrong request in an event or through the
 * typed client, a wrong init argument.
 */
import { GenServer, GenStateMachine, State, type Node, type Pid, type ProcessContext, type StateFunctions, type StatemEvent, type StateResult } from '@grove/core';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

type Light = 'red' | 'green';
interface LightProtocol {
  call: { colour(): Light; wait(ms: number): 'ok' };
  cast: { next(): void; jump(to: Light): void };
}
type LightEvent = StatemEvent<Light, LightProtocol>;

class TrafficLight extends GenStateMachine<Light, LightProtocol> implements StateFunctions<Light, LightProtocol> {
  override init(start: Light) {
    return start;
  }
  @State() red(ev: LightEvent) {
    return this.common(ev, 'green');
  }
  @State() green(ev: LightEvent) {
    return this.common(ev, 'red');
  }
  private common(ev: LightEvent, other: Light) {
    switch (ev.type) {
      case 'call': {
        assertType<Equal<typeof ev.content, 'colour' | ['wait', number]>>();
        return this.keepState(this.replyTo(ev.from, this.state));
      }
      case 'cast': {
        assertType<Equal<typeof ev.content, 'next' | ['jump', Light]>>();
        if (ev.content === 'next') return this.nextState(other);
        return this.nextState(ev.content[1], this.nextEvent('cast', 'next'));
      }
      case 'enter':
        assertType<Equal<typeof ev.content, Light>>();
        return;
      case 'genericTimeout':
        assertType<Equal<typeof ev.name, string>>();
        return;
      default:
        // @ts-expect-error: only calls carry a from
        void ev.from;
        return;
    }
  }
  // @ts-expect-error: bad is not one of the machine's states
  @State() bad(ev: LightEvent) {
    void ev;
    // @ts-expect-error: not one of the machine's states
    return this.nextState('blue');
  }
  // @ts-expect-error: nor is badInsert
  @State() badInsert() {
    // @ts-expect-error: an inserted cast must be one of the protocol's casts
    return this.keepState(this.nextEvent('cast', 'stop'));
  }
}

export class NamedStates extends GenStateMachine<Light> {
  override init() {
    return 'red' as const;
  }
  @State('red') whileRed() {}
  // @ts-expect-error: the name given is not one of the machine's states
  @State('amber') whileAmber() {}
}

export class NotAMachine extends GenServer {
  // @ts-expect-error: @State decorates a GenStateMachine's methods only
  @State() red() {}
}

// @ts-expect-error: the green state function is missing
export class Incomplete extends GenStateMachine<Light> implements StateFunctions<Light> {
  override init() {
    return 'red' as const;
  }
  @State() red() {}
}

export class BadInit extends GenStateMachine<Light> {
  // @ts-expect-error: init must return one of the states
  override init() {
    return 'purple' as const;
  }
  override handleEvent() {}
}

class AnyTerm extends GenStateMachine<{ count: number }> {
  static override readonly callbackMode = 'handleEventFunction';
  override init() {
    return { count: 0 };
  }
  override handleEvent(ev: StatemEvent<{ count: number }>, state: { count: number }): StateResult<{ count: number }> {
    if (ev.type === 'cast') return this.nextState({ count: state.count + 1 });
    assertType<Equal<typeof ev.content, unknown>>();
  }
}

export async function clients(ctx: ProcessContext, node: Node): Promise<void> {
  const pid: Pid = await TrafficLight.start(node, 'red', { name: 'light' });
  await TrafficLight.startLink(ctx, 'green');
  await AnyTerm.start(node);
  TrafficLight.childSpec('red', { id: 'light' });
  const light = TrafficLight.client(ctx, pid);
  assertType<Equal<ReturnType<typeof light.call.colour>, Promise<Light>>>();
  assertType<Equal<ReturnType<typeof light.call.wait>, Promise<'ok'>>>();
  light.cast.jump('green');

  // @ts-expect-error: init takes a Light
  await TrafficLight.start(node, 'blue');
  // @ts-expect-error: init's argument is required
  await TrafficLight.start(node);
  // @ts-expect-error: an undeclared call
  await light.call.reset();
  // @ts-expect-error: a wrong cast argument
  light.cast.jump('blue');
  // @ts-expect-error: a wrong reply type
  const n: number = await light.call.colour();
  void n;
  // @ts-expect-error: a child spec's args are checked too
  TrafficLight.childSpec(3);
}
