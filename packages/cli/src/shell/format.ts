/**
 * Text the shell prints: the process table of `i()` and terms as the shell shows them.
 */
import { inspect } from 'node:util';
import type { Node, ProcessInfo } from '@grove/core';

/** A term as the shell prints it (pids as `#PID<...>`, nested values in full). */
export function showTerm(value: unknown, colors = false): string {
  return inspect(value, { depth: 6, colors, breakLength: Infinity, maxArrayLength: 50 });
}

/** Columns of `i()`, as erl's `i()`: pid, registered name, behaviour, mailbox length, status. */
const HEADERS = ['Pid', 'Name', 'Behaviour', 'Msgs', 'Status'] as const;

/** One row of `i()`. */
function processRow(info: ProcessInfo): string[] {
  return [String(info.pid), info.name ?? '', info.behaviour ?? '', String(info.mailboxLength), info.status];
}

/** The process table of `node`, one line per live process, oldest first. */
export function processTable(node: Node): string {
  const rows: string[][] = [];
  for (const pid of node.processes()) {
    const info = node.processInfo(pid);
    if (info !== undefined) rows.push(processRow(info));
  }
  return table([[...HEADERS], ...rows]) + `\n${rows.length} process${rows.length === 1 ? '' : 'es'}`;
}

/** Left-aligned columns separated by two spaces (numbers too: the table is read, not summed). */
function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Text the REPL shows as it is (no quotes, real line breaks): what `help()` and `i()` return. */
export class Shown {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }

  /** @internal how the REPL prints it. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.text;
  }
}
