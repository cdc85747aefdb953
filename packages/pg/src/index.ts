/**
 * @grove/pg — OTP 23+ process groups: processes join named groups within a scope;
 * every node sees the members of a group across the cluster, and groups heal
 * themselves as processes die and nodes come and go.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_SCOPE,
  start,
  startLink,
  childSpec,
  join,
  leave,
  getMembers,
  getLocalMembers,
  whichGroups,
  whichLocalGroups,
  monitorScope,
  monitor,
  demonitor,
  type Caller,
  type PidOrPids,
  type ScopeSnapshot,
  type GroupSnapshot,
} from './pg';
export type { ScopeOptions } from './scope';
export { type GroupEvent, isGroupEvent } from './protocol';
export { type NodeEvent, isNodeEvent, setMembership } from './peers';
export type { Membership } from '@grove/core';
export { groupKey } from './group_table';
export { NotLocalError, InvalidGroupError, UnexpectedMessageError } from './errors';
