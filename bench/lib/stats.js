'use strict';
// Medians, "Grove is X times better" ratios and target checks.

function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

// > 1 means Grove is better: grove/other for rates, other/grove for
// lower-is-better units (bytes, ms).
function speedup(grove, other, lowerIsBetter) {
  if (grove == null || other == null || grove <= 0 || other <= 0) return null;
  return lowerIsBetter ? other / grove : grove / other;
}

function targetMet(target, grove, groveVsErlang) {
  if (!target || grove == null) return null;
  if (target.kind === 'max') return grove <= target.value;
  if (groveVsErlang == null) return null;
  return groveVsErlang >= target.min;
}

module.exports = { median, speedup, targetMet };
