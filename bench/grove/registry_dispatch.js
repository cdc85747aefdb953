'use strict';
// Grove registry_dispatch: SUBSCRIBERS handler processes register under one key
// of a duplicate Registry; a publisher process makes N `Registry.dispatch` calls,
// each sending `{tag: 'msg', i}` to every subscriber (one dispatch per scheduler
// run, then it messages itself to continue); timed from the first dispatch until
// every subscriber has counted N. Unit: dispatches/s (x1000 messages each).
const { Node, Registry } = require('@grove/core');

const SUBSCRIBERS = 1000;

async function run({ n }) {
  const node = new Node({ checkMessages: false });
  await Registry.start(node, { name: 'pubsub', keys: 'duplicate' });
  let subscribed = 0;
  let finished = 0;
  let allDone;
  const done = new Promise((resolve) => (allDone = resolve));
  for (let s = 0; s < SUBSCRIBERS; s++) {
    let count = 0;
    const pid = node.spawnLoop((msg, ctx) => {
      if (msg === 'subscribe') {
        Registry.register(ctx, 'pubsub', 'topic', null);
        subscribed++;
      } else if (++count === n && ++finished === SUBSCRIBERS) allDone();
    });
    node.send(pid, 'subscribe');
  }
  await new Promise(function check(resolve) {
    if (subscribed === SUBSCRIBERS) resolve();
    else setImmediate(check, resolve);
  });
  if (Registry.count(node, 'pubsub') !== SUBSCRIBERS) throw new Error('not every subscriber registered');

  let i = 0;
  let publisher = null;
  let msg = null;
  // Made once: dispatch calls it with the registry's own entry array.
  const fanout = (entries) => {
    for (let k = 0; k < entries.length; k++) publisher.send(entries[k].pid, msg);
  };
  const pub = node.spawnLoop((_go, ctx) => {
    publisher = ctx;
    msg = { tag: 'msg', i };
    Registry.dispatch(ctx, 'pubsub', 'topic', fanout);
    if (++i < n) ctx.send(ctx.self, 'more');
  });
  const t0 = performance.now();
  node.send(pub, 'go');
  await done;
  return (n / (performance.now() - t0)) * 1000;
}

module.exports = { run };
