"""Interactive figures for the notebooks: move a slider, watch the meta-analysis respond.

Each function returns a :class:`LiveFigure`: in JupyterLab, a slider and a
figure that redraws as it moves; anywhere without a widget front end
(nbconvert, nbval, GitHub's notebook viewer, a notebook opened without its
kernel) the same output shows the figure for the starting value, as a plain
image with a one-line text description. So the notebooks read the same
whether or not anyone is there to move the slider.

* :func:`tau2_explorer` -- fix tau² by hand and see the study weights change:
  as tau² grows, weights flatten towards equality and the CI widens.
* :func:`mcid_explorer` -- slide a minimal clinically important difference
  along a confidence interval and read the verdict of
  :func:`helpers.mcid.compare_to_mcid`.
* :func:`smd_explorer` -- move two groups' means, SDs and size and watch
  Cohen's d, Hedges' g and the overlap of the two distributions change.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import ipywidgets as w
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .effect_sizes import smd
from .mcid import compare_to_mcid
from .pooling import MetaAnalysis, meta_analysis

__all__ = ["LiveFigure", "tau2_explorer", "mcid_explorer", "smd_explorer", "overlap",
           "i2_what_if_explorer", "simulated_intervals_explorer"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # no bbox_inches="tight" (it draws twice); light compression (the default level costs ~25 ms a frame)
    fig.savefig(buffer, format="png", dpi=80, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class LiveFigure:
    """One or more sliders and the figure and text they redraw.

    ``draw(*values)`` returns ``(figure, text)`` for the sliders' values (one
    value per slider, in order). The widget is ``self.widget`` (a VBox:
    sliders, text, figure); ``self.value`` (a tuple when there are several
    sliders) and ``self.text``/``self.figure`` hold the current state, which
    tests and the browser test read. Rich display offers the live widget, a
    PNG of the current figure and a text line, and each front end shows the
    best it can. The figure itself should state the slider values, so that
    the static picture says what it shows.
    """

    def __init__(self, slider: w.ValueWidget | Sequence[w.ValueWidget],
                 draw: Callable[..., tuple[Figure, str]], title: str):
        self.sliders = list(slider) if isinstance(slider, (list, tuple)) else [slider]
        self.slider = self.sliders[0]
        self.title = title
        self._draw = draw
        # an Image widget, not an Output area: it needs no display messages, so nbclient, nbval
        # and a live front end all see the same thing
        self._image = w.Image(format="png")
        self._label = w.HTML()
        self.widget = w.VBox([*self.sliders, self._label, self._image])
        self.figure, self.text = None, ""
        self.update(*(s.value for s in self.sliders))
        for s in self.sliders:
            s.observe(lambda change: self.update(*(s.value for s in self.sliders)), names="value")

    @property
    def value(self):
        values = tuple(s.value for s in self.sliders)
        return values[0] if len(values) == 1 else values

    def update(self, *values) -> None:
        """Redraw for the sliders' ``values`` (what moving a slider calls)."""
        self.figure, self.text = self._draw(*values)
        # render first, then send picture and text together, so they never disagree on screen
        png = _png(self.figure)
        self._image.value = png
        self._label.value = f"<pre style='margin:0'>{self.text}</pre>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["image/png"] = base64.b64encode(self._image.value).decode("ascii")
        data["text/plain"] = f"{self.title}\n{self.text}"
        return data


