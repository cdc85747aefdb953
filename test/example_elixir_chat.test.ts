/**
 * examples/elixir-chat end to end: `npm run example:elixir-chat`'s story, a chat room
 * on a Grove node with two real Elixir clients and one Grove client, each its own OS
 * process (skipped where `elixir` is not installed; `.ci/run` installs it).
 */
import { spawnSync } from 'node:child_process';
import { killChildren, requireBuilt, startLauncher, waitForOutput } from './example_helpers';

const haveElixir = spawnSync('sh', ['-c', 'command -v elixir']).status === 0;

beforeAll(() => requireBuilt('elixir-chat', ['run.js', 'server.js', 'client.js']));
afterEach(killChildren);

(haveElixir ? describe : describe.skip)('examples/elixir-chat', () => {
  it('runs the story: Elixir and Grove clients join, talk (UTF-8 included) and leave', async () => {
    const run = startLauncher('elixir-chat');
    for (const line of [
      /server +\| chat room up on chat@127\.0\.0\.1/,
      /carol +\| joined as carol \(here: alice, bob, carol\)/,
      /bob +\| <alice> hi from Elixir!/,
      /alice +\| <carol> hello from TypeScript/,
      /carol +\| <bob> héllo, wörld ✓/,
      /alice +\| \* bob left/,
      /alice +\| \* carol left/,
      /server +\| alice left/,
      /run +\| done/,
    ]) {
      await waitForOutput(run, line);
    }
    expect((await run.exited).code).toBe(0);
  }, 60_000);
});
