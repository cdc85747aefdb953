'use strict';
// The console table: figures, "Grove is X times better" ratios, targets and
// footnotes for every n/a or missing figure.

const COLUMNS = ['bench', 'unit', 'grove', 'node floor', 'erlang', 'grove/erlang', 'grove/floor', 'target', 'met'];
const SIDE_OF = { grove: 'grove', 'node floor': 'node_floor', erlang: 'erlang' };

function fmtValue(v, unit) {
  if (v == null) return null;
  if (unit === 'ms') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  if (unit.startsWith('bytes')) return Math.round(v).toLocaleString('en-US');
  if (v >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  return v.toPrecision(3);
}

function fmtRatio(r) {
  return r == null ? '-' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

// erlangStatus: 'run', 'not installed' or 'not run' (--sides without erlang).
function renderTable(results, { erlangStatus }) {
  const withErlang = erlangStatus === 'run';
  const notes = new Footnotes();
  const rows = results.map((r) => {
    const cell = (col) => {
      const side = SIDE_OF[col];
      const text = fmtValue(r[side], r.unit);
      const note = r.notes?.[side];
      if (note == null) return text ?? '-';
      const mark = r.missing[side] ? notes.grouped(`${col}: bench/${side === 'grove' ? 'grove' : 'floor'}/<bench>.js not written yet`, r.bench) : notes.add(`${r.bench} ${col}: ${note}`);
      return `${text ?? (r.failed[side] ? 'n/a' : '-')} [${mark}]`;
    };
    return [
      r.bench,
      r.lower_is_better ? `${r.unit} (lower better)` : r.unit,
      cell('grove'),
      cell('node floor'),
      withErlang ? cell('erlang') : erlangStatus,
      withErlang ? fmtRatio(r.grove_vs_erlang) : '-',
      fmtRatio(r.grove_vs_node_floor),
      r.target,
      r.target_met == null ? '-' : r.target_met ? 'yes' : 'NO',
    ];
  });
  const lines = layout([COLUMNS, COLUMNS.map((c) => '-'.repeat(c.length)), ...rows]);
  lines.push('');
  lines.push('ratios: how many times better Grove is; grove/x for rates, x/grove for "lower better" units (>1 = Grove ahead).');
  return [...lines, ...notes.lines()].join('\n');
}

function layout(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  const right = (c) => c >= 2 && c <= 6;
  return rows.map((row) =>
    row.map((v, c) => (right(c) ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]))).join('  ').trimEnd(),
  );
}

class Footnotes {
  constructor() {
    this.items = [];
  }

  add(text) {
    let i = this.items.findIndex((it) => it.text === text);
    if (i < 0) i = this.items.push({ text, benches: null }) - 1;
    return i + 1;
  }

  grouped(text, bench) {
    const mark = this.add(text);
    const item = this.items[mark - 1];
    (item.benches ??= []).push(bench);
    return mark;
  }

  lines() {
    return this.items.map((it, i) => `[${i + 1}] ${it.text}${it.benches ? ` (${it.benches.join(', ')})` : ''}`);
  }
}

module.exports = { renderTable, fmtValue };
