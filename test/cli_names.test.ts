/**
 * `grove names`: what this host's port mapper knows, printed like `epmd -names`.
 * A port mapper on a private port (never 4369) holds the registrations.
 */
import { EpmdServer, register, type EpmdRegistration } from '@grove/distribution/internal';
import { freePort, groveEnv, groveRun, killChildren, requireBuild } from './fixtures/cli_harness';

describe('grove names', () => {
  let server: EpmdServer | null = null;
  const registrations: EpmdRegistration[] = [];

  beforeAll(requireBuild);
  afterEach(async () => {
    await killChildren();
    for (const r of registrations.splice(0)) r.close();
    await server?.stop();
    server = null;
  });

  it('lists the names and ports registered with the port mapper', async () => {
    server = await EpmdServer.start({ port: 0 });
    const addr = { port: server.port };
    registrations.push(await register({ name: 'alice', port: 40001 }, addr), await register({ name: 'bob', port: 40002, hidden: true }, addr));
    const { code, stdout, stderr } = await groveRun(['names'], [], groveEnv({ GROVE_EPMD_PORT: String(server.port) }));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`epmd: up and running on port ${server.port} with data:`);
    expect(lines.slice(1).sort()).toEqual(['name alice at port 40001', 'name bob at port 40002']);
  });

  it('prints only the header when no node is registered', async () => {
    server = await EpmdServer.start({ port: 0 });
    const { code, stdout } = await groveRun(['names'], [], groveEnv({ GROVE_EPMD_PORT: String(server.port) }));
    expect({ code, stdout }).toEqual({ code: 0, stdout: `epmd: up and running on port ${server.port} with data:\n` });
  });

  it('exits 1 and says so when no port mapper runs', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await groveRun(['names'], [], groveEnv({ GROVE_EPMD_PORT: String(port) }));
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(`grove names: no port mapper is running on 127.0.0.1:${port} (it starts with the first node on this host)\n`);
  });

  it('refuses a GROVE_EPMD_PORT that is not a port number', async () => {
    const { code, stderr } = await groveRun(['names'], [], groveEnv({ GROVE_EPMD_PORT: '70000' }));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^grove: EPMD port from GROVE_EPMD_PORT must be 1\.\.65535, got "70000"\n/);
  });
});
