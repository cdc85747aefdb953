/** The names the example's processes find each other by. */
import { Registry, type ProcessContext, type Node, type ViaName } from '@grove/core';
import { DOORS, type DoorInfo } from './door';

/** The task supervisor that runs badge checks. */
export const CHECKS = 'checks';

/** A door's name: its key in the unique registry DOORS, its zone as the value. */
export function via(from: ProcessContext | Node, door: string, info?: DoorInfo): ViaName {
  return Registry.via(from, DOORS, door, info);
}
