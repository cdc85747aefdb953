/**
 * The examples' shared launcher (examples/launcher, `@grove/example-launcher`): what
 * its waits see of a node's output, and how they fail. The nodes here are plain
 * `node -e` child processes; the examples' own tests run the real stories.
 */
import { spawn } from 'node:child_process';
import { NodeProcess } from '@grove/example-launcher';

const started = new Set<NodeProcess>();

/** A child `node -e SCRIPT`, as the launcher would see a node. */
function node(script: string): NodeProcess {
  const p = new NodeProcess('n', spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] }));
  started.add(p);
  return p;
}

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {}); // the launcher prints every line it reads
});

afterEach(async () => {
  const all = [...started];
  started.clear();
  for (const p of all) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
  jest.restoreAllMocks();
});

describe('the examples launcher', () => {
  it('has every line a node printed once it has exited, and waits see them in order', async () => {
    const p = node("console.log('one'); console.error('two'); console.log('last words')");
    expect(await p.exited).toBe(0);
    expect([...p.lines].sort()).toEqual(['last words', 'one', 'two']);
    expect((await p.waitFor(/one|last/))[0]).toBe('one');
    expect((await p.waitFor(/last (\w+)/))[1]).toBe('words');
  });

  it('rejects a wait for a line the node exits without printing', async () => {
    const p = node("console.log('bye')");
    await expect(p.waitFor(/never printed/)).rejects.toThrow('n exited before printing /never printed/');
  });

  it('rejects a wait that outlives its timeout, saying what it waited for', async () => {
    const p = node("console.log('up'); setInterval(() => {}, 1000)");
    await p.waitFor(/up/);
    await expect(p.waitFor(/never printed/, 50)).rejects.toThrow('n printed no line matching /never printed/ within 50 ms');
  });
});
