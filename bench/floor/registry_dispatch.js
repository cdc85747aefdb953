'use strict';
// Floor for registry_dispatch: a Map from the key to an array of SUBSCRIBERS
// mailboxes (the whole "registry"); each subscriber is an async loop that drains
// its mailbox synchronously and counts. N times: look the key up and send
// `{tag: 'msg', i}` to every mailbox, then yield (`await null`) so the
// subscribers drain. Timed until every subscriber has counted N.
const { Mailbox } = require('./support/mailbox');

const SUBSCRIBERS = 1000;

async function subscriber(mailbox, n, onDone) {
  let count = 0;
  for (;;) {
    let msg = await mailbox.receive();
    do {
      if (++count === n) return onDone();
    } while ((msg = mailbox.take()) !== undefined);
  }
}

async function run({ n }) {
  const registry = new Map([['topic', []]]);
  let finished = 0;
  let allDone;
  const done = new Promise((resolve) => (allDone = resolve));
  const onDone = () => {
    if (++finished === SUBSCRIBERS) allDone();
  };
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const mailbox = new Mailbox();
    subscriber(mailbox, n, onDone);
    registry.get('topic').push(mailbox);
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const msg = { tag: 'msg', i };
    const subs = registry.get('topic');
    for (let k = 0; k < subs.length; k++) subs[k].send(msg);
    await null;
  }
  await done;
  return (n / (performance.now() - t0)) * 1000;
}

module.exports = { run };
