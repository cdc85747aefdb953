'use strict';
// Floor for spawn: N async functions, each with its own mailbox and suspended
// in `await mailbox.receive()`. The mailboxes are kept in an array (without it
// the idle processes would be garbage). Timed over the whole loop.
const { Mailbox } = require('./support/mailbox');
const { idle } = require('./support/processes');

function spawnIdle(n) {
  const procs = new Array(n);
  for (let i = 0; i < n; i++) {
    const mailbox = new Mailbox();
    idle(mailbox);
    procs[i] = mailbox;
  }
  return procs;
}

async function run({ n }) {
  const t0 = performance.now();
  const procs = spawnIdle(n);
  const ms = performance.now() - t0;
  if (procs.length !== n) throw new Error('lost processes');
  return (n / ms) * 1000;
}

module.exports = { run, spawnIdle };
