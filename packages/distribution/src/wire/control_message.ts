/**
 * Control messages: what one node tells another (OTP's distribution control
 * messages, plus Grove's call reply and tick), as TypeScript types and as the
 * protobuf schema they travel in. On the wire each is a protobuf `Envelope`, written
 * by `control.ts` and read by `control_decode.ts`.
 *
 * The schema is a protobufjs reflection descriptor (so the built package needs no
 * `.proto` file at run time). It is the contract: the fast hand-written codec
 * writes and reads exactly these messages, and the tests check it both ways against
 * protobufjs's own encoder and decoder. A bridge in another language generates its
 * code from the `.proto` text in the README.
 *
 * Envelope field numbers are Erlang's distribution operation codes (LINK = 1,
 * SEND = 2, EXIT = 3, REG_SEND = 6, EXIT2 = 8, MONITOR_P = 19, DEMONITOR_P = 20,
 * MONITOR_P_EXIT = 21, SPAWN_REQUEST = 29, SPAWN_REPLY = 31, UNLINK_ID = 35,
 * UNLINK_ID_ACK = 36), so a bridge maps one to one; Grove's own messages start at
 * 100. Payloads (`payload`, `reason`, `value`, `args`...) are terms in the format of
 * `term_format.ts`, carried as `bytes`.
 *
 * Names repeat (node names in every pid and ref, registered names in REG_SEND and
 * monitors): each is a oneof of the name in full (`node_name`, `to`, `to_name`,
 * `from_name`), which appends it to the connection's atom cache, or its index there
 * (`node_index`, `to_index`, `to_name_index`, `from_name_index`); see `atom_cache.ts`.
 *
 * A frame's body is one `Batch`: the transport concatenates `Batch.messages`
 * entries, each `0x0a <varint length> <Envelope>`, and decodes them in order.
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
import * as protobuf from 'protobufjs';

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

// ---- the protobuf schema ----

/** Envelope field numbers: which control message an envelope carries. */
export const enum Op {
  LINK = 1,
  SEND = 2,
  EXIT = 3,
  REG_SEND = 6,
  EXIT2 = 8,
  MONITOR = 19,
  DEMONITOR = 20,
  MONITOR_EXIT = 21,
  SPAWN_REQUEST = 29,
  SPAWN_REPLY = 31,
  UNLINK = 35,
  UNLINK_ACK = 36,
  REPLY = 100,
  TICK = 101,
}

const pid = (id: number) => ({ type: 'Pid', id });
const ref = (id: number) => ({ type: 'Ref', id });
const bytes = (id: number) => ({ type: 'bytes', id });
const fromTo = { from: pid(1), to: pid(2) };
const monitorType = {
  oneofs: { target: { oneof: ['to_pid', 'to_name', 'to_name_index'] } },
  fields: { from: pid(1), to_pid: pid(2), to_name: { type: 'string', id: 3 }, ref: ref(4), to_name_index: { type: 'uint32', id: 5 } },
};

/** The protobufjs JSON descriptor of package `grove.dist`. */
export const controlSchemaJson = {
  nested: {
    grove: {
      nested: {
        dist: {
          nested: {
            Pid: {
              oneofs: { node: { oneof: ['node_index', 'node_name'] } },
              fields: {
                node_index: { type: 'uint32', id: 1 },
                node_name: { type: 'string', id: 2 },
                id: { type: 'uint64', id: 3 },
                serial: { type: 'uint32', id: 4 },
                creation: { type: 'uint32', id: 5 },
              },
            },
            Ref: {
              oneofs: { node: { oneof: ['node_index', 'node_name'] } },
              fields: {
                node_index: { type: 'uint32', id: 1 },
                node_name: { type: 'string', id: 2 },
                creation: { type: 'uint32', id: 3 },
                id: { type: 'uint64', id: 4 },
              },
            },
            Link: { fields: fromTo },
            Send: { fields: { ...fromTo, payload: bytes(3) } },
            Exit: { fields: { ...fromTo, reason: bytes(3) } },
            RegSend: {
              oneofs: { dest: { oneof: ['to', 'to_index'] } },
              fields: { from: pid(1), to: { type: 'string', id: 2 }, payload: bytes(3), to_index: { type: 'uint32', id: 4 } },
            },
            Exit2: { fields: { ...fromTo, reason: bytes(3) } },
            Monitor: monitorType,
            Demonitor: monitorType,
            MonitorExit: {
              oneofs: { source: { oneof: ['from_pid', 'from_name', 'from_name_index'] } },
              fields: {
                from_pid: pid(1),
                from_name: { type: 'string', id: 2 },
                to: pid(3),
                ref: ref(4),
                reason: bytes(5),
                from_name_index: { type: 'uint32', id: 6 },
              },
            },
            SpawnRequest: {
              fields: {
                ref: ref(1),
                from: pid(2),
                name: { type: 'string', id: 3 },
                args: bytes(4),
                link: { type: 'bool', id: 5 },
                monitor: { type: 'bool', id: 6 },
                options: bytes(7),
              },
            },
            SpawnReply: {
              oneofs: { result: { oneof: ['pid', 'error'] } },
              fields: {
                ref: ref(1),
                to: pid(2),
                link: { type: 'bool', id: 3 },
                monitor: { type: 'bool', id: 4 },
                pid: pid(5),
                error: bytes(6),
              },
            },
            Unlink: { fields: { ...fromTo, id: { type: 'uint64', id: 3 } } },
            UnlinkAck: { fields: { ...fromTo, id: { type: 'uint64', id: 3 } } },
            Reply: { fields: { to: pid(1), tag: { type: 'uint64', id: 2 }, value: bytes(3) } },
            Tick: { fields: {} },
            Envelope: {
              oneofs: {
                msg: {
                  oneof: [
                    'link', 'send', 'exit', 'reg_send', 'exit2', 'monitor', 'demonitor', 'monitor_exit',
                    'spawn_request', 'spawn_reply', 'unlink', 'unlink_ack', 'reply', 'tick',
                  ],
                },
              },
              fields: {
                link: { type: 'Link', id: Op.LINK },
                send: { type: 'Send', id: Op.SEND },
                exit: { type: 'Exit', id: Op.EXIT },
                reg_send: { type: 'RegSend', id: Op.REG_SEND },
                exit2: { type: 'Exit2', id: Op.EXIT2 },
                monitor: { type: 'Monitor', id: Op.MONITOR },
                demonitor: { type: 'Demonitor', id: Op.DEMONITOR },
                monitor_exit: { type: 'MonitorExit', id: Op.MONITOR_EXIT },
                spawn_request: { type: 'SpawnRequest', id: Op.SPAWN_REQUEST },
                spawn_reply: { type: 'SpawnReply', id: Op.SPAWN_REPLY },
                unlink: { type: 'Unlink', id: Op.UNLINK },
                unlink_ack: { type: 'UnlinkAck', id: Op.UNLINK_ACK },
                reply: { type: 'Reply', id: Op.REPLY },
                tick: { type: 'Tick', id: Op.TICK },
              },
              reserved: [[4, 4]],
            },
            Batch: { fields: { messages: { rule: 'repeated', type: 'Envelope', id: 1 } } },
          },
        },
      },
    },
  },
};

let root: protobuf.Root | null = null;

/** The schema as a protobufjs Root (built on first use), e.g. `controlSchema().lookupType('grove.dist.Batch')`. */
export function controlSchema(): protobuf.Root {
  return (root ??= protobuf.Root.fromJSON(controlSchemaJson));
}
