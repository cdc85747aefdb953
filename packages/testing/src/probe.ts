/**
 * A probe: a process that belongs to the test. Give its pid to the code under test
 * (as a reply address, a subscriber, a group member) and check what it received,
 * as ExUnit's `assert_receive` checks the test process's mailbox. Its messages stay
 * in order; {@link Probe.receive} takes the first that matches and leaves the rest.
 */
import type { Node, Pid } from '@grove/core';
import { trackNode } from './nodes';
import { WaitTimeoutError } from './wait';

/** What a probe's message must match: a predicate, or a value compared with jest's equality (asymmetric matchers work). */
export type MessagePattern = ((msg: unknown) => boolean) | unknown;

interface Waiter {
  match: (msg: unknown) => boolean;
  resolve: (msg: unknown) => void;
}

export class Probe {
  /** The probe's process: send to it, link to it, monitor it. */
  readonly pid: Pid;
  private readonly inbox: unknown[] = [];
  private readonly waiters = new Set<Waiter>();

  /** Spawns a probe process on `node` (named `name` when given); it lives until the node halts or {@link stop}. */
  constructor(
    readonly node: Node,
    name?: string,
  ) {
    trackNode(node);
    this.pid = node.spawnLoop((msg) => this.deliver(msg), { label: 'probe', ...(name !== undefined ? { name } : {}) });
  }

  /** The messages received and not taken yet, oldest first (a copy). */
  get messages(): unknown[] {
    return [...this.inbox];
  }

  /**
   * Takes the first message (already received, or the next to come) for which
   * `match` is true; rejects with a WaitTimeoutError after `timeoutMs` (real time; default 1000).
   */
  receive(match: (msg: unknown) => boolean = () => true, timeoutMs = 1000): Promise<unknown> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new WaitTimeoutError(`a matching message at probe ${String(this.pid)}`, timeoutMs));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Ends the probe's process. */
  stop(): void {
    this.node.exit(this.pid, 'kill');
  }

  private deliver(msg: unknown): void {
    for (const w of this.waiters) {
      if (w.match(msg)) {
        this.waiters.delete(w);
        w.resolve(msg);
        return;
      }
    }
    this.inbox.push(msg);
  }
}
