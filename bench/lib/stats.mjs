// Small statistics helpers: medians, percentiles, round-to-round spread, a distribution-free
// confidence interval for a median.

export function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

export function median(values) {
  if (values.length === 0) return NaN;
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** Round-to-round spread: (max - min) / median; 0 for fewer than two values. */
export function spread(values) {
  if (values.length < 2) return 0;
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

/**
 * The relative half-width of an approximate 95% confidence interval of the median, from order
 * statistics (no assumption on the distribution): ranks n/2 -+ 0.98 sqrt(n). 0 below 6 values.
 */
export function medianHalfWidth(values) {
  const n = values.length;
  if (n < 6) return 0;
  const s = sorted(values);
  const lo = Math.max(0, Math.floor(n / 2 - 0.98 * Math.sqrt(n)) - 1);
  const hi = Math.min(n - 1, Math.ceil(n / 2 + 0.98 * Math.sqrt(n)));
  const m = median(values);
  return m === 0 ? 0 : (s[hi] - s[lo]) / 2 / m;
}

/** Per-index ratios a[i] / b[i] (paired rounds or runs). */
export function pairedRatios(a, b) {
  const n = Math.min(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) if (b[i] > 0 && Number.isFinite(a[i])) out.push(a[i] / b[i]);
  return out;
}

/**
 * A distribution-free confidence interval for the median of `values` (paired ratios): the order
 * statistics k-th smallest and k-th largest, with the largest k whose coverage,
 * 1 - 2 P(Binomial(n, 1/2) < k), is at least `confidence` (k = 1, min to max, when none is).
 * Five paired rounds give min..max at 93.8%; thirty paired runs give the 10th..21st at 95.7%.
 * Returns { lo, hi, coverage }; NaNs for no values.
 */
export function medianInterval(values, confidence) {
  const n = values.length;
  if (n === 0) return { lo: NaN, hi: NaN, coverage: 0 };
  const s = sorted(values);
  // P(Binomial(n, 1/2) <= j) for j = 0..n.
  const cdf = [];
  let term = 0.5 ** n;
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += term;
    cdf.push(sum);
    term = (term * (n - j)) / (j + 1);
  }
  let k = 1;
  while (k + 1 <= Math.floor((n + 1) / 2) && 1 - 2 * cdf[k] >= confidence) k++;
  return { lo: s[k - 1], hi: s[n - k], coverage: 1 - 2 * cdf[k - 1] };
}

/**
 * Judges a confidence interval [lo, hi] against `threshold`: PASS when all of it is on the
 * passing side, FAIL when all of it is on the other, TIE when it straddles the threshold.
 */
export function judgeInterval(lo, hi, threshold, { higherIsBetter, strict = false }) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 'FAIL';
  const passes = (v) => (higherIsBetter ? (strict ? v > threshold : v >= threshold) : (strict ? v < threshold : v <= threshold));
  if (passes(lo) && passes(hi)) return 'PASS';
  if (!passes(lo) && !passes(hi)) return 'FAIL';
  return 'TIE';
}

/**
 * Judges `value` against `threshold`. `higherIsBetter` says which side passes. `noise` is in the
 * value's units: a value within `noise` of the threshold is a TIE.
 */
export function judge(value, threshold, { higherIsBetter, noise = 0, strict = false }) {
  if (!Number.isFinite(value)) return 'FAIL';
  if (Math.abs(value - threshold) <= noise && noise > 0) return 'TIE';
  if (higherIsBetter) return (strict ? value > threshold : value >= threshold) ? 'PASS' : 'FAIL';
  return (strict ? value < threshold : value <= threshold) ? 'PASS' : 'FAIL';
}
