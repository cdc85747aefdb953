/**
 * A crash inside a Grove process must never take the OS process down. Jest swallows
 * unhandled rejections, so this runs the runtime in a child `node` with Node's
 * defaults (an unhandled rejection or uncaught exception ends it with exit code 1).
 * The child loads @grove/core transpiled from source, so the test never depends on
 * a stale build.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { childEnv, MODULES_DIR, removeTranspiled, transpilePackages } from './support/children';

// In MODULES_DIR, where require('@grove/core') finds the transpiled package.
const CHILD_FILE = path.join(MODULES_DIR, 'child.js');
const CHILD = `
const { Node, isDownMessage } = require('@grove/core');
const node = new Node();
node
  .run(async (ctx) => {
    const [, syncRef] = ctx.spawnMonitor(() => { throw new Error('sync boom'); }, { name: 'sync_crasher' });
    const [, asyncRef] = ctx.spawnMonitor(async () => { await null; throw new Error('async boom'); });
    const handler = node.spawnLoop(async () => { await null; throw new Error('handler boom'); });
    const handlerRef = ctx.monitor(handler);
    ctx.send(handler, 'go');
    const reasons = [];
    for (const ref of [syncRef, asyncRef, handlerRef]) {
      reasons.push((await ctx.receive((m) => isDownMessage(m, ref))).reason.message);
    }
    return reasons;
  })
  .then(async (reasons) => {
    // Let any stray rejection surface (Node reports them once the microtasks drain).
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    const after = await node.run(() => 'alive');
    process.stdout.write('RESULT ' + JSON.stringify({ reasons, after }) + '\\n');
  });
`;

function writeChild(): void {
  transpilePackages(['core']);
  fs.writeFileSync(CHILD_FILE, CHILD);
}

function runChild(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CHILD_FILE], { env: childEnv(), timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('a crash in a process, seen from the OS', () => {
  beforeAll(writeChild);
  afterAll(removeTranspiled);

  it('leaves the OS process running after a sync throw, an async rejection and a rejecting handler', async () => {
    const { code, stdout, stderr } = await runChild();
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(JSON.parse(line!.slice('RESULT '.length))).toEqual({
      reasons: ['sync boom', 'async boom', 'handler boom'],
      after: 'alive',
    });
    // Outside jest the crash reports are written (here as JSON lines), one per crash.
    expect(stdout.match(/crash report/g)).toHaveLength(3);
    expect(stdout).toContain('sync_crasher');
  });
});
