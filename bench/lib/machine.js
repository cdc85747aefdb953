'use strict';
// Machine description printed at the top and stored in the JSON.
const os = require('node:os');
const fs = require('node:fs');

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function machineInfo(erlangVersion) {
  return {
    cpu: cpuModel(),
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memory_bytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    erlang: erlangVersion,
    date: new Date().toISOString(),
  };
}

function machineLine(m) {
  const gib = (m.memory_bytes / 2 ** 30).toFixed(1);
  const erl = m.erlang ? `Erlang ${m.erlang}` : 'Erlang not installed';
  return `machine: ${m.cpu}, ${m.nproc} cpus, ${gib} GiB, ${m.os}; Node.js ${m.node}; ${erl}; ${m.date}`;
}

module.exports = { machineInfo, machineLine };
