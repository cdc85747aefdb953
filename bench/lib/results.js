'use strict';
// Turns the raw outcomes of every run into one JSON-ready object per workload.
const { median, speedup, targetMet } = require('./stats');

// outcomes: { side: [{ value, note?, error?, missing? }, ...] } for the sides run.
// withErlang: false leaves the `erlang` field out (erl not installed or not run).
// nBySide: the N each side ran with, where the runner scaled it up from `n`.
function buildResult(workload, n, outcomes, withErlang, nBySide = {}) {
  const lower = Boolean(workload.lowerIsBetter);
  const figure = (side) => round(median((outcomes[side] ?? []).map((o) => o.value)));
  const grove = figure('grove');
  const floor = figure('node_floor');
  const result = { bench: workload.bench, unit: workload.unit, lower_is_better: lower, n };
  const scaled = Object.entries(nBySide).filter(([, sideN]) => sideN !== n);
  if (scaled.length) result.n_by_side = Object.fromEntries(scaled);
  result.grove = grove;
  result.node_floor = floor;
  if (withErlang) result.erlang = figure('erlang');
  if (withErlang) result.grove_vs_erlang = round(speedup(grove, result.erlang, lower));
  result.grove_vs_node_floor = round(speedup(grove, floor, lower));
  result.target = workload.target?.text ?? '-';
  result.target_met = targetMet(workload.target, grove, result.grove_vs_erlang ?? null);
  const notes = {};
  const missing = {};
  const failed = {};
  const samples = {};
  for (const [side, list] of Object.entries(outcomes)) {
    const first = list.find((o) => o.error) ?? list.find((o) => o.note);
    if (first) notes[side] = first.error ?? first.note;
    if (list.some((o) => o.missing)) missing[side] = true;
    if (list.some((o) => o.error)) failed[side] = true;
    if (list.length > 1 && list.some((o) => o.value != null)) samples[side] = list.map((o) => round(o.value));
  }
  if (Object.keys(notes).length) result.notes = notes;
  if (Object.keys(samples).length) result.samples = samples;
  Object.defineProperty(result, 'missing', { value: missing, enumerable: false });
  Object.defineProperty(result, 'failed', { value: failed, enumerable: false });
  return result;
}

function round(x) {
  return x == null ? null : Math.round(x * 1000) / 1000;
}

module.exports = { buildResult };
