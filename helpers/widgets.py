"""Interactive figures for the notebooks: move a slider, watch the meta-analysis respond.

Each function returns a :class:`LiveFigure`: in JupyterLab, a slider and a
figure that redraws as it moves; anywhere without a widget front end
(nbconvert, nbval, GitHub's notebook viewer, a notebook opened without its
kernel) the same output shows the figure for the starting value, as a plain
image with a one-line text description. So the notebooks read the same
whether or not anyone is there to move the slider.

* :func:`tau2_explorer` -- fix tau² by hand and see the forest plot re-weight:
  as tau² grows, weights flatten towards equality and the CI widens.
* :func:`mcid_explorer` -- slide a minimal clinically important difference
  along a confidence interval and read the verdict of
  :func:`helpers.mcid.compare_to_mcid`.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from .mcid import compare_to_mcid
from .plots import forest_plot
from .pooling import MetaAnalysis, meta_analysis

__all__ = ["LiveFigure", "tau2_explorer", "mcid_explorer", "mcid_explorer_for"]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


class LiveFigure:
    """A slider and the figure and text it redraws.

    ``draw(value)`` returns ``(figure, text)`` for a slider value. The widget
    is ``self.widget`` (a VBox: slider, text, figure); ``self.value`` and
    ``self.text``/``self.figure`` hold the current state, which tests and the
    browser test read. Rich display offers the live widget, a PNG of the
    current figure and a text line, and each front end shows the best it can.
    """

    def __init__(self, slider: w.FloatSlider, draw: Callable[[float], tuple[Figure, str]], title: str):
        self.slider = slider
        self.title = title
        self._draw = draw
        # an Image widget, not an Output area: it needs no display messages, so nbclient, nbval
        # and a live front end all see the same thing
        self._image = w.Image(format="png")
        self._label = w.HTML()
        self.widget = w.VBox([slider, self._label, self._image])
        self.figure, self.text = None, ""
        self.update(slider.value)
        slider.observe(lambda change: self.update(change["new"]), names="value")

    @property
    def value(self) -> float:
        return self.slider.value

    def update(self, value: float) -> None:
        """Redraw for ``value`` (what moving the slider calls)."""
        self.figure, self.text = self._draw(value)
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


def tau2_explorer(yi, vi, labels: Sequence[object] | None = None, tau2_max: float | None = None,
                  start: float | None = None, **forest_kwargs) -> LiveFigure:
    """A tau² slider over a forest plot: the random-effects weights :math:`w_i = 1/(v_i + \\tau^2)` live.

    At tau² = 0 this is the common-effect analysis, where the largest trials
    dominate; as tau² grows, every weight approaches :math:`1/\\tau^2` and the
    analysis tends to an unweighted average with a wider CI (Borenstein et
    al. 2009, ch. 12-13). ``start`` defaults to the REML estimate (rounded to
    the slider's step) and ``tau2_max`` to three times the upper Q-profile limit. Extra keyword
    arguments go to :func:`helpers.plots.forest_plot`.

    >>> live = tau2_explorer([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.02])
    >>> live.slider.value = 0.0
    >>> live.text.splitlines()[0]
    'tau² = 0.0000: estimate 0.3714 (95% CI 0.2431 to 0.4997)'
    """
    reml = meta_analysis(yi, vi, method="REML", labels=labels)
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
        fig = forest_plot(fit, **forest_kwargs)
        weights = ", ".join(f"{label} {wt:.1f}%" for label, wt in zip(fit.labels, fit.weights))
        text = (f"tau² = {tau2:.4f}: estimate {fit.estimate:.4f} (95% CI {fit.ci_low:.4f} to {fit.ci_high:.4f})\n"
                f"weights: {weights}\n(REML estimate of tau²: {reml.tau2:.4f})")
        return fig, text

    return LiveFigure(slider, draw, "Forest plot with tau² set by the slider")


def _mcid_figure(cmp, estimate, ci_low, ci_high, mcid, direction, pi, unit) -> Figure:
    # a bare Figure, not pyplot: the inline backend would otherwise show it a second time
    fig = Figure(figsize=(8, 2.2))
    ax = fig.add_subplot()
    sign = 1 if direction == "higher_is_better" else -1
    values = [estimate, ci_low, ci_high, mcid, -mcid] + ([v for v in pi if v is not None] if pi else [])
    span = max(abs(v) for v in values) * 1.3 or 1.0
    ax.axvspan(-span, -mcid, color="#f4cccc" if sign > 0 else "#d9ead3", lw=0)
    ax.axvspan(-mcid, mcid, color="#eeeeee", lw=0)
    ax.axvspan(mcid, span, color="#d9ead3" if sign > 0 else "#f4cccc", lw=0)
    ax.axvline(0, color="black", lw=1)
    if pi and pi[0] is not None:
        ax.plot(pi, [0.3, 0.3], color="#a61c00", lw=2, label="prediction interval")
    ax.plot([ci_low, ci_high], [0.6, 0.6], color="black", lw=3, label="95% CI")
    ax.plot([estimate], [0.6], "D", color="black", ms=9)
    ax.set_xlim(-span, span)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    better, worse = "benefit", "harm"
    ax.text(span * 0.97 * sign, 0.9, f"important {better}", ha="right" if sign > 0 else "left", va="top", fontsize=9)
    ax.text(-span * 0.97 * sign, 0.9, f"important {worse}", ha="left" if sign > 0 else "right", va="top", fontsize=9)
    ax.text(0, 0.9, "trivial", ha="center", va="top", fontsize=9)
    ax.set_xlabel(f"effect{f' ({unit})' if unit else ''}; MCID = ±{mcid:g}")
    ax.set_title(cmp.category, fontsize=11, loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def mcid_explorer(estimate: float, ci_low: float, ci_high: float, direction: str, mcid_max: float,
                  start: float | None = None, pi: tuple[float | None, float | None] | None = None,
                  unit: str = "") -> LiveFigure:
    """An MCID slider on a confidence interval: where does "important" begin, and what does the CI allow?

    Shades the zones of important benefit, trivial effect and important harm
    around ±MCID and prints the verdict and reasoning of
    :func:`helpers.mcid.compare_to_mcid`. Also accepts a
    :class:`~helpers.pooling.MetaAnalysis` through :func:`mcid_explorer_for`.

    >>> live = mcid_explorer(-3.48, -6.61, -0.35, "lower_is_better", mcid_max=20, start=10, unit="points")
    >>> live.text.splitlines()[0]
    'MCID 10 points: clearly not important'
    """
    step = 10.0 ** np.floor(np.log10(mcid_max)) / 100
    start = round((mcid_max / 2 if start is None else start) / step) * step
    slider = w.FloatSlider(value=start, min=step, max=mcid_max, step=step,
                           description="MCID", readout_format=".2f", layout=w.Layout(width="70%"))

    def draw(mcid: float) -> tuple[Figure, str]:
        pi_low, pi_high = pi if pi else (None, None)
        cmp = compare_to_mcid(estimate, ci_low, ci_high, mcid, direction, pi_low=pi_low, pi_high=pi_high, unit=unit)
        fig = _mcid_figure(cmp, estimate, ci_low, ci_high, mcid, direction, pi, unit)
        return fig, f"MCID {mcid:g}{f' {unit}' if unit else ''}: {cmp.category}\n{cmp.reasoning}"

    return LiveFigure(slider, draw, "Confidence interval against an MCID set by the slider")


def mcid_explorer_for(result: MetaAnalysis, direction: str, mcid_max: float, **kwargs) -> LiveFigure:
    """:func:`mcid_explorer` for a fitted meta-analysis (its estimate, CI and prediction interval)."""
    pi = (result.pi_low, result.pi_high) if result.pi_low is not None else None
    return mcid_explorer(result.estimate, result.ci_low, result.ci_high, direction, mcid_max, pi=pi, **kwargs)

