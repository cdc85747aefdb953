/**
 * Control messages: what one node tells another (OTP's distribution control
 * messages, plus Grove's call reply and tick). On the wire each is a protobuf
 * `Envelope` (schema: `schema.ts`), written by `control.ts` and read by
 * `control_decode.ts`.
 *
 * Deliberate differences from OTP:
 * - SEND carries an optional `from` (OTP's SEND and SEND_SENDER in one message).
 * - UNLINK is OTP 23's UNLINK_ID with its UNLINK_ID_ACK: `id` pairs an unlink with
 *   its ack so a link made again meanwhile is not lost. A transport that does not
 *   need this may send id 0 and ignore acks.
 * - SPAWN_REQUEST names a spawnable registered on the target node (code is never
 *   shipped) instead of `{Module, Function, Arity}`, and has no group leader.
 * - REPLY (a call's reply: to, tag, value) is Grove's own; OTP sends replies as
 *   ordinary messages. TICK is a message here; an empty batch works as a tick too.
 */
import type { Pid, Ref } from '@grove/core';

/** Every control message, discriminated by `type` (OTP's names, in snake case). */
export type ControlMessage =
  /** A message to a pid (OTP SEND / SEND_SENDER). */
  | { readonly type: 'send'; readonly from: Pid | undefined; readonly to: Pid; readonly msg: unknown }
  /** A message to a name registered on the receiving node (OTP REG_SEND). */
  | { readonly type: 'reg_send'; readonly from: Pid | undefined; readonly to: string; readonly msg: unknown }
  /** `from` links to `to` (OTP LINK). */
  | { readonly type: 'link'; readonly from: Pid; readonly to: Pid }
  /** `from` unlinks from `to` (OTP UNLINK_ID); answered by `unlink_ack` with the same id. */
  | { readonly type: 'unlink'; readonly from: Pid; readonly to: Pid; readonly id: number }
  /** Acknowledges an `unlink` (OTP UNLINK_ID_ACK). */
  | { readonly type: 'unlink_ack'; readonly from: Pid; readonly to: Pid; readonly id: number }
  /** A linked process died (OTP EXIT). */
  | { readonly type: 'exit'; readonly from: Pid; readonly to: Pid; readonly reason: unknown }
  /** `exit(to, reason)` called by `from` (OTP EXIT2). */
  | { readonly type: 'exit2'; readonly from: Pid; readonly to: Pid; readonly reason: unknown }
  /** `from` monitors a pid or a registered name of the receiving node (OTP MONITOR_P). */
  | { readonly type: 'monitor'; readonly from: Pid; readonly to: Pid | string; readonly ref: Ref }
  /** Removes that monitor (OTP DEMONITOR_P). */
  | { readonly type: 'demonitor'; readonly from: Pid; readonly to: Pid | string; readonly ref: Ref }
  /** A monitored process is gone: DOWN for `to` (OTP MONITOR_P_EXIT). */
  | { readonly type: 'monitor_exit'; readonly from: Pid | string; readonly to: Pid; readonly ref: Ref; readonly reason: unknown }
  /**
   * Spawn the spawnable registered as `name` with `args` (OTP SPAWN_REQUEST); `ref`
   * identifies the request (and is the monitor's ref when `monitor` is set).
   */
  | {
      readonly type: 'spawn_request';
      readonly ref: Ref;
      readonly from: Pid;
      readonly name: string;
      readonly args: readonly unknown[];
      readonly link: boolean;
      readonly monitor: boolean;
      readonly options: unknown;
    }
  /** The answer to a spawn request: `pid` on success, else `reason` (OTP SPAWN_REPLY). */
  | {
      readonly type: 'spawn_reply';
      readonly ref: Ref;
      readonly to: Pid;
      readonly link: boolean;
      readonly monitor: boolean;
      readonly pid: Pid | undefined;
      readonly reason: unknown;
    }
  /** The reply to a call made by `to`, tagged `tag` (core's `RemoteRouter.reply`). */
  | { readonly type: 'reply'; readonly to: Pid; readonly tag: number; readonly value: unknown }
  /** Heartbeat. */
  | { readonly type: 'tick' };

/** The `type` of a control message. */
export type ControlType = ControlMessage['type'];
/** The control message whose `type` is `K`. */
export type ControlMessageOf<K extends ControlType> = Extract<ControlMessage, { type: K }>;
