'use strict';
// One node of many_connections, forked by many_connections.js. Told
// `{ epmdPort, name, expect }`, it starts a distributed node registered with that
// port mapper, registers `rx` (counts `['hello', node]` messages and says 'done'
// over IPC at `expect`, as `{ type: 'done', cpuMs }`: this process's CPU time from
// 'go' until then) and says 'ready'. Told `{ go: names }`, it sends one hello to `rx`
// on every other node. It exits when the parent disconnects.
const { startDistributed } = require('@grove/distribution');

let d = null;
let cpuAtGo = null;

process.on('message', async (m) => {
  if (m.go) {
    cpuAtGo = process.cpuUsage();
    d.node.spawn((ctx) => {
      for (const name of m.go) if (name !== d.name) ctx.send(['rx', name], ['hello', d.name]);
    });
    return;
  }
  d = await startDistributed({
    name: m.name,
    cookie: process.env.GROVE_BENCH_COOKIE,
    epmdPort: m.epmdPort,
    nodeOptions: { checkMessages: false },
  });
  let seen = 0;
  d.node.spawnLoop(() => {
    if (++seen !== m.expect) return;
    const cpu = process.cpuUsage(cpuAtGo);
    process.send({ type: 'done', cpuMs: (cpu.user + cpu.system) / 1000 });
  }, { name: 'rx' });
  process.send('ready');
});

process.on('disconnect', () => {
  const stop = d === null ? Promise.resolve() : d.stop();
  stop.catch(() => {}).finally(() => process.exit(0));
});
