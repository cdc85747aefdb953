/**
 * A visible Grove node in OTP's `global` with real `erl` (and Elixir) peers: OTP 25's
 * connect protocol (global:sync() returns), locks and registrations from the BEAM
 * side answered, names shared both ways (at connect and after), unregistration and
 * process exits seen on both sides, clashes resolved as OTP does, malformed global
 * messages from a peer ignored.
 */
import { spawnSync } from 'node:child_process';
import { exitReasonOf, isDownMessage, type Pid } from '@grove/core';
import { globalOf, type DistNode } from '@grove/distribution';
import { ErlPeer, haveErl } from './support/erl_peer';
import { stopTcpNodes, tcpEpmdPort, tcpNode, TCP_COOKIE } from './support/tcp_nodes';
import { waitFor } from './support/wait';

const describeErl = haveErl ? describe : describe.skip;
const haveElixir = haveErl && spawnSync('sh', ['-c', 'command -v elixir']).status === 0;
let seq = 0;
const peers: ErlPeer[] = [];

async function erl(): Promise<ErlPeer> {
  const p = await ErlPeer.start(`gerl${++seq}_${process.pid}@127.0.0.1`, { cookie: TCP_COOKIE, epmdPort: await tcpEpmdPort() });
  peers.push(p);
  return p;
}

/** What an erl node logged about global (errors, crash reports, unexpected messages). */
function globalTrouble(p: ErlPeer): string {
  return p.log
    .split('\n')
    .filter((l) => /global|crash|unexpected|error/i.test(l))
    .join('\n');
}

afterEach(async () => {
  const logs = peers.map(globalTrouble);
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await stopTcpNodes();
  expect(logs.filter((l) => l !== '')).toEqual([]);
});

/** Spawns a process on `g` that lives until told to stop. */
function holder(g: DistNode): Pid {
  return g.node.spawn(async (ctx) => {
    await ctx.receive((m) => m === 'stop');
  });
}

describeErl('OTP global with a visible Grove node', () => {
  it('global:sync() on erl returns while a Grove node is connected (erl connects first)', async () => {
    const g = await tcpNode('gsync');
    const e = await erl();
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    expect(await e.eval('global:sync().', 10_000)).toBe('ok');
    expect(await e.eval('global:sync().', 10_000)).toBe('ok');
    await globalOf(g).sync();
  });

  it('global:sync() on erl returns when the Grove node connects first', async () => {
    const g = await tcpNode('gsync');
    const e = await erl();
    expect(await g.ping(e.name)).toBe('pong');
    expect(await e.eval('global:sync().', 10_000)).toBe('ok');
  });
});
