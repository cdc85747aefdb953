/**
 * A watcher of doors: a GenServer that registers itself under the key 'door' in the
 * duplicate registry WATCHERS (pub-sub), with the zones it cares about as its value.
 * Doors dispatch their state changes to it (door.ts). The security desk also acts:
 * it sends a guard to reset a door in alarm.
 */
import { GenServer, Info, Registry } from '@grove/core';
import { Door, WATCHERS, type DoorEvent, type WatchFilter } from './door';
import { via } from './names';

export interface WatcherArgs {
  label: string;
  zones: WatchFilter['zones'];
  /** Whether it resets doors in alarm. */
  guard: boolean;
}

export class Watcher extends GenServer {
  private label = '';
  private guard = false;

  override init({ label, zones, guard }: WatcherArgs): void {
    this.label = label;
    this.guard = guard;
    Registry.register<WatchFilter>(this.ctx, WATCHERS, 'door', { zones });
  }

  @Info('door') door({ door, zone, from, to }: DoorEvent): void {
    if (from === to) console.log(`  [${this.label}] ${door} (${zone} zone) is up: ${to}`);
    else console.log(`  [${this.label}] ${door}: ${from} -> ${to}`);
    if (to === 'alarm' && this.guard) {
      console.log(`  [${this.label}] ALARM at ${door}: sending a guard to reset it`);
      Door.client(this.ctx, via(this.ctx, door)).cast.reset(`the guard from ${this.label}`);
    }
  }
}
