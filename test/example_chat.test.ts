/**
 * examples/chat end to end: a server node and client nodes, each its own OS process
 * (`grove run`), the clients driven through their stdin as a user types; plus the
 * scripted story of `npm run example:chat`.
 */
import type { EpmdServer } from '@grove/distribution/internal';
import { groveRun, killChildren, privateEpmd, requireBuilt, startLauncher, waitForOutput, type Child } from './example_helpers';

beforeAll(() => requireBuilt('chat', ['run.js', 'server.js', 'client.js', 'session.js', 'protocol.js']));
afterEach(killChildren);

const SERVER = 'chat@127.0.0.1';

async function startServer(epmd: EpmdServer): Promise<Child> {
  const server = groveRun('chat', 'server.js', SERVER, [], epmd);
  await waitForOutput(server, /chat server up/);
  return server;
}

async function connect(epmd: EpmdServer, nick: string, node = nick): Promise<Child> {
  const client = groveRun('chat', 'client.js', `${node}@127.0.0.1`, ['--server', SERVER, '--nick', nick], epmd);
  await waitForOutput(client, new RegExp(`connected to chat@127\\.0\\.0\\.1 as ${nick}, in #lobby`));
  return client;
}

/** Types `line` into `child` and waits for `expected` on `on` (default: the same child). */
async function typeAndSee(child: Child, line: string, expected: RegExp, on: Child = child): Promise<void> {
  child.type(line);
  await waitForOutput(on, expected);
}

describe('examples/chat', () => {
  it('broadcasts plain text to the room, moves between rooms, and delivers private messages', async () => {
    const epmd = await privateEpmd();
    await startServer(epmd);
    const ann = await connect(epmd, 'ann');
    const bob = await connect(epmd, 'bob');
    // pg is eventually consistent: ann's session prints this once her node's view of #lobby has bob.
    await waitForOutput(ann, /\* bob joined #lobby/);

    await typeAndSee(ann, 'hello everyone', /\[#lobby\] <ann> hello everyone/, bob);
    await waitForOutput(ann, /\[#lobby\] <ann> hello everyone/);

    await typeAndSee(ann, '/join lounge', /you joined #lounge \(here: ann\)/);
    // bob's node may not have heard of ann's join yet: then it tells him a moment later.
    await typeAndSee(bob, '/join #lounge', /you joined #lounge \(here: ann, bob\)|\* ann joined #lounge/);
    await waitForOutput(ann, /\* bob joined #lounge/);
    await typeAndSee(bob, 'nice room', /\[#lounge\] <bob> nice room/, ann);
    await typeAndSee(ann, '/rooms', /your rooms: #lobby, #lounge; all rooms: #lobby \(2\), #lounge \(2\)/);

    await typeAndSee(ann, '/leave', /you left #lounge; you talk in #lobby now/);
    await waitForOutput(bob, /\* ann left #lounge/);
    await typeAndSee(bob, 'anyone here?', /\[#lounge\] <bob> anyone here\?/);
    // Same sender, same receiver: the pm comes after anything bob's session sent ann before it.
    await typeAndSee(bob, '/pm ann are you there?', /\[pm from bob\] are you there\?/, ann);
    await waitForOutput(bob, /\[pm to ann\] are you there\?/);
    expect(ann.output).not.toContain('anyone here?');

    await typeAndSee(ann, '/who', /online: ann, bob/);
    await typeAndSee(ann, '/pm nobody hi', /no such nick: nobody/);
    await typeAndSee(ann, '/dance', /unknown command \/dance: try \/help/);
    await typeAndSee(ann, '/help', /\/join ROOM[\s\S]*\/leave[\s\S]*\/pm NICK TEXT[\s\S]*\/quit/);
    await typeAndSee(bob, '/leave', /you left #lounge; you talk in #lobby now/);
    await typeAndSee(bob, '/leave', /you left #lobby/);
    await typeAndSee(bob, 'hello?', /you are in no room: \/join one/);
  });

  it('refuses a nickname that is taken, removes a client that disconnects, and frees its nickname', async () => {
    const epmd = await privateEpmd();
    const server = await startServer(epmd);
    const ann = await connect(epmd, 'ann');
    const bob = await connect(epmd, 'bob');
    await typeAndSee(bob, '/join lounge', /you joined #lounge/);

    const impostor = groveRun('chat', 'client.js', 'ann2@127.0.0.1', ['--server', SERVER, '--nick', 'ann'], epmd);
    await waitForOutput(impostor, /the nick ann is taken: pick another with --nick/);
    expect(await impostor.exitCode(10_000)).toBe(1);
    await waitForOutput(server, /refused nick ann for ann2@127\.0\.0\.1: taken/);

    bob.signal('SIGKILL'); // no /quit, no goodbye: the server's monitor fires with noconnection
    await waitForOutput(server, /bob left \(noconnection\)/);
    await waitForOutput(ann, /\* bob left #lobby/);
    await typeAndSee(ann, '/who', /online: ann\n/);
    await typeAndSee(ann, '/pm bob still there?', /no such nick: bob/);
    // pg dropped bob's memberships with his node: #lounge is gone, #lobby has ann only.
    await typeAndSee(ann, '/rooms', /your rooms: #lobby; all rooms: #lobby \(1\)\n/);

    const bob2 = await connect(epmd, 'bob', 'bob2');
    await typeAndSee(bob2, '/who', /online: ann, bob/);
  });

  it('leaves the chat on /quit and on end of input, and tells the clients when the server goes away', async () => {
    const epmd = await privateEpmd();
    const server = await startServer(epmd);
    const ann = await connect(epmd, 'ann');
    const bob = await connect(epmd, 'bob');
    const cy = await connect(epmd, 'cy');

    ann.type('/quit');
    expect(await ann.exitCode(10_000)).toBe(0);
    await waitForOutput(server, /ann left \(normal\)/);
    await waitForOutput(bob, /\* ann left #lobby/);

    bob.endInput(); // Ctrl-D
    expect(await bob.exitCode(10_000)).toBe(0);
    await waitForOutput(server, /bob left \(normal\)/);

    server.signal('SIGTERM');
    await waitForOutput(cy, /\* the chat server went away/);
    expect(await cy.exitCode(10_000)).toBe(1);
  });

  it('tells the whole story in one command', async () => {
    const run = startLauncher('chat');
    for (const line of [
      /server +\| chat server up/,
      /ann +\| connected to chat@127\.0\.0\.1 as ann/,
      /bob +\| connected to chat@127\.0\.0\.1 as bob/,
      /bob +\| \[#lobby\] <ann> hi bob!/,
      /ann +\| \[#lounge\] <bob> this room is nicer/,
      /ann +\| \[pm from bob\] psst/,
      /ann2 +\| the nick ann is taken/,
      /server +\| ann left \(normal\)/,
    ]) {
      await waitForOutput(run, line);
    }
    expect(await run.exitCode(10_000)).toBe(0);
    // What happened when bob's node died, in whatever order the nodes printed it.
    expect(run.output).toMatch(/server +\| bob left \(noconnection\)/);
    expect(run.output).toMatch(/ann +\| \* bob left #lobby/);
    expect(run.output).toMatch(/ann +\| \* bob left #lounge/);
    expect(run.output).toMatch(/ann +\| online: ann\n/);
  });
});
