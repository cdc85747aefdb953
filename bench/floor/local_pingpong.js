'use strict';
// Floor for local_pingpong: two async processes with mailboxes; N times
// pong.send({ping, from}) then await the 'pong' reply.
const { Mailbox } = require('./support/mailbox');

async function pong(mailbox) {
  for (;;) {
    const msg = await mailbox.receive();
    if (msg === 'stop') return;
    msg.from.send('pong');
  }
}

async function run({ n }) {
  const pongBox = new Mailbox();
  const me = new Mailbox();
  pong(pongBox);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pongBox.send({ tag: 'ping', from: me });
    if ((await me.receive()) !== 'pong') throw new Error('unexpected reply');
  }
  const ms = performance.now() - t0;
  pongBox.send('stop');
  return (n / ms) * 1000;
}

module.exports = { run };