class _Tau2Figure:
    """Forest panel (squares sized by weight) beside the weights, built once and updated in place.

    Rebuilding axes for every slider step costs more than drawing them;
    updating the artists' data keeps an update near 50 ms.
    """

    def __init__(self, common: MetaAnalysis):
        k = common.k
        self.figure = fig = Figure(figsize=(10, 0.32 * k + 1.6))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2], "wspace": 0.05}, sharey=True)
        rows = np.arange(k)[::-1] + 2
        table = common.studies()
        left.hlines(rows, table.ci_low, table.ci_high, color="black", lw=1)
        self.squares = left.scatter(table.yi, rows, s=12 * common.weights, marker="s", color="#2b5d8a", zorder=3)
        self.diamond = left.fill([0, 0, 0, 0], [0.5, 0.8, 0.5, 0.2], color="black")[0]
        left.axvline(0, color="grey", lw=0.8)
        left.set_yticks([*rows, 0.5], [*common.labels, "Pooled"])
        left.set_xlabel("effect size with 95% CI")
        self.bars = right.barh(rows, common.weights, color="#2b5d8a", height=0.6)
        right.barh(rows, common.weights, fill=False, edgecolor="#a61c00", height=0.6, label="common effect (tau² = 0)")
        right.axvline(100 / k, color="grey", ls=":", lw=1, label="equal weights (100/k)")
        self.bars.set_label("slider's tau²")
        right.set_xlabel("weight (%)")
        right.set_xlim(0, common.weights.max() * 1.1)  # tau² = 0 gives the most unequal weights
        right.legend(loc="lower right", fontsize=8, frameon=False)
        left.set_ylim(-0.2, k + 2.8)
        self.title = fig.suptitle("", x=0.01, y=0.995, ha="left", va="top", fontsize=10)
        # room for the longest study label, measured once (a fixed margin clips long names)
        renderer = FigureCanvasAgg(fig).get_renderer()
        widest = max(t.get_window_extent(renderer).width for t in left.get_yticklabels()) / fig.dpi
        fig.subplots_adjust(left=min(0.5, (widest + 0.25) / fig.get_figwidth()), right=0.98,
                            top=1 - 0.3 / fig.get_figheight(),
                            bottom=0.12 + 0.5 / k)

    def show(self, fit: MetaAnalysis) -> Figure:
        self.title.set_text(f"tau² = {fit.tau2:.4f}: pooled {fit.estimate:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]")
        for bar, weight in zip(self.bars, fit.weights):
            bar.set_width(weight)
        self.squares.set_sizes(12 * fit.weights)
        self.diamond.set_xy([[fit.ci_low, 0.5], [fit.estimate, 0.8], [fit.ci_high, 0.5], [fit.estimate, 0.2]])
        return self.figure


def tau2_explorer(yi, vi, labels: Sequence[object] | None = None, tau2_max: float | None = None,
                  start: float | None = None) -> LiveFigure:
    """A tau² slider over the study weights: :math:`w_i = 1/(v_i + \\tau^2)` live.

    At tau² = 0 this is the common-effect analysis, where the largest trials
    dominate; as tau² grows, every weight approaches :math:`1/\\tau^2` and the
    analysis tends to an unweighted average with a wider CI (Borenstein et
    al. 2009, ch. 12-13). The figure shows the forest (squares sized by
    weight, pooled diamond) beside the weights, with the common-effect
    weights as outlines and equal weights as a dotted line; the full
    RevMan-style plot is :func:`helpers.plots.forest_plot`. ``start``
    defaults to the REML estimate (rounded to the slider's step) and
    ``tau2_max`` to three times the upper Q-profile limit.

    >>> live = tau2_explorer([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.02])
    >>> live.slider.value = 0.0
    >>> live.text.splitlines()[0]
    'tau² = 0.0000: estimate 0.3714 (95% CI 0.2431 to 0.4997)'
    """
    reml = meta_analysis(yi, vi, method="REML", labels=labels)
    panel = _Tau2Figure(meta_analysis(reml.yi, reml.vi, method="FE", labels=reml.labels))
    upper = max(reml.tau2_ci[1] if reml.tau2_ci else 0.0, reml.tau2, 1e-3)
    tau2_max = 3 * upper if tau2_max is None else tau2_max
    # a step of 1/1000 of the range's order of magnitude, and a start on that grid: a front end snaps the
    # slider to its grid, and the printed text must match what a student sees
    step = 10.0 ** np.floor(np.log10(tau2_max)) / 1000
    start = round((reml.tau2 if start is None else start) / step) * step
    slider = w.FloatSlider(value=start, min=0.0, max=tau2_max, step=step, description="tau²",
                           readout_format=".4f", continuous_update=True, layout=w.Layout(width="70%"))

    def draw(tau2: float) -> tuple[Figure, str]:
        fit = meta_analysis(reml.yi, reml.vi, method="DL", tau2=tau2, labels=reml.labels)
        weights = ", ".join(f"{label} {wt:.1f}%" for label, wt in zip(fit.labels, fit.weights))
        text = (f"tau² = {tau2:.4f}: estimate {fit.estimate:.4f} (95% CI {fit.ci_low:.4f} to {fit.ci_high:.4f})\n"
                f"weights: {weights}\n(REML estimate of tau²: {reml.tau2:.4f})")
        return panel.show(fit), text

    return LiveFigure(slider, draw, "Study weights with tau² set by the slider")


