/**
 * A door lock: a GenStateMachine (OTP's gen_statem) with three states.
 *
 *   locked ──right code──▶ open ──after openMs (state timeout)──▶ locked
 *     │ third wrong code in a row
 *     ▼
 *   alarm ──reset (a guard)──▶ locked
 *
 * - A swipe at an open door is postponed: the person waits for it to lock again,
 *   and is checked then (one at a time, like an airlock).
 * - A swipe at a door in alarm is postponed too, until a guard resets the door.
 * - `whenLocked` is postponed in every state but locked: it answers once the door is.
 * - Every state change, the first one included (state enter calls), is announced
 *   to the watchers registered under 'door' in the duplicate registry WATCHERS
 *   (Registry.dispatch); each watcher's value says which zones it cares about.
 * - The door is registered in the unique registry DOORS through its via name
 *   (run.ts), with its zone as the value: a restarted door takes the name again.
 */
import { GenStateMachine, Registry, State, type StateFunctions, type StatemEvent, type StateResult } from '@grove/core';

export const DOORS = 'doors';
export const WATCHERS = 'door_watchers';

export type DoorState = 'locked' | 'open' | 'alarm';

export interface DoorArgs {
  name: string;
  zone: string;
  code: string;
  /** How long the door stays open. */
  openMs: number;
}

/** What a door registers in DOORS, beside its name. */
export interface DoorInfo {
  zone: string;
}

/** What a watcher registers under 'door' in WATCHERS: the zones it hears about. */
export interface WatchFilter {
  zones: string[] | 'all';
}

/** What a watcher gets on each state change (`from === to`: the door just started). */
export interface DoorEvent {
  type: 'door';
  door: string;
  zone: string;
  from: DoorState;
  to: DoorState;
}

interface DoorProtocol {
  call: { swipe(person: string, code: string): string; status(): DoorState; whenLocked(): 'locked' };
  cast: { reset(by: string): void; powerCut(): void };
}

type DoorEv = StatemEvent<DoorState, DoorProtocol>;

const MAX_WRONG = 3;

/** `implements StateFunctions`: a state without its method, or one mistyped, is a compile error. */
export class Door extends GenStateMachine<DoorState, DoorProtocol> implements StateFunctions<DoorState, DoorProtocol> {
  static override readonly stateEnter = true;
  private name = '';
  private zone = '';
  private code = '';
  private openMs = 0;
  private wrong = 0;

  override init({ name, zone, code, openMs }: DoorArgs): DoorState {
    this.name = name;
    this.zone = zone;
    this.code = code;
    this.openMs = openMs;
    return 'locked';
  }

  @State() locked(ev: DoorEv): StateResult<DoorState> {
    if (ev.type === 'enter') return this.announce(ev.content);
    if (ev.type === 'call' && ev.content === 'whenLocked') return this.keepState(this.replyTo(ev.from, 'locked'));
    if (ev.type !== 'call' || ev.content === 'status') return this.common(ev);
    const [, person, code] = ev.content;
    if (code === this.code) {
      this.wrong = 0;
      return this.nextState('open', this.replyTo(ev.from, 'opened'));
    }
    this.wrong++;
    if (this.wrong < MAX_WRONG) return this.keepState(this.replyTo(ev.from, `wrong code (${this.wrong} of ${MAX_WRONG})`));
    console.log(`  [${this.name}] ${MAX_WRONG} wrong codes in a row, the last from ${person}: alarm`);
    return this.nextState('alarm', this.replyTo(ev.from, 'wrong code: alarm raised'));
  }

  @State() open(ev: DoorEv): StateResult<DoorState> {
    if (ev.type === 'enter') {
      this.announce(ev.content);
      return this.keepState(this.stateTimeout(this.openMs, 'close')); // cancelled if the state changes first
    }
    if (ev.type === 'stateTimeout') return this.nextState('locked');
    if (ev.type === 'call' && ev.content === 'whenLocked') return this.keepState(this.postpone());
    if (ev.type !== 'call' || ev.content === 'status') return this.common(ev);
    console.log(`  [${this.name}] ${ev.content[1]} waits: the door is open (postponed until it locks)`);
    return this.keepState(this.postpone());
  }

  @State() alarm(ev: DoorEv): StateResult<DoorState> {
    if (ev.type === 'enter') return this.announce(ev.content);
    if (ev.type === 'cast' && Array.isArray(ev.content) && ev.content[0] === 'reset') {
      console.log(`  [${this.name}] reset by ${ev.content[1]}`);
      this.wrong = 0;
      return this.nextState('locked');
    }
    if (ev.type === 'call' && ev.content === 'whenLocked') return this.keepState(this.postpone());
    if (ev.type !== 'call' || ev.content === 'status') return this.common(ev);
    console.log(`  [${this.name}] ${ev.content[1]} is held: the door is in alarm (postponed until a guard resets it)`);
    return this.keepState(this.postpone());
  }

  /** What every state does alike: answer `status`, crash on a power cut, ignore the rest. */
  private common(ev: DoorEv): StateResult<DoorState> {
    if (ev.type === 'call' && ev.content === 'status') return this.keepState(this.replyTo(ev.from, this.state));
    if (ev.type === 'cast' && ev.content === 'powerCut') throw new Error(`power cut at the ${this.name} door`);
  }

  /** Tells the watchers of this zone that the door went from `from` to its state. */
  private announce(from: DoorState): void {
    const event: DoorEvent = { type: 'door', door: this.name, zone: this.zone, from, to: this.state };
    Registry.dispatch<WatchFilter>(this.ctx, WATCHERS, 'door', (entries) => {
      for (const { pid, value } of entries) if (value.zones === 'all' || value.zones.includes(this.zone)) this.ctx.send(pid, event);
    });
  }
}
