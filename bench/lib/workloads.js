'use strict';
// The benchmark suite: one entry per workload. `bench` is the exact name used
// for bench/grove/<bench>.js, bench/floor/<bench>.js, the Erlang workload and
// the JSON `bench` field. Default N follows shared/anchors/README.md.
//
// erlang: 'local'  -> bench_local on `erl +S 1` (one scheduler, like one JS thread)
//         'elixir' -> bench/elixir/<bench>.exs with `elixir` on the same flags (n/a without Elixir)
//         'remote' -> bench_remote on two default `erl` nodes on 127.0.0.1
// floor:  false    -> no honest plain-JS floor; floorNote says why
// warmup: every side first runs the workload untimed with this N, on the same
//         server or connection, then the timed run (V8 tiers code up as it
//         runs; the same warm-up on every side keeps the figures comparable).
//         Only workloads that can run twice on one server: calls, restarts.
// target: Grove's goal from the anchors README. 'ratio' = speedup vs Erlang
//         (grove_vs_erlang) must be >= min; 'max' = absolute figure <= value.

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
  { bench: 'spawn', unit: 'processes/s', n: 1_000_000, quickN: 50_000, erlang: 'local',
    target: { kind: 'ratio', min: 3, text: '>=3x erl' } },
  { bench: 'spawn_bytes', unit: 'bytes/process', lowerIsBetter: true, n: 1_000_000, quickN: 50_000,
    erlang: 'local', target: { kind: 'max', value: 600, text: '<=600 B' } },
  { bench: 'genserver_bytes', unit: 'bytes/process', lowerIsBetter: true, n: 100_000, quickN: 10_000,
    erlang: 'local', target: { kind: 'max', value: 1000, text: '<=1000 B' } },
  { bench: 'restart', unit: 'restarts/s', n: 10_000, quickN: 1_000, warmup: 5_000, erlang: 'local',
    floor: false, floorNote: 'none: plain JS has no supervisor, links or restart bookkeeping to compare with',
    target: { kind: 'ratio', min: 1, text: '>=1x erl' } },
  { bench: 'registry_dispatch', unit: 'dispatches/s', n: 5_000, quickN: 200, erlang: 'elixir',
    target: { kind: 'ratio', min: 3, text: '>=3x elixir' } },
  { bench: 'remote_send', unit: 'msg/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    target: { kind: 'ratio', min: 5, text: '>=5x erl' } },
  { bench: 'remote_cast', unit: 'casts/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    target: { kind: 'ratio', min: 5, text: '>=5x erl' } },
  { bench: 'remote_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 500, erlang: 'remote',
    target: { kind: 'ratio', min: 1, text: '>=1x erl' } },
  { bench: 'remote_call_16', unit: 'calls/s', n: 80_000, quickN: 8_000, warmup: 480, erlang: 'remote',
    target: { kind: 'ratio', min: 2, text: '>=2x erl' } },
  // Grove calling/sending to an Erlang node (the Erlang side: Erlang to Erlang, as remote_*).
  { bench: 'erlang_call', unit: 'calls/s', n: 30_000, quickN: 2_000, warmup: 500, erlang: 'remote',
    floor: false, floorNote: 'none: plain JS does not speak Erlang\'s distribution protocol',
    target: { kind: 'ratio', min: 1 / 1.5, text: '>=0.67x erl (within 1.5x)' } },
  { bench: 'erlang_send', unit: 'msg/s', n: 1_000_000, quickN: 100_000, erlang: 'remote',
    floor: false, floorNote: 'none: plain JS does not speak Erlang\'s distribution protocol',
    target: { kind: 'ratio', min: 1, text: '>=1x erl' } },
  { bench: 'connect', unit: 'ms', lowerIsBetter: true, n: 10, quickN: 3, erlang: 'remote',
    target: { kind: 'ratio', min: 2, text: '<=0.5x erl time' } },
];

module.exports = { WORKLOADS };