class _MCIDFigure:
    """The CI (and prediction interval) over zones of benefit, trivial effect and harm; zones move with the MCID."""

    def __init__(self, estimate, ci_low, ci_high, direction, mcid_max, pi, unit):
        self.figure = fig = Figure(figsize=(8, 2.2))
        ax = self.ax = fig.add_subplot()
        good = 1 if direction == "higher_is_better" else -1
        values = [estimate, ci_low, ci_high, mcid_max] + ([v for v in pi if v is not None] if pi else [])
        self.span = span = max(abs(v) for v in values) * 1.3 or 1.0
        benefit, harm = "#d9ead3", "#f4cccc"
        self.low = ax.axvspan(-span, 0, color=harm if good > 0 else benefit, lw=0)
        self.trivial = ax.axvspan(0, 0, color="#eeeeee", lw=0)
        self.high = ax.axvspan(0, span, color=benefit if good > 0 else harm, lw=0)
        ax.axvline(0, color="black", lw=1)
        if pi and pi[0] is not None:
            ax.plot(pi, [0.3, 0.3], color="#a61c00", lw=2, label="prediction interval")
        ax.plot([ci_low, ci_high], [0.6, 0.6], color="black", lw=3, label="95% CI")
        ax.plot([estimate], [0.6], "D", color="black", ms=9)
        ax.set_xlim(-span, span)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        self.benefit_label = ax.text(span * 0.97 * good, 0.9, "", ha="right" if good > 0 else "left", va="top", fontsize=9)
        self.harm_label = ax.text(-span * 0.97 * good, 0.9, "", ha="left" if good > 0 else "right", va="top", fontsize=9)
        self.trivial_label = ax.text(0, 0.9, "", ha="center", va="top", fontsize=9)
        self.unit = f" ({unit})" if unit else ""
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        fig.subplots_adjust(left=0.03, right=0.97, top=0.85, bottom=0.25)

    def show(self, mcid: float, category: str, size_label: str | None = None) -> Figure:
        # a rule-of-thumb threshold marks a size (Cohen's "small"), not importance: the zones say so too
        if size_label is None:
            words = ("important benefit", "trivial", "important harm")
        else:
            words = (f"at least {size_label} benefit", f"below {size_label}", f"at least {size_label} harm")
        for label, word in zip((self.benefit_label, self.trivial_label, self.harm_label), words):
            label.set_text(word)
        self.low.set_width(self.span - mcid)
        self.trivial.set_x(-mcid)
        self.trivial.set_width(2 * mcid)
        self.high.set_x(mcid)
        self.high.set_width(self.span - mcid)
        self.ax.set_xlabel(f"effect{self.unit}; MCID = ±{mcid:g}")
        self.ax.set_title(category, fontsize=11, loc="left")
        return self.figure


