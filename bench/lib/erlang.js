'use strict';
// The Erlang/OTP side: find `erl`, compile bench/erlang/*.erl into a temp
// dir, and run one workload in fresh VMs. Local workloads use one scheduler
// (`+S 1`); distributed ones two default nodes on 127.0.0.1 with a private epmd;
// Elixir workloads (bench/elixir/*.exs, for Elixir's own modules such as
// Registry) run with `elixir` on the same VM flags as the local ones.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { runForResult, startUntilReady } = require('./child');
const { startEpmd } = require('./epmd');
const { median } = require('./stats');

const SRC_DIR = path.join(__dirname, '..', 'erlang');
const ELIXIR_DIR = path.join(__dirname, '..', 'elixir');
const COOKIE = 'grove_bench';

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

function cores() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function version() {
  const expr = 'io:format("OTP ~s, ERTS ~s, ~s~n", [erlang:system_info(otp_release), ' +
    'erlang:system_info(version), erlang:system_info(emu_flavor)]), halt().';
  return execFileSync('erl', ['-noshell', '-eval', expr], { encoding: 'utf8', timeout: 30_000 }).trim();
}

// Compiles with erlc when present, otherwise through compile:file/2 in erl.
function compile() {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'grove-bench-erl-'));
  const sources = fs.readdirSync(SRC_DIR).filter((f) => f.endsWith('.erl')).map((f) => path.join(SRC_DIR, f));
  if (which('erlc')) {
    execFileSync('erlc', ['-o', outDir, ...sources], { stdio: 'inherit', timeout: 120_000 });
  } else {
    const files = sources.map((f) => JSON.stringify(f)).join(',');
    const expr = `[{ok, _} = compile:file(F, [{outdir, ${JSON.stringify(outDir)}}, report]) || F <- [${files}]], halt().`;
    execFileSync('erl', ['-noshell', '-eval', expr], { stdio: 'inherit', timeout: 120_000 });
  }
  return outDir;
}

class ErlangSide {
  constructor({ timeoutMs }) {
    this.timeoutMs = timeoutMs;
    this.beamDir = compile();
    this.epmd = null;
    this.nodeCount = 0;
  }

  async run(workload, n) {
    const warmup = String(workload.warmup ?? 0);
    if (workload.erlang === 'local') return this.runLocal(workload.bench, n, warmup);
    if (workload.erlang === 'parallel') return this.runLocal(workload.bench, n, warmup, cores());
    if (workload.erlang === 'elixir') return this.runElixir(workload.bench, n, warmup);
    if (workload.erlang === 'mesh') return this.runMesh(n);
    if (workload.erlang === 'none') return { value: null, note: workload.erlangNote };
    return this.runRemote(workload.bench, n, warmup, workload.erlang === 'remote3' ? 2 : 1);
  }

  // One scheduler (like one JS thread), or `schedulers` of them (the parallel workloads).
  runLocal(bench, n, warmup, schedulers = 1) {
    const args = ['+S', `${schedulers}:${schedulers}`, '+P', '4194304', '-noshell', '-kernel', 'logger_level', 'none',
      '-pa', this.beamDir, '-run', 'bench_local', 'main', bench, String(n), warmup];
    return runForResult('erl', args, { timeoutMs: this.timeoutMs });
  }

  // An Elixir script, bench/elixir/<bench>.exs, on the same one-scheduler VM flags.
  runElixir(bench, n, warmup) {
    if (!which('elixir')) return { value: null, note: 'Elixir is not installed (apt-get install elixir)' };
    const erlFlags = '+S 1 +P 4194304 -kernel logger_level none';
    const script = path.join(ELIXIR_DIR, `${bench}.exs`);
    return runForResult('elixir', ['--erl', erlFlags, script, String(n), warmup], { timeoutMs: this.timeoutMs });
  }

  // `servers` server nodes (global_register runs against two), then one client.
  async runRemote(bench, n, warmup, servers = 1) {
    const env = await this.distEnv();
    const serverNodes = [];
    const started = [];
    try {
      for (let i = 0; i < servers; i++) {
        const serverNode = this.nodeName('s');
        started.push(await startUntilReady('erl', [...this.distArgs(serverNode), '-run', 'bench_remote', 'server'],
          { env, readyLine: 'READY', timeoutMs: 30_000 }));
        serverNodes.push(serverNode);
      }
    } catch (err) {
      for (const server of started) server.stop();
      return { value: null, error: err.message };
    }
    const serverNode = serverNodes.join(',');
    try {
      // connect: one fresh client VM per sample, each timing its first connection.
      const samples = bench === 'connect' ? n : 1;
      const results = [];
      for (let i = 0; i < samples; i++) {
        const args = [...this.distArgs(this.nodeName('c')), '-run', 'bench_remote', 'client', bench, serverNode, String(n), warmup];
        const r = await runForResult('erl', args, { env, timeoutMs: this.timeoutMs });
        if (r.error) return r;
        results.push(r.value);
      }
      return { value: median(results), samples: results };
    } finally {
      for (const server of started) server.stop();
    }
  }

  // many_connections: bench_mesh starts `k` peer VMs (controlled over stdio, so
  // no node is connected before the clock starts) and times the mesh forming.
  async runMesh(k) {
    const env = await this.distEnv();
    const prefix = `grove_bench_${process.pid}_m${++this.nodeCount}_`;
    const args = ['-noshell', '-pa', this.beamDir, '-run', 'bench_mesh', 'main', String(k), COOKIE, this.beamDir, prefix];
    return runForResult('erl', args, { env, timeoutMs: this.timeoutMs });
  }

  async distEnv() {
    this.epmd ??= await startEpmd();
    return { ...process.env, ERL_EPMD_PORT: String(this.epmd.port) };
  }

  distArgs(name) {
    return ['-name', name, '-setcookie', COOKIE, '-start_epmd', 'false',
      '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
      '-noshell', '-pa', this.beamDir];
  }

  nodeName(role) {
    return `grove_bench_${process.pid}_${role}${++this.nodeCount}@127.0.0.1`;
  }

  close() {
    if (this.epmd) this.epmd.stop();
    fs.rmSync(this.beamDir, { recursive: true, force: true });
  }
}

module.exports = { ErlangSide, which, version, compile, COOKIE };
