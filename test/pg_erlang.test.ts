/**
 * Process groups shared between a Grove node and a real `erl` node: a @grove/pg scope
 * and an OTP `pg` scope of the same name speak OTP's scope protocol across the Erlang
 * connection (the distribution package translates it), so each side sees the other's
 * members, and members leave when they leave, exit, or their node goes.
 */
import * as pg from '@grove/pg';
import { atom } from '@grove/distribution';
import { ErlPeer, haveErl } from '../packages/distribution/test/support/erl_peer';
import { cleanup, privateEpmd, tcpNode, waitFor } from './support/nodes';

const peers: ErlPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
  await cleanup();
});

(haveErl ? describe : describe.skip)('pg groups shared with an Erlang node', () => {
  it('sees members join, leave and exit on both sides, and drops the other side on nodedown', async () => {
    const epmd = await privateEpmd();
    const g = await tcpNode('pgg', epmd);
    await pg.start(g.node);
    const e = await ErlPeer.start(`pge_${process.pid}@127.0.0.1`, { cookie: g.getCookie(), epmdPort: epmd.port });
    peers.push(e);
    await e.eval(`{ok, _} = pg:start(pg), M1 = spawn(fun() -> receive stop -> ok end end), ok = pg:join(chat, M1), ok.`);
    expect(await e.eval(`net_adm:ping('${g.name}').`)).toBe('pong');
    // Erlang's member reaches Grove's scope.
    await waitFor(() => pg.getMembers(g.node, atom('chat')).length === 1, 'the Erlang member');
    expect(pg.getMembers(g.node, atom('chat'))[0]!.node).toBe(e.name);
    // A Grove member reaches Erlang's scope.
    const gm = g.node.spawnLoop(() => undefined);
    await pg.join(g.node, atom('chat'), gm);
    await waitFor(async () => (await e.eval('length(pg:get_members(chat)).')) === '2', 'the Grove member on erl');
    expect(await e.eval(`[node(P) || P <- pg:get_members(chat), node(P) =/= node()].`)).toBe(`['${g.name}']`);
    // Leaving and exiting, both ways.
    expect(await pg.leave(g.node, atom('chat'), gm)).toBe('ok');
    await waitFor(async () => (await e.eval('length(pg:get_members(chat)).')) === '1', 'the Grove member to leave');
    await e.eval('M1 ! stop, ok.');
    await waitFor(() => pg.getMembers(g.node, atom('chat')).length === 0, 'the Erlang member to exit');
    // Groups the other way after a join of several pids, then the Erlang node goes.
    await e.eval('M2 = spawn(fun() -> receive stop -> ok end end), M3 = spawn(fun() -> receive stop -> ok end end), ok = pg:join(room, [M2, M3]), ok.');
    await waitFor(() => pg.getMembers(g.node, atom('room')).length === 2, 'two Erlang members');
    await e.stop();
    await waitFor(() => pg.getMembers(g.node, atom('room')).length === 0, 'the members of the node that went');
  });
});