def mcid_explorer(estimate: float, ci_low: float, ci_high: float, direction: str, mcid_max: float,
                  start: float | None = None, pi: tuple[float | None, float | None] | None = None,
                  unit: str = "", **compare_options) -> LiveFigure:
    """An MCID slider on a confidence interval: where does "important" begin, and what does the CI allow?

    Shades the zones of important benefit, trivial effect and important harm
    around ±MCID and prints the verdict and reasoning of
    :func:`helpers.mcid.compare_to_mcid`. Further keyword arguments (e.g.
    ``threshold_kind=``, where :func:`~helpers.mcid.compare_to_mcid` takes it)
    go to that function, and the text leads with its ``verdict`` where it
    gives one (else its category).

    >>> live = mcid_explorer(-3.48, -6.61, -0.35, "lower_is_better", mcid_max=20, start=10, unit="points")
    >>> live.text.splitlines()[0]
    'MCID 10 points: clearly not important'
    """
    step = 10.0 ** np.floor(np.log10(mcid_max)) / 100
    start = round((mcid_max / 2 if start is None else start) / step) * step
    slider = w.FloatSlider(value=start, min=step, max=mcid_max, step=step,
                           description="MCID", readout_format=".2f", layout=w.Layout(width="70%"))

    panel = _MCIDFigure(estimate, ci_low, ci_high, direction, mcid_max, pi, unit)

    def draw(mcid: float) -> tuple[Figure, str]:
        pi_low, pi_high = pi if pi else (None, None)
        cmp = compare_to_mcid(estimate, ci_low, ci_high, mcid, direction, pi_low=pi_low, pi_high=pi_high, unit=unit,
                              **compare_options)
        verdict = getattr(cmp, "verdict", cmp.category)
        return panel.show(mcid, cmp.category, cmp.size_label), f"MCID {mcid:g}{f' {unit}' if unit else ''}: {verdict}\n{cmp.reasoning}"

    return LiveFigure(slider, draw, "Confidence interval against an MCID set by the slider")


def overlap(m1: float, sd1: float, m2: float, sd2: float, points: int = 4001) -> float:
    """Overlapping coefficient of two normal densities: the area under both, :math:`\\int \\min(f_1, f_2)`.

    With equal SDs it is :math:`2\\Phi(-|d|/2)` for the standardised difference d
    (Inman & Bradley 1989, Commun Stat Theory Methods 18:3851); with unequal
    SDs it is integrated numerically (trapezoid rule over ±8 SD).

    >>> round(overlap(0.0, 1.0, 0.5, 1.0), 4)  # d = 0.5: 2 Phi(-0.25)
    0.8026
    """
    low, high = min(m1 - 8 * sd1, m2 - 8 * sd2), max(m1 + 8 * sd1, m2 + 8 * sd2)
    x = np.linspace(low, high, points)
    f1 = np.exp(-0.5 * ((x - m1) / sd1) ** 2) / (sd1 * np.sqrt(2 * np.pi))
    f2 = np.exp(-0.5 * ((x - m2) / sd2) ** 2) / (sd2 * np.sqrt(2 * np.pi))
    return float(np.trapezoid(np.minimum(f1, f2), x))


