"""Benchmark: the kit's batch and single fits against statsmodels and PyMARE, in one process.

Run with ``python3 kit.py bench`` (installs benchmarks/requirements.txt), or
``.venv/bin/python benchmarks/bench_pooling.py [--n 10000] [--k 10]``.

The same seeded simulated meta-analyses go to every tool. Slow peers are
timed on a subset (``--peer-n``) and their rate is reported per second, so a
run takes seconds, not minutes; the largest disagreement with each peer is
taken over that same subset. A benchmark, not a test: it reports, it does
not assert, and timings vary with the machine.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from helpers.pooling import meta_analysis, meta_analysis_batch


def simulate(n: int, k: int, seed: int = 20261121) -> tuple[np.ndarray, np.ndarray]:
    """n meta-analyses of k studies: true effects N(0.3, tau² = 0.05), within-study variances U(0.01, 0.2)."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.2, (n, k))
    theta = rng.normal(0.3, np.sqrt(0.05), (n, k))
    return rng.normal(theta, np.sqrt(v)), v


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="meta-analyses (default 10000)")
    parser.add_argument("--k", type=int, default=10, help="studies per meta-analysis (default 10)")
    parser.add_argument("--peer-n", type=int, default=300, help="subset timed for the slower tools (default 300)")
    args = parser.parse_args()
    y, v = simulate(args.n, args.k)
    sub = slice(0, min(args.peer_n, args.n))
    rows = []

    def report(tool, method, seconds, fits, estimate, tau2, reference):
        rate = fits / seconds
        diff = np.maximum(np.abs(estimate - reference[0]), np.abs(tau2 - reference[1]))
        rows.append((tool, method, fits, rate, diff.max(), int((diff > 1e-6).sum()), int((tau2 < 0).sum())))

    batch = {}
    for method in ("DL", "PM", "REML"):
        seconds, b = timed(lambda m=method: meta_analysis_batch(y, v, method=m))
        batch[method] = b
        report("kit batch", method, seconds, args.n, b.estimate, b.tau2, (b.estimate, b.tau2))

    import warnings

    warnings.filterwarnings("ignore", category=RuntimeWarning)  # statsmodels warns on its negative tau²

    def looped(tool, method, fit_one):
        """Time ``fit_one(yi, vi) -> (estimate, tau2)`` in a Python loop over the subset, and compare with the batch."""
        seconds, (est, tau2) = timed(lambda: np.array([fit_one(y[i], v[i]) for i in range(sub.stop)]).T, repeat=1)
        report(tool, method, seconds, sub.stop, est, tau2, (batch[method].estimate[sub], batch[method].tau2[sub]))

    for method in ("DL", "REML"):
        looped("kit single fit, loop", method, lambda yi, vi, m=method: (lambda r: (r.estimate, r.tau2))(
            meta_analysis(yi, vi, method=m)))

    try:
        from statsmodels.stats.meta_analysis import combine_effects
    except ImportError:
        print("statsmodels not installed: python3 kit.py bench installs it")
    else:
        for method in ("DL", "PM"):
            looped("statsmodels combine_effects, loop", method, lambda yi, vi, m=method.lower(): (
                lambda r: (r.mean_effect_re, r.tau2))(combine_effects(yi, vi, method_re=m)))

    try:
        from pymare.estimators import VarianceBasedLikelihoodEstimator
    except ImportError:
        print("PyMARE not installed: python3 kit.py bench installs it")
    else:
        X = np.ones((args.k, 1))

        def pymare_fit(yi, vi):
            p = VarianceBasedLikelihoodEstimator(method="REML").fit(y=yi[:, None], v=vi[:, None], X=X).params_
            return p["fe_params"][0, 0], p["tau2"][0, 0]

        looped("PyMARE REML, loop", "REML", pymare_fit)

    print(f"{args.n} simulated meta-analyses, k = {args.k}; Python {platform.python_version()}, "
          f"numpy {np.__version__}, {platform.machine()}")
    print(f"{'tool':36s} {'method':6s} {'fits':>6s} {'fits/s':>10s} {'kit batch x':>11s} {'max |diff|':>10s} "
          f"{'>1e-6':>6s} {'tau²<0':>6s}")
    kit_rate = {m: r for tool, m, _, r, *_ in rows if tool == "kit batch"}
    for tool, method, fits, rate, gap, n_diff, n_negative in rows:
        speedup = kit_rate.get(method, kit_rate["REML"]) / rate
        print(f"{tool:36s} {method:6s} {fits:6d} {rate:10,.0f} {speedup:11.1f} {gap:10.2e} {n_diff:6d} {n_negative:6d}")
    print("kit batch x: how many times more fits per second the kit's batch fit makes with the same method.")
    print("max |diff|, >1e-6: largest difference in estimate or tau² from the kit's batch fit on the same data,")
    print("and in how many fits it exceeds 1e-6. tau²<0: fits where the tool returned a negative tau²")
    print("(statsmodels' combine_effects does not truncate its DL moment estimate at 0, which DerSimonian & Laird do).")


if __name__ == "__main__":
    main()
