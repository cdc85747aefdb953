/**
 * Introspection of one process: what the shell's `i()`, logs and observers show.
 */
import type { MailboxOptions } from './mailbox_bound';
import type { Pid } from './pid';
import type { Process, ProcessStatus } from './process';
import type { RemoteName } from './remote';

export interface ProcessInfo {
  readonly pid: Pid;
  /** `running` (on the stack now), `runnable` (queued to run), `waiting` (idle or awaiting). */
  readonly status: ProcessStatus;
  /** Messages queued (OTP's `message_queue_len`). */
  readonly mailboxLength: number;
  /** The bound of a bounded mailbox (spawn option `mailbox`); undefined when unbounded. */
  readonly mailboxLimit: MailboxOptions | undefined;
  /** Messages a bounded mailbox dropped or refused so far (0 when unbounded). */
  readonly droppedMessages: number;
  readonly links: Pid[];
  /** What this process monitors. */
  readonly monitors: (Pid | RemoteName)[];
  /** Number of monitors on this process. */
  readonly monitoredBy: number;
  readonly name: string | undefined;
  readonly trapExit: boolean;
  /** `gen_server`, `supervisor`, the body's function name... */
  readonly behaviour: string | undefined;
  /** Rough heap bytes held by the process (structure, mailbox, links, monitors). */
  readonly memory: number;
  /** Messages a handler process (every behaviour) took from its mailbox so far; 0 for a body process. */
  readonly messagesHandled: number;
}

/** An idle process: its object (112 B), its Pid (64 B) and its process-table slot (8 B); see process.ts on memory. */
const BASE_BYTES = 184;
const PER_MESSAGE_BYTES = 48;
const PER_ENTRY_BYTES = 64;
/** A mailbox buffer's slot (a pointer), empty or not: a burst leaves the grown buffer behind until a hibernate drops it. */
const PER_SLOT_BYTES = 8;

/** @internal */
export function processInfo(p: Process): ProcessInfo {
  const links = p.links === null ? [] : [...p.links.values()];
  const monitors = p.monitors === null ? [] : [...p.monitors.values()].map((m) => m.target);
  const monitoredBy = p.monitoredBy?.size ?? 0;
  const mailboxLength = p.mailboxLength;
  return {
    pid: p.pid,
    status: p.running ? 'running' : p.queued ? 'runnable' : 'waiting',
    mailboxLength,
    mailboxLimit: p.bound === null ? undefined : { max: p.bound.max, overflow: p.bound.overflow },
    droppedMessages: p.bound?.dropped ?? 0,
    links,
    monitors,
    monitoredBy,
    name: p.name ?? undefined,
    trapExit: p.trapping,
    behaviour: p.label ?? ((p.handler ?? p.body)?.name || undefined),
    memory: BASE_BYTES + mailboxLength * PER_MESSAGE_BYTES + (p.mailbox?.slots ?? 0) * PER_SLOT_BYTES + (links.length + monitors.length + monitoredBy) * PER_ENTRY_BYTES,
    messagesHandled: p.handled,
  };
}