class _SMDFigure:
    """Two normal curves with their overlap shaded; the title states every slider value and the results."""

    def __init__(self, labels: tuple[str, str], unit: str, span: tuple[float, float]):
        self.figure = fig = Figure(figsize=(8, 3.2), layout="constrained")
        self.ax = fig.add_subplot()
        self.labels, self.unit, self.span = labels, unit, span

    def show(self, m1, sd1, m2, sd2, n, d, g) -> Figure:
        ax = self.ax
        ax.clear()
        x = np.linspace(*self.span, 600)
        f1 = np.exp(-0.5 * ((x - m1) / sd1) ** 2) / (sd1 * np.sqrt(2 * np.pi))
        f2 = np.exp(-0.5 * ((x - m2) / sd2) ** 2) / (sd2 * np.sqrt(2 * np.pi))
        ax.fill_between(x, np.minimum(f1, f2), color="0.8", lw=0, label="overlap")
        ax.plot(x, f1, color="#2b5d8a", lw=2, label=f"{self.labels[0]}: mean {m1:g}, SD {sd1:g}")
        ax.plot(x, f2, color="#a23b2a", lw=2, ls="--", label=f"{self.labels[1]}: mean {m2:g}, SD {sd2:g}")
        ax.set_xlim(*self.span)
        ax.set_ylim(0, 1.3 * max(f1.max(), f2.max()))
        ax.set_yticks([])
        ax.set_xlabel(self.unit)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        ax.set_title(f"n = {n} per group: d = {d:.3f}, g = {g:.3f}; overlap {overlap(m1, sd1, m2, sd2):.0%}",
                     loc="left", fontsize=10)
        return self.figure


def smd_explorer(m1: float = 55.0, sd1: float = 47.0, m2: float = 75.0, sd2: float = 64.0, n: int = 20, *,
                 labels: tuple[str, str] = ("group 1", "group 2"), unit: str = "outcome",
                 mean_range: tuple[float, float] | None = None, sd_max: float | None = None) -> LiveFigure:
    """Sliders for two groups' means and SDs and the size of each group: Cohen's d, Hedges' g, overlap.

    d is the difference in means over the pooled SD, g = J d with the exact
    small-sample correction J (Hedges 1981), both from
    :func:`helpers.effect_sizes.smd`; the figure draws both groups as normal
    curves and shades their overlap (:func:`overlap`). Students see that d
    grows as either SD shrinks with the means held, that g < |d| matters
    only for small n, and that d = 0.5 still leaves about 80% overlap.
    The defaults are the Edinburgh stroke trial's arms (Normand 1999; n
    set small to show J).

    >>> live = smd_explorer(0.0, 1.0, 0.5, 1.0, n=10)
    >>> live.text.splitlines()[0]
    'mean 0 (SD 1) vs mean 0.5 (SD 1), n = 10 per group: d = -0.500, g = -0.479, overlap 80%'
    """
    low, high = mean_range or (min(m1, m2) - 3 * max(sd1, sd2), max(m1, m2) + 3 * max(sd1, sd2))
    sd_max = sd_max or 2 * max(sd1, sd2)
    mean_step = 10.0 ** np.floor(np.log10(high - low)) / 100
    sd_step = 10.0 ** np.floor(np.log10(sd_max)) / 100
    layout = w.Layout(width="45%")

    def mean_slider(value, name):
        return w.FloatSlider(value=value, min=low, max=high, step=mean_step, description=f"mean {name}",
                             readout_format=".3g", layout=layout, style={"description_width": "initial"})

    def sd_slider(value, name):
        return w.FloatSlider(value=value, min=sd_step, max=sd_max, step=sd_step, description=f"SD {name}",
                             readout_format=".3g", layout=layout, style={"description_width": "initial"})

    sliders = [mean_slider(m1, labels[0]), sd_slider(sd1, labels[0]), mean_slider(m2, labels[1]),
               sd_slider(sd2, labels[1]),
               w.IntSlider(value=n, min=3, max=300, description="n per group", layout=layout,
                           style={"description_width": "initial"})]
    panel = _SMDFigure(labels, unit, (low, high))

    def draw(m1, sd1, m2, sd2, n):
        d = float(smd(m1, sd1, n, m2, sd2, n, correction="none").yi.iloc[0])
        g = float(smd(m1, sd1, n, m2, sd2, n, correction="exact").yi.iloc[0])
        text = (f"mean {m1:g} (SD {sd1:g}) vs mean {m2:g} (SD {sd2:g}), n = {n} per group: d = {d:.3f}, "
                f"g = {g:.3f}, overlap {overlap(m1, sd1, m2, sd2):.0%}")
        return panel.show(m1, sd1, m2, sd2, n, d, g), text

    return LiveFigure(sliders, draw, "Two groups set by the sliders: Cohen's d, Hedges' g and their overlap")


