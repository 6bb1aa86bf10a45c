import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  binomialPmf,
  binomialTestTwoSided,
  comparePoissonCounts,
  formatP,
  formatPValue,
  holmAdjust,
  logFactorial,
} from "./significance.js";

const close = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} is not ${b}`);

describe("significance", () => {
  it("logFactorial matches the exact sum past the Stirling cut-over", () => {
    let exact = 0;
    for (let n = 1; n <= 400; n++) {
      exact += Math.log(n);
      close(logFactorial(n), exact, 1e-12);
    }
  });

  it("binomial probabilities sum to one", () => {
    let s = 0;
    for (let k = 0; k <= 250; k++) s += binomialPmf(k, 250, 0.37);
    close(s, 1, 1e-9);
    assert.equal(binomialPmf(0, 5, 0), 1);
    assert.equal(binomialPmf(5, 5, 1), 1);
    assert.equal(binomialPmf(6, 5, 0.5), 0);
  });

  it("the exact binomial test gives R's binom.test p-values", () => {
    close(binomialTestTwoSided(7, 10, 0.5), 0.34375); // binom.test(7, 10)
    close(binomialTestTwoSided(15, 20, 0.5), 0.04138947); // binom.test(15, 20)
    close(binomialTestTwoSided(682, 925, 0.75), 0.3824916, 1e-5); // R's ?binom.test example
    close(binomialTestTwoSided(0, 10, 0.5), 0.001953125);
    assert.equal(binomialTestTwoSided(5, 10, 0.5), 1);
    assert.equal(binomialTestTwoSided(0, 0, 0.5), 1);
    assert.throws(() => binomialTestTwoSided(3, 2, 0.5), RangeError);
    assert.throws(() => binomialTestTwoSided(1, 2, 1.5), RangeError);
  });

  it("comparing two Poisson counts is R's poisson.test, with exposures", () => {
    // R: poisson.test(c(11, 21), c(800, 3011)) -> p-value = 0.07967, rate ratio 1.971488
    const t = comparePoissonCounts(11, 21, { current: 800, previous: 3011 });
    close(t.pValue, 0.07967, 1e-3);
    close(t.rateRatio as number, 1.971488, 1e-6);
    // The same count twice over equal periods is no evidence of change; 10 → 40 is.
    assert.equal(comparePoissonCounts(30, 30).pValue, 1);
    assert.ok(comparePoissonCounts(40, 10).pValue < 0.001);
    // A large-looking relative change on small numbers is noise: 2 → 5 is "+150%".
    assert.ok(comparePoissonCounts(5, 2).pValue > 0.2);
    assert.equal(comparePoissonCounts(4, 0).rateRatio, null);
  });

  it("Holm's adjustment matches R's p.adjust(method = 'holm')", () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    for (const [i, v] of [0.03, 0.06, 0.06, 0.02].entries()) close(adj[i] as number, v);
    assert.deepEqual(holmAdjust([]), []);
    assert.deepEqual(holmAdjust([0.9, 0.8]), [1, 1]);
  });

  it("formats p-values for people", () => {
    assert.equal(formatP(0.0004), "p < 0.001");
    assert.equal(formatP(0.0312), "p = 0.031");
    assert.equal(formatP(0.2345), "p = 0.23");
    assert.equal(formatP(1), "p = 1.00");
    assert.equal(formatPValue(0.0004), "< 0.001");
    assert.equal(formatPValue(0.5), "0.50");
  });
});
