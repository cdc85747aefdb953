/**
 * `grove top NODE`: the busiest processes of a node, refreshed every interval, in
 * the manner of OTP's `etop` (and Unix `top`). A temporary hidden node connects to
 * NODE and asks its introspection service (`grove_introspect`, which every
 * distributed node runs) for the node's figures and its process table, sorted by
 * mailbox length, memory or messages handled.
 *
 * On a terminal each refresh replaces the last; otherwise refreshes follow each other,
 * separated by a blank line, so that output piped to a file or a test reads in order.
 * Ends after `--count` refreshes, on Ctrl-C, or (exit 1) when NODE goes away.
 */
import { formatTerm } from '@grove/core';
import { introspect, type NodeSummary, type ProcessRow, type ProcessSort } from '@grove/distribution';
import { helperName, startNode } from './node_start';

/** What `grove top` was asked for. */
export interface TopCommand {
  readonly command: 'top';
  readonly target: string;
  readonly cookie?: string;
  readonly sort: ProcessSort;
  readonly intervalMs: number;
  /** Refreshes before it ends; undefined: until Ctrl-C. */
  readonly count?: number;
  /** Process rows shown. */
  readonly lines: number;
}

/** Where top writes; `isTTY` on stdout makes each refresh replace the last. */
export interface TopIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

const CLEAR = '\x1b[H\x1b[2J';

/** Runs `grove top`: 0 when it ended as asked, 1 when NODE cannot be reached or went away. */
export async function runTop(cmd: TopCommand, io: TopIo): Promise<number> {
  const started = await startNode({ name: helperName('grove_top', cmd.target), cookie: cmd.cookie, hidden: true });
  let stopped = false;
  let wake: () => void = () => undefined;
  const onSigint = (): void => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', onSigint);
  try {
    if (!(await started.dist!.connect(cmd.target))) {
      io.stderr.write(`grove top: cannot connect to ${cmd.target} (not running, another cookie, or not allowed)\n`);
      return 1;
    }
    for (let n = 1; !stopped; n++) {
      let screen: string;
      try {
        const [summary, rows] = await Promise.all([introspect(started.node, cmd.target, 'node'), introspect(started.node, cmd.target, 'processes', { sort: cmd.sort, limit: cmd.lines })]);
        screen = formatTop(summary, rows, cmd.sort, new Date());
      } catch (e) {
        io.stderr.write(`grove top: ${cmd.target} did not answer: ${e instanceof Error ? e.message : formatTerm(e)}\n`);
        return 1;
      }
      io.stdout.write((io.stdout.isTTY === true ? CLEAR : n > 1 ? '\n' : '') + screen);
      if (cmd.count !== undefined && n >= cmd.count) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, cmd.intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await started.stop();
  }
}

const COLUMNS: readonly [title: string, width: number][] = [
  ['Pid', 34],
  ['Name or behaviour', 28],
  ['Status', 9],
  ['MsgQ', 8],
  ['Memory', 10],
  ['Handled', 10],
];

/** One refresh of `grove top`: the node's figures, then its top processes. */
export function formatTop(s: NodeSummary, rows: readonly ProcessRow[], sort: ProcessSort, now: Date): string {
  const lines: string[] = [];
  const rule = '='.repeat(COLUMNS.reduce((n, [, w]) => n + w, 0) + COLUMNS.length - 1);
  lines.push(rule);
  lines.push(` ${s.name}   uptime ${duration(s.uptimeMs)}   ${now.toTimeString().slice(0, 8)}   sorted by ${sort}`);
  lines.push(` processes ${s.processCount}   run queue ${s.runQueue}   crashes ${s.crashes}   memory: rss ${bytes(s.memory.rss)}, heap ${bytes(s.memory.heapUsed)} of ${bytes(s.memory.heapTotal)}`);
  for (const c of s.connections) {
    const traffic = c.bytesIn !== undefined && c.bytesOut !== undefined ? `, ${bytes(c.bytesIn)} / ${bytes(c.bytesOut)}` : '';
    lines.push(` connection ${c.peer}${c.hidden ? ' (hidden)' : ''}: messages in ${c.messagesIn} / out ${c.messagesOut}${traffic}`);
  }
  lines.push(rule);
  lines.push(row(COLUMNS.map(([t]) => t)));
  for (const r of rows) lines.push(row([String(r.pid), r.name ?? r.behaviour ?? '', r.status, String(r.mailboxLength), bytes(r.memory), String(r.messagesHandled)]));
  lines.push(rule);
  return lines.join('\n') + '\n';
}

function row(cells: readonly string[]): string {
  return cells
    .map((c, i) => {
      const w = COLUMNS[i]![1];
      const text = c.length > w ? c.slice(0, w - 1) + '…' : c;
      return i >= 3 ? text.padStart(w) : text.padEnd(w);
    })
    .join(' ')
    .trimEnd();
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (x: number): string => String(x).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}
