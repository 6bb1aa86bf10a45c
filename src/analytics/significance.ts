// Is a change in incident counts between two periods more than noise? Counts of independent incidents over a
// period are modelled as Poisson; the comparison of two Poisson rates is the exact conditional test: given
// n = current + previous events, the current count is Binomial(n, p0) under "same rate", with
// p0 = current exposure / total exposure (0.5 for equally long periods). The two-sided p-value sums the
// probabilities of every outcome no more likely than the one seen (the convention of R's binom.test).
// Several tests at once (one per technique) are corrected with Holm's step-down method, so "significant"
// keeps its 5% meaning across the whole table. Pure functions; tested against R's published values.
import { z } from "zod";

export const RateTest = z.object({
  current: z.number().int().nonnegative(),
  previous: z.number().int().nonnegative(),
  /** Current rate over previous rate (exposure-adjusted); null when the previous period had none. */
  rateRatio: z.number().nullable(),
  /** Exact two-sided p-value of "both periods have the same rate". */
  pValue: z.number().min(0).max(1),
});
export type RateTest = z.infer<typeof RateTest>;

/** ln(n!) exactly for small n, Stirling's series beyond (error < 1e-10 for n ≥ 30). */
const LOG_FACT: number[] = [0];
for (let i = 1; i < 30; i++) LOG_FACT[i] = (LOG_FACT[i - 1] as number) + Math.log(i);
export function logFactorial(n: number): number {
  if (n < 30) return LOG_FACT[n] as number;
  const x = n + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  return Math.exp(logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/**
 * Exact two-sided binomial test of H0: success probability = p, for k successes in n trials: the total
 * probability of outcomes no more likely than k (with R's relative tolerance 1e-7 for ties).
 */
export function binomialTestTwoSided(k: number, n: number, p: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n)
    throw new RangeError(`binomial test needs integers 0 ≤ k ≤ n, got k=${k} n=${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial test needs 0 ≤ p ≤ 1, got ${p}`);
  if (n === 0) return 1;
  const d = binomialPmf(k, n, p) * (1 + 1e-7);
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const pi = binomialPmf(i, n, p);
    if (pi <= d) sum += pi;
  }
  return Math.min(1, sum);
}

/**
 * Compares the event count of a current period with a previous one (exposures are the periods' lengths in
 * any one unit, e.g. days; equal by default).
 */
export function comparePoissonCounts(
  current: number,
  previous: number,
  exposure = { current: 1, previous: 1 },
): RateTest {
  if (!(exposure.current > 0 && exposure.previous > 0)) throw new RangeError("exposures must be positive");
  const p0 = exposure.current / (exposure.current + exposure.previous);
  const rateRatio = previous === 0 ? null : current / exposure.current / (previous / exposure.previous);
  return { current, previous, rateRatio, pValue: binomialTestTwoSided(current, current + previous, p0) };
}

/** Holm's step-down adjustment: adjusted p-values in the input order (each ≥ its raw value, ≤ 1, monotone). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/** A p-value's number as people read it: "0.031", "0.23", "< 0.001". */
export function formatPValue(p: number): string {
  if (p < 0.001) return "< 0.001";
  if (p >= 0.995) return "1.00";
  return p < 0.1 ? p.toFixed(3) : p.toFixed(2);
}

/** "p = 0.031", "p < 0.001". */
export function formatP(p: number): string {
  const v = formatPValue(p);
  return v.startsWith("<") ? `p ${v}` : `p = ${v}`;
}
