'use strict';
// Floor for local_send: a producer sends {tag, i} N times to a consumer that
// counts them; the consumer awaits only when its mailbox is empty ("sync
// drain"), the producer yields every SLICE sends. Timed until the count is N.
const { Mailbox } = require('./support/mailbox');
const { SLICE } = require('./support/processes');

async function consumer(mailbox, n) {
  let count = 0;
  while (count < n) {
    let msg = await mailbox.receive();
    do {
      if (msg.tag === 'msg') count++;
    } while ((msg = mailbox.take()) !== undefined);
  }
  return count;
}

async function producer(mailbox, n) {
  for (let i = 0; i < n; i++) {
    mailbox.send({ tag: 'msg', i });
    if (i % SLICE === SLICE - 1) await null;
  }
}

async function run({ n }) {
  const mailbox = new Mailbox();
  const t0 = performance.now();
  const done = consumer(mailbox, n);
  producer(mailbox, n);
  const count = await done;
  const ms = performance.now() - t0;
  if (count !== n) throw new Error(`consumer counted ${count}, expected ${n}`);
  return (n / ms) * 1000;
}

module.exports = { run };
