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
import * as ts from 'typescript';

const repo = path.resolve(__dirname, '..');
// Under build/ so that the child resolves tslog and reflect-metadata from the repo's node_modules.
const outDir = path.join(repo, 'build', `core-child-${process.pid}`);

const CHILD = `
const { Node, isDownMessage } = require('./index.js');
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

function transpileCore(): void {
  const srcDir = path.join(repo, 'packages', 'core', 'src');
  const base = ts.readConfigFile(path.join(repo, 'tsconfig.base.json'), (f) => fs.readFileSync(f, 'utf8'));
  const { options } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, repo);
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, declaration: false, declarationMap: false, composite: false, incremental: false };
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of fs.readdirSync(srcDir)) {
    if (!file.endsWith('.ts')) continue;
    const js = ts.transpileModule(fs.readFileSync(path.join(srcDir, file), 'utf8'), { compilerOptions, fileName: file });
    fs.writeFileSync(path.join(outDir, file.replace(/\.ts$/, '.js')), js.outputText);
  }
  fs.writeFileSync(path.join(outDir, 'child.js'), CHILD);
}

function runChild(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, GROVE_LOG_LEVEL: 'error', GROVE_LOG_FORMAT: 'json' };
  delete env['JEST_WORKER_ID'];
  delete env['NODE_OPTIONS'];
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(outDir, 'child.js')], { env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('a crash in a process, seen from the OS', () => {
  beforeAll(transpileCore);
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

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
