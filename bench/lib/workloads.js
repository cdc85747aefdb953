'use strict';
// The benchmark suite: one entry per workload. `bench` is the exact name used
// for bench/grove/<bench>.js, bench/floor/<bench>.js, the Erlang workload and
// the JSON `bench` field. Default N follows shared/anchors/README.md.
//
// erlang: 'local'  -> bench_local on `erl +S 1` (one scheduler, like one JS thread)
//         'elixir' -> bench/elixir/<bench>.exs with `elixir` on the same flags (n/a without Elixir)
//         'remote' -> bench_remote on two default `erl` nodes on 127.0.0.1
//         'none'   -> no Erlang figure (erlangNote says what to compare with)
//         'parallel' -> bench_local on `erl +S C:C`, C = cores (all schedulers)
// floor:  false    -> no honest plain-JS floor; floorNote says why
// warmup: every side first runs the workload untimed with this N, on the same
//         server or connection, then the timed run (V8 tiers code up as it
//         runs; the same warm-up on every side keeps the figures comparable).
//         Only workloads that can run twice on one server: calls, restarts.
// target: Grove's goal from the anchors README and the issues. 'ratio' = speedup
//         vs Erlang (grove_vs_erlang) must be >= min; 'max' = absolute figure
//         <= value; null = no goal yet (a figure to watch; the table shows '-').
// scale:  rate workloads only. A timed sample shorter than MIN_SAMPLE_MS is one
//         GC or one JIT tier-up more or less, so the runner re-runs that side
//         with N scaled up (at most maxScale times) and keeps only the longer
//         sample; false for workloads whose N is fixed by what they measure.
//         (erlang: 'remote3' -> like 'remote' with a second server node.)

