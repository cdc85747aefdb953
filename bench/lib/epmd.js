'use strict';
// A private epmd for the Erlang distributed workloads: its own port on
// 127.0.0.1 (ERL_EPMD_PORT) so it never meets a system epmd. Run in the
// foreground as our child, so it is stopped by its own pid and nothing else.
const net = require('node:net');
const { start, killGroup } = require('./child');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

async function startEpmd(timeoutMs = 5000) {
  const port = await freePort();
  const child = start('epmd', ['-port', String(port), '-address', '127.0.0.1']);
  let failed = null;
  child.on('error', (err) => (failed = err));
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (failed) throw new Error(`cannot start epmd: ${failed.message}`);
    if (child.exitCode !== null) throw new Error(`epmd exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`epmd not listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, stop: () => killGroup(child) };
}

module.exports = { startEpmd, freePort };
