/**
 * What global name servers say to each other (and what a registrar asks of them).
 * Every request is a call to `[global_name_server, node]`; a `del_lock` and the
 * sync's `synced` notice are plain messages. All of it is made of copyable terms.
 */
import type { Pid } from '@grove/core';
import type { SetLockRequest } from './lock';

/** A name as it travels between servers: the name, its pid, and where its resolve method lives. */
export interface NameRecord {
  readonly name: unknown;
  readonly pid: Pid;
  /** A built-in resolver's name, or the node that holds the custom function. */
  readonly method: string;
}

/** One change to the table, applied in order. */
export type NameOp = { readonly op: 'insert'; readonly rec: NameRecord } | { readonly op: 'delete'; readonly name: unknown };

/** Requests a server answers (as calls). */
export type GlobalRequest =
  | SetLockRequest
  | { readonly type: 'global.register'; readonly rec: NameRecord; readonly force: boolean }
  | { readonly type: 'global.unregister'; readonly name: unknown; readonly pid: Pid | null }
  | { readonly type: 'global.names' }
  | { readonly type: 'global.nodes' }
  | { readonly type: 'global.apply'; readonly ops: readonly NameOp[] }
  | { readonly type: 'global.resolve'; readonly name: unknown; readonly pid1: Pid; readonly pid2: Pid }
  | { readonly type: 'global.sync' };

/** Answer to `global.register`: done, or the pid that holds the name. */
export type RegisterReply = 'ok' | { readonly taken: Pid };