def _typical_variance(v: np.ndarray) -> float:
    # Higgins & Thompson (2002): the "typical" within-study variance (k - 1) / (Σw - Σw²/Σw), w = 1/v
    w_ = 1 / v
    return (v.size - 1) / (w_.sum() - (w_**2).sum() / w_.sum())


class _WhatIfFigure:
    """Trials' CIs against the band of true effects (left) beside I² against the n multiplier (right).

    Built once; a slider step moves the artists (as :class:`_Tau2Figure`), so an update stays fast.
    """

    def __init__(self, fit: MetaAnalysis, unit: str):
        self.fit = fit
        grid = np.logspace(-1, 1, 121)
        vt = _typical_variance(fit.vi)
        i2_tau2 = 100 * fit.tau2 / (fit.tau2 + vt / grid)
        i2_q = np.maximum(0, 100 * (grid * fit.q - (fit.k - 1)) / (grid * fit.q))  # Q scales with the multiplier
        self.figure = fig = Figure(figsize=(10, 3.8), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.3, 1])
        self.rows = rows = np.arange(fit.k)[::-1]
        self.band = left.axvspan(0, 1, color="#a23b2a", alpha=0.12, label="μ ± 1.96 τ (true effects)")
        self.cis = left.hlines(rows, fit.yi, fit.yi, color="black", lw=1)
        self.squares, = left.plot(fit.yi, rows, "s", color="#2b5d8a", label="trial, 95% CI")
        left.set_yticks(rows, fit.labels, fontsize=8)
        left.axvline(0, color="0.5", lw=0.8)
        widest = 1.96 * np.sqrt(fit.vi * 10)           # the CIs at the slider's left end, n x 0.1
        reach = np.abs(np.concatenate([fit.yi - widest, fit.yi + widest])).max()
        left.set_xlim(-reach, reach)
        left.set_xlabel(unit)
        left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
        right.plot(grid, i2_tau2, color="#2b5d8a", label="I² from τ² (metafor, current RevMan)")
        right.plot(grid, i2_q, color="#a23b2a", ls="--", label="I² from Q (RevMan 5, R meta)")
        self.dots, = right.plot([1, 1], [0, 0], "o", color="black")
        right.set_xscale("log")
        right.set_ylim(min(50, i2_q.min()), 100)
        right.set_xlabel("what-if: every n multiplied by")
        right.set_ylabel("I² (%)")
        right.legend(fontsize=8, loc="lower right")
        self.title = fig.suptitle("n × 1.00", x=0.01, ha="left", fontsize=10)
        _png(fig)   # lay out once, at the widget's dpi; re-running constrained layout every step costs ~150 ms
        placed = [ax.get_position() for ax in fig.axes]
        fig.set_layout_engine("none")
        for ax, box in zip(fig.axes, placed):
            ax.set_position(box)

    def show(self, m: float, fit_m: MetaAnalysis, i2_q: float) -> Figure:
        low, high = fit_m.estimate - 1.96 * fit_m.tau, fit_m.estimate + 1.96 * fit_m.tau
        self.band.set_x(low)
        self.band.set_width(high - low)
        half = 1.96 * np.sqrt(fit_m.vi)
        self.cis.set_segments([[(y - h, r), (y + h, r)] for y, h, r in zip(fit_m.yi, half, self.rows)])
        self.dots.set_data([m, m], [fit_m.i2, i2_q])
        self.title.set_text(f"n × {m:.2f} (what-if), τ² held at {self.fit.tau2:.4g}: I² = {fit_m.i2:.1f}% from τ², "
                            f"{i2_q:.1f}% from Q")
        return self.figure


