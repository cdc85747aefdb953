/**
 * Counting a supervised child's restarts from the outside, through public API only:
 * the node's exit listener says when the child's current process ends, and
 * `whichChildren` (a call to the supervisor) says which process replaced it.
 *
 * A restart is counted each time the pid under the child's id changes. A restarted
 * child that dies again before the watch has asked the supervisor for its pid is
 * one change, not two: count restarts of children that live at least that long.
 */
import { whichChildren, type Dest, type Node, type Pid } from '@grove/core';
import { trackNode } from './nodes';

export class RestartWatch {
  private current: Pid | undefined;
  private count = 0;
  private asking: Promise<void> | null = null;
  private readonly off: () => void;

  private constructor(
    readonly node: Node,
    readonly supervisor: Dest,
    readonly childId: string,
  ) {
    this.off = node.onExit((pid) => {
      if (this.current !== undefined && pid.equals(this.current)) {
        this.current = undefined;
        void this.ask();
      }
    });
  }

  /**
   * Starts counting the restarts of child `childId` of `supervisor` (a supervisor on
   * `node`) from now. Rejects when the supervisor has no such child.
   */
  static async start(node: Node, supervisor: Dest, childId: string): Promise<RestartWatch> {
    trackNode(node);
    const w = new RestartWatch(node, supervisor, childId);
    void w.ask();
    await w.sync();
    if (w.current === undefined) {
      const ids = (await whichChildren(node, supervisor)).map((c) => c.id);
      if (!ids.includes(childId)) {
        w.stop();
        throw new Error(`RestartWatch: supervisor ${String(supervisor)} has no child ${JSON.stringify(childId)} (children: ${JSON.stringify(ids)})`);
      }
    }
    return w;
  }

  /** Restarts seen so far. */
  get restarts(): number {
    return this.count;
  }

  /** The child's pid as last seen (undefined while it is down or being restarted). */
  get pid(): Pid | undefined {
    return this.current;
  }

  /** Resolves once the watch knows the child's current pid (nothing to ask when it already does). */
  async sync(): Promise<void> {
    while (this.asking !== null || this.retry !== null) {
      if (this.asking !== null) await this.asking;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops watching. */
  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    this.off();
  }

  private ask(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.asking ??= this.lookup().finally(() => {
      this.asking = null;
    });
    return this.asking;
  }

  private async lookup(): Promise<void> {
    let children;
    try {
      children = await whichChildren(this.node, this.supervisor);
    } catch {
      return; // the supervisor is gone: nothing restarts any more
    }
    if (this.stopped) return;
    const pid = children.find((c) => c.id === this.childId)?.pid;
    if (pid === undefined) return; // not running and not to be restarted
    if (pid === 'restarting' || (this.seen?.equals(pid) === true && !this.node.isAlive(pid))) {
      // The supervisor is between two tries, or has not handled the exit yet: ask again soon.
      this.askLater(5);
      return;
    }
    if (this.seen !== undefined && !this.seen.equals(pid)) this.count++;
    this.seen = pid;
    if (this.node.isAlive(pid)) this.current = pid;
    else this.askLater(0); // it died already: its replacement is next
  }

  private askLater(ms: number): void {
    this.retry ??= setTimeout(() => {
      this.retry = null;
      void this.ask();
    }, ms);
  }

  private seen: Pid | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
}