const WORKLOADS = [
  { bench: 'local_send', unit: 'msg/s', n: 5_000_000, quickN: 200_000, erlang: 'local',
    target: { kind: 'ratio', min: 2, text: '>=2x erl' } },
  { bench: 'local_pingpong', unit: 'round trips/s', n: 1_000_000, quickN: 100_000, erlang: 'local',
    target: { kind: 'ratio', min: 1.5, text: '>=1.5x erl' } },
  { bench: 'call', unit: 'calls/s', n: 1_000_000, quickN: 100_000, warmup: 10_000, erlang: 'local',
    target: { kind: 'ratio', min: 3, text: '>=3x erl' } },
  { bench: 'statem_call', unit: 'calls/s', n: 1_000_000, quickN: 100_000, warmup: 10_000, erlang: 'local',
    target: { kind: 'ratio', min: 3, text: '>=3x erl' } },
  { bench: 'cast', unit: 'casts/s', n: 5_000_000, quickN: 200_000, erlang: 'local',
    target: { kind: 'ratio', min: 2, text: '>=2x erl' } },
  { bench: 'spawn', unit: 'processes/s', n: 1_000_000, quickN: 50_000, erlang: 'local', maxScale: 4,
    target: { kind: 'ratio', min: 3, text: '>=3x erl' } },
  { bench: 'spawn_bytes', unit: 'bytes/process', lowerIsBetter: true, n: 1_000_000, quickN: 50_000,
    erlang: 'local', target: { kind: 'max', value: 600, text: '<=600 B' } },
  { bench: 'genserver_bytes', unit: 'bytes/process', lowerIsBetter: true, n: 100_000, quickN: 10_000,
    erlang: 'local', target: { kind: 'max', value: 1000, text: '<=1000 B' } },
  { bench: 'idle_1m', unit: 'MB', lowerIsBetter: true, n: 1_000_000, quickN: 100_000, erlang: 'local',
    floor: false, floorNote: 'none: plain JS has no processes to keep idle',
    target: { kind: 'max', value: 300, text: '<=300 MB' } },
  { bench: 'mailbox_selective', unit: 'receives/s', n: 100_000, quickN: 5_000, erlang: 'local',
    target: null },
  { bench: 'restart', unit: 'restarts/s', n: 10_000, quickN: 1_000, warmup: 5_000, erlang: 'local',
    floor: false, floorNote: 'none: plain JS has no supervisor, links or restart bookkeeping to compare with',
    target: { kind: 'ratio', min: 1.5, text: '>=1.5x erl' } },
  { bench: 'registry_dispatch', unit: 'dispatches/s', n: 5_000, quickN: 200, erlang: 'elixir',
    target: { kind: 'ratio', min: 3, text: '>=3x elixir' } },
  { bench: 'remote_send', unit: 'msg/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    target: { kind: 'ratio', min: 8, text: '>=8x erl' } },
  { bench: 'remote_cast', unit: 'casts/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    target: { kind: 'ratio', min: 8, text: '>=8x erl' } },
  // Remote calls: V8 optimizes the call path over the first tens of thousands of calls
  // (16 callers: 25k/s in the first 10,000, ~100k/s after 80,000; PROFILE-dist.md), so
  // both sides warm up longer than for local calls.
  { bench: 'remote_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 5_000, erlang: 'remote',
    target: { kind: 'ratio', min: 1.2, text: '>=1.2x erl' } },
  { bench: 'remote_call_16', unit: 'calls/s', n: 80_000, quickN: 8_000, warmup: 48_000, erlang: 'remote',
    target: { kind: 'ratio', min: 2, text: '>=2x erl' } },
  // Grove calling/sending to an Erlang node (the Erlang side: Erlang to Erlang, as remote_*).
  { bench: 'erlang_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 5_000, erlang: 'remote',
    floor: false, floorNote: 'none: plain JS does not speak Erlang\'s distribution protocol',
    target: { kind: 'ratio', min: 1 / 1.5, text: '>=0.67x erl (within 1.5x)' } },
  { bench: 'erlang_send', unit: 'msg/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    floor: false, floorNote: 'none: plain JS does not speak Erlang\'s distribution protocol',
    target: { kind: 'ratio', min: 1, text: '>=1x erl' } },
  { bench: 'connect', unit: 'ms', lowerIsBetter: true, n: 10, quickN: 3, erlang: 'remote',
    target: { kind: 'ratio', min: 2, text: '<=0.5x erl time' } },
  { bench: 'parallel_call', unit: 'calls/s', n: 2_000_000, quickN: 100_000, warmup: 100_000, erlang: 'parallel',
    floor: false, floorNote: 'none: the one-thread Grove figure is in the grove footnote', target: { kind: 'ratio', min: 1, text: '>=1x erl +S N' } },
  { bench: 'parallel_ring', unit: 'hops/s', n: 20_000_000, quickN: 1_000_000, warmup: 1_000_000, erlang: 'parallel',
    floor: false, floorNote: 'none: the one-thread Grove figure is in the grove footnote', target: { kind: 'ratio', min: 1, text: '>=1x erl +S N' } },
  { bench: 'thread_send', unit: 'msg/s', n: 1_000_000, quickN: 100_000, erlang: 'none',
    erlangNote: 'none: compare with remote_send (another OS process over loopback TCP) in the same run',
    floor: false, floorNote: 'none yet', target: null },
  { bench: 'thread_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 500, erlang: 'none',
    erlangNote: 'none: compare with remote_call (another OS process over loopback TCP) in the same run',
    floor: false, floorNote: 'none yet', target: null },
  { bench: 'rpc_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 500, erlang: 'remote',
    floor: false, floorNote: 'none: remote_call is the round-trip floor; plain TCP has no rpc layer', target: null },
  { bench: 'pg_broadcast', unit: 'broadcasts/s', n: 2_000, quickN: 100, erlang: 'remote',
    floor: false, floorNote: 'none: plain Node.js has no process groups', target: null },
  { bench: 'global_register', unit: 'names/s', n: 2_000, quickN: 100, erlang: 'remote3',
    floor: false, floorNote: 'none: plain Node.js has no cluster-wide names', target: null },
  { bench: 'many_connections', unit: 'ms', lowerIsBetter: true, n: 10, quickN: 4, erlang: 'mesh',
    floor: false, floorNote: 'none: plain Node.js has no nodes to connect', scale: false,
    target: null },
];

/** A timed sample shorter than this is re-run with a larger N (see `scale` above). */
const MIN_SAMPLE_MS = 1000;

/** Whether the runner may scale N up for `workload` (rate units only). */
function scalable(workload) {
  return workload.scale !== false && !workload.lowerIsBetter && workload.unit.endsWith('/s');
}

module.exports = { WORKLOADS, MIN_SAMPLE_MS, scalable };
