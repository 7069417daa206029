"""Benchmark: how long each notebook takes to execute, and how fast the interactive parts respond.

Run with ``python3 kit.py bench`` or ``.venv/bin/python benchmarks/bench_notebooks.py``.
Reports wall time per notebook (executed in a fresh kernel, outputs discarded), the time of one
widget update (refit plus redraw) and of one single REML fit with k = 24, and the CPU time of the
same, which a busy machine disturbs less. A benchmark, not a test: it reports, it does not assert.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def notebook_times() -> list[tuple[str, float]]:
    import nbformat
    from nbclient import NotebookClient

    times = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        times.append((path.name, time.perf_counter() - start))
    return times


def per_call(fn, n: int) -> tuple[float, float]:
    fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n, (time.process_time() - cpu) / n


def main() -> None:
    from helpers.pooling import meta_analysis
    from helpers.widgets import mcid_explorer, tau2_explorer

    rng = np.random.default_rng(24)
    y, v = rng.normal(0.3, 0.4, 24), rng.uniform(0.01, 0.1, 24)
    fit_wall, fit_cpu = per_call(lambda: meta_analysis(y, v, method="REML"), 500)
    ci_wall, ci_cpu = per_call(lambda: meta_analysis(y, v, method="REML").tau2_ci, 200)
    import pandas as pd

    from helpers.effect_sizes import log_risk_ratio

    bcg = pd.read_csv(ROOT / "data" / "teaching" / "bcg.csv")

    es = log_risk_ratio(bcg["tpos"], bcg["tpos"] + bcg["tneg"], bcg["cpos"], bcg["cpos"] + bcg["cneg"])
    live = tau2_explorer(es.yi, es.vi)
    grid = iter(np.tile(np.linspace(0, live.slider.max, 10), 10))
    tau_wall, tau_cpu = per_call(lambda: live.update(next(grid)), 20)
    mlive = mcid_explorer(-3.48, -6.61, -0.35, "lower_is_better", mcid_max=20)
    mgrid = iter(np.tile(np.linspace(1, 20, 10), 10))
    mcid_wall, mcid_cpu = per_call(lambda: mlive.update(next(mgrid)), 20)

    print(f"{'what':48s} {'wall ms':>9s} {'CPU ms':>8s}")
    for what, wall, cpu in [("one REML fit, k = 24", fit_wall, fit_cpu),
                            ("one REML fit, k = 24, with its Q-profile CIs", ci_wall, ci_cpu),
                            ("tau² widget update (refit + redraw, k = 13)", tau_wall, tau_cpu),
                            ("MCID widget update (verdict + figure)", mcid_wall, mcid_cpu)]:
        print(f"{what:48s} {1000 * wall:9.2f} {1000 * cpu:8.2f}")
    print()
    times = notebook_times()
    for name, seconds in times:
        print(f"{name:48s} {seconds:8.2f} s")
    print(f"{'all notebooks':48s} {sum(t for _, t in times):8.2f} s")


if __name__ == "__main__":
    main()