def i2_what_if_explorer(yi, vi, labels: Sequence[object] | None = None, *, unit: str = "effect size") -> LiveFigure:
    """What-if slider: multiply every trial's n (divide each v by the factor) with tau² held at its REML value.

    I² = tau²/(tau² + ṽ) (Higgins & Thompson 2002) climbs towards 100% as the
    trials grow although the spread of true effects, tau², does not move:
    I² measures the *share* of variation that is real, not its amount. The
    right panel shows both I² formulas (from tau² and from Q) along the
    multiplier, and the dots mark the slider's value, which the figure's
    title states. Everything is arithmetic on a what-if, not on trials anyone
    ran.
    """
    fit = meta_analysis(yi, vi, method="REML", labels=labels)
    panel = _WhatIfFigure(fit, unit)
    slider = w.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.01, description="n ×",
                              readout_format=".2f", layout=w.Layout(width="70%"))

    def draw(m: float):
        fit_m = meta_analysis(fit.yi, fit.vi / m, method="REML", tau2=fit.tau2, labels=fit.labels)
        i2_q = 100 * max(0.0, fit_m.q - (fit.k - 1)) / fit_m.q
        text = (f"n x {m:.2f} (what-if): typical within-trial variance {_typical_variance(fit_m.vi):.4g}, "
                f"tau² held at {fit.tau2:.4g}\nI² = {fit_m.i2:.1f}% (from tau²), {i2_q:.1f}% "
                f"(from Q = {fit_m.q:.1f} on {fit.k - 1} df)")
        return panel.show(m, fit_m, i2_q), text

    return LiveFigure(slider, draw, "What-if: every trial's n multiplied, tau² held fixed")


def simulated_intervals_explorer(intervals: dict, mu: float, *, start, tau2: float, n_sim: int,
                                 xlim: tuple[float, float] | None = None) -> LiveFigure:
    """A slider over k showing simulated 95% CIs for μ, Wald beside HKSJ, misses in red ("the dance of the CIs").

    ``intervals[k]`` holds ``{"Wald": (low, high), "HKSJ": (low, high),
    "coverage": (wald, hksj)}``: a few simulated meta-analyses' limits and
    the coverage over all ``n_sim`` of them. The figure's title states k.
    """
    options = sorted(intervals)
    slider = w.SelectionSlider(options=options, value=start, description="k")
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    every = np.concatenate([np.concatenate(v[name]) for v in intervals.values() for name in ("Wald", "HKSJ")])
    xlim = xlim or tuple(np.nanpercentile(every, [1, 99]))

    def draw(k):
        fig.clear()
        axes = fig.subplots(1, 2, sharey=True)
        for ax, name in zip(axes, ("Wald", "HKSJ")):
            low, high = intervals[k][name]
            miss = (low > mu) | (high < mu)
            rows = np.arange(len(low))
            ax.hlines(rows[~miss], low[~miss], high[~miss], color="#2b5d8a", lw=1.5)
            ax.hlines(rows[miss], low[miss], high[miss], color="#d62728", lw=2.2)
            ax.axvline(mu, color="black", lw=1)
            ax.set_xlim(*xlim)
            ax.set_title(f"{name}: {miss.sum()} of {len(low)} miss μ", fontsize=10)
            ax.set_xlabel("95% CI for μ (simulated)")
        axes[0].set_yticks([])
        axes[0].set_ylabel(f"{len(intervals[k]['Wald'][0])} simulated meta-analyses")
        fig.suptitle(f"SIMULATED, τ² = {tau2:g}, k = {k}", x=0.01, ha="left", fontsize=11)
        wald, hksj = intervals[k]["coverage"]
        return fig, f"k = {k}, tau² = {tau2:g}: coverage over all {n_sim} simulations: Wald {wald:.1%}, HKSJ {hksj:.1%}"

    return LiveFigure(slider, draw, f"Simulated confidence intervals at tau² = {tau2:g}")
