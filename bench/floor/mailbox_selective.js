'use strict';
// Floor for mailbox_selective: the same scan in plain JS, a queue (array) of
// 1,000 junk messages; N times: append ['match', i], find the first entry that
// matches from the front, take it out.
const JUNK = 1000;

async function run({ n }) {
  const queue = [];
  for (let i = 0; i < JUNK; i++) queue.push(['junk', i]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    queue.push(['match', i]);
    let k = 0;
    while (!(queue[k][0] === 'match' && queue[k][1] === i)) k++;
    queue.splice(k, 1);
    if (i % 1024 === 1023) await null;
  }
  const ms = performance.now() - t0;
  if (queue.length !== JUNK) throw new Error('lost a message');
  return (n / ms) * 1000;
}

module.exports = { run };
