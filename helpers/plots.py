"""Plots for meta-analysis: forest, funnel and tau² sensitivity plots.

* :func:`forest_plot` -- the RevMan-style forest plot a Cochrane reader
  knows: a text table of studies beside the plot of their intervals, with
  pooled diamonds, heterogeneity statistics and "Favours ..." labels.
* :func:`funnel_plot` -- effect against standard error, optionally
  contour-enhanced and with the studies imputed by trim and fill.
* :func:`tau2_sensitivity_plot` -- how the pooled estimate and its CI move
  as the between-study variance tau² changes.

Each function returns a :class:`matplotlib.figure.Figure` (never shown, so a
notebook displays it once) and attaches what it drew as a small dataclass
(``fig.forest``, ``fig.funnel``, ``fig.tau2_sensitivity``), so that tests and
notebooks can check a plot's content without reading pixels. Figures are
made with :class:`~matplotlib.figure.Figure`, not pyplot: they hold no
global state and are garbage-collected like any object.

References: Cochrane Handbook (v6.4) ch. 10 and 13; Lewis & Clarke (2001),
BMJ 322:1479 (forest plots); Sterne et al. (2011), BMJ 343:d4002 (funnel
plots); Peters et al. (2008), J Clin Epidemiol 61:991 (contour-enhanced
funnel plots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.textpath import text_to_path
from matplotlib.ticker import MaxNLocator, NullLocator

from .bias import TrimAndFill
from .effect_sizes import hedges_correction
from .pooling import BinaryMetaAnalysis, MetaAnalysis, SubgroupAnalysis, meta_analysis, subgroup_analysis
from ._validate import study_inputs
from ._distributions import norm_isf, t_isf, z_for_level

__all__ = [
    "ForestInfo", "forest_plot", "weight_share_plot",
    "FunnelInfo", "funnel_plot",
    "Tau2SensitivityInfo", "tau2_sensitivity_plot",
    "bubble_plot", "leave_one_out_plot", "hedges_correction_plot", "study_intervals_plot", "lines_by_k_plot",
]

_FONT = 9            # table text, points
_SMALL = 8           # heterogeneity and test lines, as RevMan sets them smaller
_ROW_IN = 0.2        # row pitch in inches: 9-pt text needs ~0.15
_GAP_IN = 0.18       # between table columns
_PANEL_GAP_IN = 0.4  # table to plot: the first tick label reaches left of the panel
_MARGIN_IN = (0.15, 0.3)
_WIDTH_IN = 10.5     # default width: fits a notebook cell
_MIN_PANEL_IN = 3.0
_SLACK = 1.06        # text_to_path measures unhinted glyphs; hinted screen text runs a few % wider
_SQUARE = "#2b5d8a"
_PREDICTION = "#a23b2a"


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float], *, fill: bool = False) -> tuple[Figure, Axes]:
    """The given ax and its figure, or a new figure made without pyplot (shown once, never leaked)."""
    if ax is None:
        fig = Figure(figsize=figsize, layout=None if fill else "constrained")
        return fig, fig.add_axes((0, 0, 1, 1)) if fill else fig.add_subplot()
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes (or None for a new figure), got {type(ax).__name__}")
    return ax.get_figure(), ax


def _p_text(p: float) -> str:
    """P as RevMan prints it, with two significant digits below 0.1 so that 0.048 does not read as 0.05."""
    if p < 1e-5:
        return "P < 0.00001"
    return f"P = {p:.{max(2, 1 - int(np.floor(np.log10(p))))}f}"


def _num(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    # a rounded "-0.00" would read as a (tiny) effect in a direction
    return text.lstrip("-") if float(text) == 0 else text


def _small_positive(x: float) -> str:
    # tau² of 0.004 printed as "0.00" would read as no heterogeneity
    return f"{x:.2f}" if x == 0 or x >= 0.01 else f"{x:.2g}"


# ---------------------------------------------------------------- forest plot

@dataclass(frozen=True)
class ForestInfo:
    """What a forest plot shows, on the plotted scale, for checks without pixels.

    ``rows``: the labels in the study column, top to bottom (subgroup
    headings, studies, "Subtotal"/"Total (95% CI)", "Prediction interval");
    ``studies``, ``weights`` and ``intervals``: each study's label, weight
    text and "estimate [low, high]" text, in drawing order; ``diamond``: the
    overall (ci_low, estimate, ci_high); ``subtotals``: (subgroup,
    (ci_low, estimate, ci_high)) pairs; ``prediction``: (pi_low, pi_high) or
    None; ``footer``: the heterogeneity and test lines; ``xlim``, ``null``
    (the line of no effect) and the two favours labels.
    """

    rows: tuple[str, ...]
    studies: tuple[str, ...]
    weights: tuple[str, ...]
    intervals: tuple[str, ...]
    diamond: tuple[float, float, float]
    subtotals: tuple[tuple[str, tuple[float, float, float]], ...]
    prediction: tuple[float, float] | None
    footer: tuple[str, ...]
    xlim: tuple[float, float]
    null: float
    favours_left: str
    favours_right: str


@dataclass(frozen=True)
class _Row:
    kind: str                      # heading | study | pooled | prediction | note | blank
    label: str = ""
    cells: tuple[str, ...] = ()    # group data, studies only
    weight: str = ""
    interval: str = ""
    values: tuple[float, ...] = ()  # study (y, low, high, weight); pooled (low, est, high); prediction (low, high)

    @property
    def bold(self) -> bool:
        return self.kind in ("heading", "pooled")


@dataclass(frozen=True)
class _Column:
    title: str                     # header, second line
    top: str                       # header, first line; equal neighbours share one spanning label
    texts: tuple[str, ...]         # one per row
    align: str                     # "left" or "right"


def _heterogeneity(fit: MetaAnalysis) -> str:
    if fit.k == 1:
        return "Heterogeneity: not applicable (one study)"
    source = "given" if fit.tau2_fixed else fit.method
    tau2 = f"Tau² ({source}) = {_small_positive(fit.tau2)}; " if fit.is_random else ""
    return f"Heterogeneity: {tau2}Chi² = {fit.q:.2f}, df = {fit.q_df} ({_p_text(fit.q_pvalue)}); I² = {fit.i2:.0f}%"


def _overall_effect(fit: MetaAnalysis) -> str:
    # RevMan prints |Z|: the test is two-sided and the direction is in the estimate
    stat = f"Z = {abs(fit.statistic):.2f}" if fit.ci_method == "z" else f"t = {abs(fit.statistic):.2f}, df = {fit.df:.0f}"
    return f"Test for overall effect: {stat} ({_p_text(fit.pvalue)})"


def _as_subgroups(result, subgroups) -> tuple[MetaAnalysis, SubgroupAnalysis | None]:
    if isinstance(result, SubgroupAnalysis):
        if subgroups is not None:
            raise ValueError("subgroups is for a MetaAnalysis; a SubgroupAnalysis already has its subgroups")
        return result.overall, result
    if isinstance(result, BinaryMetaAnalysis):
        if subgroups is not None:
            raise ValueError("subgroups are not supported for a Mantel-Haenszel or Peto fit; plot each subgroup's fit")
        return result, None
    if not isinstance(result, MetaAnalysis):
        raise ValueError("result must be a MetaAnalysis or SubgroupAnalysis from helpers.pooling, "
                         f"got {type(result).__name__}")
    if subgroups is None:
        return result, None
    sg = subgroup_analysis(result.yi, result.vi, subgroups, method=result.method, ci_method=result.ci_method,
                           level=result.level, labels=result.labels, conventions=result.conventions)
    # keep the caller's overall fit: subgroup_analysis cannot repeat its pi_method
    return result, replace(sg, overall=result)


def _subgroup_positions(sg: SubgroupAnalysis) -> list[list[int]]:
    """Each subgroup's studies as positions in the overall fit, matched on (label, yi, vi)."""
    slots: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(sg.overall.labels, sg.overall.yi, sg.overall.vi)):
        slots.setdefault(key, []).append(i)
    return [[slots[key].pop(0) for key in zip(fit.labels, fit.yi, fit.vi)] for fit in sg.fits.values()]


def _format_column(column: pd.Series, decimals: int) -> list[str]:
    if not pd.api.types.is_numeric_dtype(column):
        return column.fillna("").astype(str).tolist()
    values = column.to_numpy(float)
    # counts stay whole numbers even when a NaN has made the column float
    whole = np.all(np.isnan(values) | (values == np.round(values)))
    return ["" if np.isnan(v) else f"{v:.{0 if whole else decimals}f}" for v in values]


def _group_columns(group_data, labels: tuple[str, ...], decimals: int) -> tuple[list[tuple[str, ...]], list[tuple[str, str]]]:
    """Text cells of ``group_data`` per study and the (arm, field) header of each of its columns."""
    if group_data is None:
        return [()] * len(labels), []
    if not isinstance(group_data, pd.DataFrame):
        raise ValueError(f"group_data must be a pandas DataFrame, got {type(group_data).__name__}")
    if len(group_data) != len(labels):
        raise ValueError(f"group_data has {len(group_data)} rows but there are {len(labels)} studies")
    if not isinstance(group_data.index, pd.RangeIndex) and [str(i) for i in group_data.index] != list(labels):
        raise ValueError("group_data's index does not list the study labels in the analysis' order; "
                         "reorder it, or use reset_index(drop=True) to match rows by position")
    if group_data.columns.nlevels > 2:
        raise ValueError("group_data columns must be flat or two levels (arm, field), "
                         "e.g. ('Peer support', 'Mean')")
    headers = [(str(c[0]), str(c[1])) if group_data.columns.nlevels == 2 else ("", str(c)) for c in group_data.columns]
    text = [_format_column(group_data.iloc[:, j], decimals) for j in range(group_data.shape[1])]
    return list(zip(*text)) if text else [()] * len(labels), headers


def _forest_rows(overall: MetaAnalysis, sg: SubgroupAnalysis | None, cells, decimals: int,
                 show_prediction: bool, to_scale, subgroup_label: str | None = None) -> list[_Row]:
    table = overall.studies()
    y, low, high = to_scale(table[["yi", "ci_low", "ci_high"]].to_numpy()).T
    weight = overall.weights
    pct = f"{100 * overall.level:g}% CI"

    def study(i):
        interval = ("Not estimable" if np.isnan(y[i]) else  # a double-zero study in a binary (MH, Peto) fit
                    f"{_num(y[i], decimals)} [{_num(low[i], decimals)}, {_num(high[i], decimals)}]")
        return _Row("study", overall.labels[i], cells[i], f"{weight[i]:.1f}%", interval, (y[i], low[i], high[i], weight[i]))

    def pooled(label, fit, percent):
        lo, est, hi = to_scale(np.array([fit.ci_low, fit.estimate, fit.ci_high]))
        return _Row("pooled", f"{label} ({pct})", weight=f"{percent:.1f}%",
                    interval=f"{_num(est, decimals)} [{_num(lo, decimals)}, {_num(hi, decimals)}]", values=(lo, est, hi))

    rows = []
    if sg is None:
        rows += [study(i) for i in range(overall.k)] + [_Row("blank")]
    else:
        for (name, fit), idx in zip(sg.fits.items(), _subgroup_positions(sg)):
            heading = f"{subgroup_label}: {name}" if subgroup_label else str(name)
            rows += [_Row("heading", heading)] + [study(i) for i in idx]
            rows += [pooled("Subtotal", fit, weight[idx].sum()),
                     _Row("note", _heterogeneity(fit)), _Row("note", _overall_effect(fit)), _Row("blank")]
    rows.append(pooled("Total", overall, 100.0))
    if show_prediction and overall.pi_low is not None:
        lo, hi = to_scale(np.array([overall.pi_low, overall.pi_high]))
        rows.append(_Row("prediction", "Prediction interval", interval=f"[{_num(lo, decimals)}, {_num(hi, decimals)}]",
                         values=(lo, hi)))
    return rows


def _width_in(text: str, size: float = _FONT, bold: bool = False) -> float:
    """Printed width of ``text`` in inches, without a renderer (so before the figure exists)."""
    if not text:
        return 0.0
    width, _, _ = text_to_path.get_text_width_height_descent(
        text, FontProperties(size=size, weight="bold" if bold else "normal"), ismath=False)
    return _SLACK * width / 72


def _column_widths(columns: list[_Column], rows: list[_Row], spanning_text: list[str]) -> np.ndarray:
    """Column widths (inches) that fit every cell, header and the lines spanning the whole table."""
    widths = np.array([max([_width_in(t, bold=r.bold) for t, r in zip(c.texts, rows)] + [_width_in(c.title, bold=True)])
                       for c in columns])
    for top, members in groupby(range(len(columns)), key=lambda j: columns[j].top):
        members = list(members)
        short = _width_in(top, bold=True) - (widths[members].sum() + _GAP_IN * (len(members) - 1))
        if top and short > 0:
            widths[members] += short / len(members)
    # heterogeneity lines run under the whole table; widen the study column rather than let them reach the plot
    short = max(_width_in(t, _SMALL) for t in spanning_text) - (widths.sum() + _GAP_IN * (len(widths) - 1))
    widths[0] += max(short, 0.0)
    return widths


def _draw_table(ax: Axes, columns: list[_Column], widths: np.ndarray, rows: list[_Row]) -> None:
    lefts = np.concatenate([[0.0], np.cumsum(widths + _GAP_IN)[:-1]])
    anchors = np.where([c.align == "left" for c in columns], lefts, lefts + widths)
    for col, x in zip(columns, anchors):
        ax.text(x, -1, col.title, ha=col.align, va="center", fontsize=_FONT, fontweight="bold")
        for i, (text, row) in enumerate(zip(col.texts, rows)):
            if text:
                ax.text(x, i, text, ha=col.align, va="center", fontsize=_FONT,
                        fontweight="bold" if row.bold else "normal")
    for top, members in groupby(range(len(columns)), key=lambda j: columns[j].top):
        members = list(members)
        if top:
            centre = (lefts[members[0]] + lefts[members[-1]] + widths[members[-1]]) / 2
            ax.text(centre, -2, top, ha="center", va="center", fontsize=_FONT, fontweight="bold")
    for i, row in enumerate(rows):
        if row.kind == "note":
            ax.text(0, i, row.label, ha="left", va="center", fontsize=_SMALL)


def _axis_ticks(extent: np.ndarray, ratio: bool) -> np.ndarray:
    """Ticks of an axis symmetric about the line of no effect, as RevMan scales its forest plots.

    Symmetry keeps the two "Favours" halves equal, so neither side looks
    favoured by the layout.
    """
    if not ratio:
        reach = np.abs(extent).max() or 1.0
        return MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], symmetric=True).tick_values(-reach, reach)
    reach = np.abs(np.log10(extent)).max()
    # the smallest of these symmetric scales that holds every interval: a BCG trial reaching 6.5 gets
    # 0.05-20, not two empty decades either side
    for limit, ticks in ((2, (0.5, 1, 2)), (5, (0.2, 0.5, 1, 2, 5)), (10, (0.1, 0.2, 0.5, 1, 2, 5, 10)),
                         (20, (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20)), (50, (0.02, 0.05, 0.2, 1, 5, 20, 50))):
        if reach <= np.log10(limit) + 1e-12:
            return np.array(ticks, float)
    step = int(np.ceil(np.ceil(reach) / 3))  # at most seven decade ticks
    decades = step * int(np.ceil(reach / step))
    return 10.0 ** np.arange(-decades, decades + 1, step)


def _forest_panel(ax: Axes, bounds: tuple[float, float, float, float], n: int) -> Axes:
    """The plot panel inside the container ``ax``: rows 0..n-1 top to bottom, only the x axis shown."""
    panel = ax.inset_axes(bounds)
    panel.set_ylim(n - 0.5, -0.5)
    panel.set_yticks([])
    panel.patch.set_alpha(0)
    for side in ("left", "right", "top"):
        panel.spines[side].set_visible(False)
    panel.tick_params(axis="x", labelsize=_FONT)
    return panel


def _draw_marks(panel: Axes, rows: list[_Row], square_max: float) -> None:
    """Study squares (area proportional to weight; Lewis & Clarke 2001) with CI lines, diamonds, prediction bar.

    Artists carry gids ("study-squares", "study-ci", "diamond-<row>", "prediction") for tests to find them.
    """
    ys = np.array([i for i, r in enumerate(rows) if r.kind == "study"], float)
    est, low, high, weight = np.array([r.values for r in rows if r.kind == "study"]).T
    panel.hlines(ys, low, high, color="black", lw=1, gid="study-ci")
    panel.scatter(est, ys, s=square_max * weight / weight.max(), marker="s", color=_SQUARE, zorder=3, gid="study-squares")
    for y, r in enumerate(rows):
        if r.kind == "pooled":
            low, est, high = r.values
            panel.add_patch(Polygon([(low, y), (est, y - 0.35), (high, y), (est, y + 0.35)], closed=True,
                                    facecolor="black", edgecolor="black", zorder=3, gid=f"diamond-{y}"))
        elif r.kind == "prediction":
            panel.plot(r.values, [y, y], color=_PREDICTION, lw=2, gid="prediction")
            panel.vlines(r.values, y - 0.2, y + 0.2, color=_PREDICTION, lw=2)


def _effect_axis(panel: Axes, rows: list[_Row], ratio: bool, null: float) -> None:
    """Symmetric ticks and limits that hold every interval drawn, and the line of no effect."""
    extent = np.concatenate([r.values[1:3] if r.kind == "study" else r.values for r in rows
                             if r.kind in ("study", "pooled", "prediction")])
    extent = extent[np.isfinite(extent)]
    ticks = _axis_ticks(extent, ratio)
    if ratio:
        panel.set_xscale("log")
        panel.xaxis.set_minor_locator(NullLocator())
    panel.set_xticks(ticks, labels=[f"{t:g}" for t in ticks])
    panel.set_xlim(ticks[0], ticks[-1])
    panel.axvline(null, color="0.35", lw=0.8, zorder=0)


def _favours_labels(panel: Axes, null: float, left: str, right: str) -> None:
    # below the tick labels (tick + pad + 9-pt label is ~17 pt), either side of the null line
    for text, dx, ha in ((left, -6, "right"), (right, 6, "left")):
        panel.annotate(text, xy=(null, 0), xycoords=("data", "axes fraction"), xytext=(dx, -21),
                       textcoords="offset points", ha=ha, va="top", fontsize=_FONT, gid=f"favours-{ha}")


def forest_plot(result, *, group_data: pd.DataFrame | None = None, subgroups: Sequence[object] | None = None,
                direction: str = "higher_is_better", favours: tuple[str, str] = ("peer support", "control"),
                effect_label: str = "Mean difference", decimals: int = 2, show_weights: bool = True,
                show_prediction: bool = True, ratio: bool = False, title: str | None = None,
                subgroup_label: str | None = None, ax: Axes | None = None) -> Figure:
    """RevMan-style forest plot of a meta-analysis, optionally by subgroup.

    Draws, left to right: a table (study; the columns of ``group_data``, e.g.
    mean/SD/n per arm or events/total; weight %; "estimate [CI]") and a plot
    panel with each study's estimate as a square of area proportional to its
    weight and its CI as a line (from ``result.studies()``); the pooled
    estimate as a diamond whose left, centre and right vertices are
    ``(ci_low, estimate, ci_high)``; the prediction interval as a red bar
    under it (random effects, when ``show_prediction``); the line of no
    effect; "Favours ..." labels under the axis; and, below the table, the
    heterogeneity line (Tau², Chi², df, P, I²) and the test for the overall
    effect (Z, or t with df for HKSJ).

    ``result`` is a :class:`~helpers.pooling.MetaAnalysis` or a
    :class:`~helpers.pooling.SubgroupAnalysis`; alternatively pass a
    MetaAnalysis with ``subgroups`` (one subgroup name per study). A
    :class:`~helpers.pooling.BinaryMetaAnalysis` (``mantel_haenszel``,
    ``peto``) is drawn as RevMan draws "M-H, Fixed" or "Peto, Fixed", with
    MH or Peto weights and "Not estimable" for a double-zero study. Subgroup
    plots show each subgroup under a heading with a subtotal diamond and its
    own heterogeneity and test lines, then the overall diamond and the test
    for subgroup differences. Study weights are those of the overall
    analysis, so subtotals add up to 100% as in RevMan. ``subgroup_label``
    names the variable in each heading ("Risk of bias: high"), so that a
    heading never reads as a bare "high".

    ``group_data`` has one row per study in the analysis' (input) order; two
    column levels, e.g. ``("Peer support", "Mean")``, give a spanning arm
    header. ``direction`` says which side favours the intervention:
    ``"higher_is_better"`` puts "Favours <favours[0]>" right of the null
    line, ``"lower_is_better"`` (e.g. pain) puts it left. ``ratio=True``
    plots exp(effect) on a log axis with the null line at 1, for log risk or
    odds ratios. The axis is symmetric about the null line, as in RevMan.

    The figure is sized to its rows (0.2 in each), so text never overlaps
    however many studies there are; a given ``ax`` must be large enough for
    the table and rows (a ValueError says how large). ``fig.forest`` is a
    :class:`ForestInfo` of what was drawn.

    References: Cochrane Handbook (v6.4) 10.2 and 10.10; Lewis & Clarke
    (2001), BMJ 322:1479; RevMan 5 forest plot layout.

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([-0.30, -0.10, -0.52], [0.02, 0.03, 0.05], labels=["Ames 2019", "Bose 2021", "Cruz 2022"])
    >>> fig = forest_plot(res, direction="lower_is_better", effect_label="SMD (pain)")
    >>> fig.forest.rows
    ('Ames 2019', 'Bose 2021', 'Cruz 2022', 'Total (95% CI)', 'Prediction interval')
    >>> fig.forest.favours_left, fig.forest.weights
    ('Favours peer support', ('48.4%', '32.3%', '19.4%'))
    >>> fig.savefig("forest.png", dpi=150)  # doctest: +SKIP
    """
    overall, sg = _as_subgroups(result, subgroups)
    if direction not in ("higher_is_better", "lower_is_better"):
        raise ValueError(f"direction must be 'higher_is_better' or 'lower_is_better', got {direction!r}")
    if isinstance(favours, str) or len(favours) != 2 or not all(isinstance(f, str) for f in favours):
        raise ValueError(f"favours must be two names (intervention, comparator), got {favours!r}")
    if not isinstance(decimals, (int, np.integer)) or not 0 <= decimals <= 6:
        raise ValueError(f"decimals must be a whole number from 0 to 6, got {decimals!r}")

    to_scale = np.exp if ratio else np.asarray
    null = 1.0 if ratio else 0.0
    cells, headers = _group_columns(group_data, overall.labels, decimals)
    if subgroup_label is not None and sg is None:
        raise ValueError("subgroup_label names the subgroups' variable: give subgroups too")
    rows = _forest_rows(overall, sg, cells, decimals, show_prediction, to_scale, subgroup_label)
    footer = [_heterogeneity(overall), _overall_effect(overall)]
    if sg is not None:
        footer.append(f"Test for subgroup differences: Chi² = {sg.q_between:.2f}, df = {sg.df} "
                      f"({_p_text(sg.pvalue)}), I² = {sg.i2_between:.0f}%")
    model = "Fixed" if overall.method == "FE" or isinstance(overall, BinaryMetaAnalysis) else "Random"
    weighting = overall.revman_method if isinstance(overall, BinaryMetaAnalysis) else "IV"
    method_line = f"{weighting}, {model}, {100 * overall.level:g}% CI"

    columns = [_Column("Study", "", tuple(r.label if r.kind != "note" else "" for r in rows), "left")]
    columns += [_Column(field, arm, tuple(r.cells[j] if r.kind == "study" else "" for r in rows), "right")
                for j, (arm, field) in enumerate(headers)]
    if show_weights:
        columns.append(_Column("Weight", "", tuple(r.weight for r in rows), "right"))
    columns.append(_Column(method_line, effect_label, tuple(r.interval for r in rows), "right"))
    notes = [r.label for r in rows if r.kind == "note"]
    widths = _column_widths(columns, rows, notes + footer)

    # vertical layout in row units: header rows at -2 and -1, body rows 0..n-1, footer under the axis
    n = len(rows)
    top = -2.7 - (1.5 if title else 0.0)
    bottom = n - 0.5 + max(len(footer) + 0.9, 3.3)
    table_w = widths.sum() + _GAP_IN * (len(widths) - 1)
    favours_text = [f"Favours {f}" for f in favours]
    min_panel = max(_MIN_PANEL_IN, 2 * max(_width_in(t) for t in favours_text) + 0.4)
    fixed_w = sum(_MARGIN_IN) + table_w + _PANEL_GAP_IN
    fig, ax = _figure_and_axes(ax, (max(_WIDTH_IN, fixed_w + min_panel), (bottom - top) * _ROW_IN), fill=True)
    ax_w, ax_h = ax.bbox.width / fig.dpi, ax.bbox.height / fig.dpi
    panel_w = ax_w - fixed_w
    if panel_w < min_panel - 1e-6:  # 1e-6: bbox inches round-trip through pixels
        raise ValueError(f"ax is {ax_w:.1f} in wide; this forest plot needs at least {fixed_w + min_panel:.1f} in "
                         "(use a wider ax, or ax=None for a figure sized to fit)")
    if ax_h < (bottom - top) * 0.75 * _ROW_IN:
        raise ValueError(f"ax is {ax_h:.1f} in high; {n} rows need at least {(bottom - top) * 0.75 * _ROW_IN:.1f} in "
                         "(use a taller ax, or ax=None for a figure sized to fit)")

    ax.set_axis_off()
    ax.set_xlim(-_MARGIN_IN[0], ax_w - _MARGIN_IN[0])
    ax.set_ylim(bottom, top)
    if title:
        ax.text(0, -3.7, title, ha="left", va="center", fontsize=11, fontweight="bold")
    _draw_table(ax, columns, widths, rows)
    for j, line in enumerate(footer):
        ax.text(0, n + 0.3 + j, line, ha="left", va="center", fontsize=_SMALL)

    # the container's x is inches from the table's left edge, its y is rows; the panel shares the rows
    panel_left = table_w + _PANEL_GAP_IN
    panel = _forest_panel(ax, ((_MARGIN_IN[0] + panel_left) / ax_w, (bottom - (n - 0.5)) / (bottom - top),
                               panel_w / ax_w, n / (bottom - top)), n)
    for y, text in ((-2, effect_label), (-1, method_line)):
        ax.text(panel_left + panel_w / 2, y, text, ha="center", va="center", fontsize=_FONT, fontweight="bold")
    _draw_marks(panel, rows, square_max=(0.7 * 72 * ax_h / (bottom - top)) ** 2)
    _effect_axis(panel, rows, ratio, null)
    left, right = favours_text if direction == "lower_is_better" else favours_text[::-1]
    _favours_labels(panel, null, left, right)

    pooled = [r for r in rows if r.kind == "pooled"]
    prediction = [r.values for r in rows if r.kind == "prediction"]
    studies = [r for r in rows if r.kind == "study"]
    fig.forest = ForestInfo(
        rows=tuple(r.label for r in rows if r.kind in ("heading", "study", "pooled", "prediction")),
        studies=tuple(r.label for r in studies), weights=tuple(r.weight for r in studies),
        intervals=tuple(r.interval for r in studies),
        diamond=tuple(float(v) for v in pooled[-1].values),
        subtotals=tuple((name, tuple(float(v) for v in r.values)) for name, r in zip(sg.fits if sg else (), pooled[:-1])),
        prediction=tuple(float(v) for v in prediction[0]) if prediction else None,
        footer=tuple(notes + footer), xlim=tuple(float(x) for x in panel.get_xlim()), null=null,
        favours_left=left, favours_right=right,
    )
    return fig


# ---------------------------------------------------------------- funnel plot

@dataclass(frozen=True, eq=False)
class FunnelInfo:
    """What a funnel plot shows: ``points`` (k x 2: effect, standard error),
    ``filled`` (the trim-and-fill studies, k0 x 2), ``centre`` (the pooled
    estimate the funnel is drawn around), ``adjusted`` (trim-and-fill
    estimate or None), ``se_max`` (bottom of the inverted y axis),
    ``pseudo_ci`` (the funnel's edges at ``se_max``) and ``contours`` (the
    significance levels shaded, empty unless contour-enhanced).
    """

    points: np.ndarray
    filled: np.ndarray
    centre: float
    adjusted: float | None
    se_max: float
    pseudo_ci: tuple[float, float]
    contours: tuple[float, ...]


def _ratio_ticks(ax: Axes, low: float, high: float, axis: str = "x") -> None:
    """Ticks at round ratios (0.1, 0.2, 0.5, 1, 2, 5, ...) on an axis whose data are log ratios."""
    candidates = np.array([m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5)])
    inside = candidates[(np.log(candidates) >= low) & (np.log(candidates) <= high)]
    if inside.size > 8:  # a wide axis: keep 1, 10, 100 ... and their reciprocals
        inside = inside[np.isclose(np.log10(inside) % 1, 0) | np.isclose(inside, 1)]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_ticks(np.log(inside), labels=[f"{t:g}" for t in inside])
    target.set_minor_locator(NullLocator())


def _shade_significance(ax: Axes, levels: np.ndarray, se_max: float) -> list[Patch]:
    """Peters et al. (2008) contours: regions where a study would be significant at each level, around 0."""
    # white where non-significant, darkening as p falls; the outermost region is the axes background
    shades = [str(g) for g in np.concatenate([[1.0], np.linspace(0.88, 0.55, levels.size)])]
    ax.set_facecolor(shades[-1])
    z = norm_isf((1 - levels) / 2)
    for zj, level, shade in zip(z[::-1], levels[::-1], shades[-2::-1]):
        ax.fill_betweenx([0, se_max], [0, -zj * se_max], [0, zj * se_max], color=shade, lw=0, gid=f"contour-{level:g}")
    alpha = 1 - levels
    names = ([f"p ≥ {alpha[0]:.2g}"] + [f"{alpha[j + 1]:.2g} ≤ p < {alpha[j]:.2g}" for j in range(levels.size - 1)]
             + [f"p < {alpha[-1]:.2g}"])
    return [Patch(facecolor=shade, edgecolor="0.5", label=name) for shade, name in zip(shades, names)]


def published_results_plot(results: pd.DataFrame, *, colour_by: str, marker_by: str | None = None,
                           panel_by: str | None = None, panel_titles: Mapping[object, str] | None = None,
                           panel_xlims: Mapping[object, tuple[float, float]] | None = None, label: str = "label",
                           estimate: str = "estimate", low: str = "low", high: str = "high", null: float = 0.0) -> Figure:
    """Published pooled results side by side: one row per result, its estimate and CI, coloured by a column.

    ``results`` has one row per printed result, already on one orientation
    (e.g. positive favours the intervention), with ``estimate``, ``low``,
    ``high`` and a ``label`` column for the y axis. ``colour_by`` names the
    column whose values get a colour each (legend); ``marker_by`` a column
    whose values get a marker each (square, circle, ...); ``panel_by`` puts
    each value in a panel of its own, so that results on different scales
    (an SMD and a raw MD) never share an axis (Cochrane Handbook 10.5: an MD
    and an SMD are not on one scale). Each point is annotated with
    "estimate [low, high]" to 2 decimals. A forest plot without a pooled row,
    for results that must not be pooled (e.g. two reviews that share trials).
    """
    panels = list(dict.fromkeys(results[panel_by])) if panel_by else [None]
    sizes = [int((results[panel_by] == p).sum()) if panel_by else len(results) for p in panels]
    fig = Figure(figsize=(9, 0.45 * sum(sizes) + 0.9 * len(panels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1, height_ratios=[s + 1 for s in sizes]))
    colours = dict(zip(dict.fromkeys(results[colour_by]), ("tab:blue", "tab:orange", "tab:green", "tab:purple")))
    markers = dict(zip(dict.fromkeys(results[marker_by]), "os^D")) if marker_by else {}
    for ax, p in zip(axes, panels):
        block = results[results[panel_by] == p] if panel_by else results
        ys = np.arange(len(block))[::-1]
        for y, (_, r) in zip(ys, block.iterrows()):
            ax.plot([r[low], r[high]], [y, y], color=colours[r[colour_by]], lw=2)
            ax.plot(r[estimate], y, markers.get(r[marker_by], "o") if marker_by else "o", color=colours[r[colour_by]], ms=7)
            ax.annotate(f"{r[estimate]:.2f} [{r[low]:.2f}, {r[high]:.2f}]", (r[high], y), xytext=(6, -3),
                        textcoords="offset points", fontsize=8)
        ax.axvline(null, color="grey", lw=1, ls="--")
        ax.set_yticks(ys, block[label].tolist(), fontsize=8)
        ax.set_ylim(-0.6, len(block) - 0.4)
        if panel_xlims and p in panel_xlims:
            ax.set_xlim(*panel_xlims[p])
        ax.set_title((panel_titles or {}).get(p, "" if p is None else str(p)), fontsize=10, loc="left")
    handles = [Line2D([], [], color=c, lw=2, label=str(v)) for v, c in colours.items()]
    handles += [Line2D([], [], color="black", marker=m, ls="", label=str(v)) for v, m in markers.items()]
    axes[0].legend(handles=handles, fontsize=7.5, loc="upper left", frameon=False)
    return fig


def funnel_plot(result: MetaAnalysis, *, contours: Sequence[float] = (0.90, 0.95, 0.99), contour_enhanced: bool = False,
                trimfill: TrimAndFill | None = None, effect_label: str = "Effect size", ratio: bool = False,
                ax: Axes | None = None) -> Figure:
    """Funnel plot: each study's effect (x) against its standard error (y, inverted: 0 at the top).

    Draws the studies, a vertical line at the pooled estimate and the pseudo
    confidence region estimate ± z·SE (z = 1.96 for a 95% fit) in which, absent
    heterogeneity and bias, about 95% of studies should fall, as metafor's
    ``funnel()``. With ``contour_enhanced=True`` the regions where a study
    would be statistically significant are shaded around 0 at the
    ``contours`` levels (by default p < 0.01, 0.01-0.05, 0.05-0.10), so that
    missing studies in non-significant regions hint at publication bias and
    missing studies elsewhere at other causes (Peters et al. 2008). A
    :class:`~helpers.bias.TrimAndFill` of the same studies adds its imputed
    studies as open circles and a dashed line at the adjusted estimate.

    ``ratio=True`` (log risk or odds ratios) keeps the log scale, on which
    the funnel is symmetric, but labels the axis and the legend in ratios
    (0.5, 1, 2), as readers of the paper will quote them; the standard error
    stays that of the log ratio.

    Asymmetry is not proof of publication bias, and with fewer than 10
    studies it cannot be judged (Sterne et al. 2011, BMJ 343:d4002;
    Cochrane Handbook 13.3.5). ``fig.funnel`` is a :class:`FunnelInfo`.

    >>> from helpers.pooling import meta_analysis
    >>> res = meta_analysis([0.1, 0.3, 0.5, 0.9, 1.1], [0.01, 0.02, 0.03, 0.06, 0.09], method="DL")
    >>> fig = funnel_plot(res, contour_enhanced=True)
    >>> fig.funnel.points[:, 1].round(2).tolist()
    [0.1, 0.14, 0.17, 0.24, 0.3]
    """
    if not isinstance(result, MetaAnalysis):
        raise ValueError(f"result must be a MetaAnalysis from helpers.pooling.meta_analysis, got {type(result).__name__}")
    levels = np.unique(np.asarray(contours, float))
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise ValueError(f"contours must be confidence levels between 0 and 1, e.g. (0.90, 0.95, 0.99), got {contours!r}")
    if trimfill is not None:
        if not isinstance(trimfill, TrimAndFill):
            raise ValueError(f"trimfill must be a TrimAndFill from helpers.bias.trim_and_fill, got {type(trimfill).__name__}")
        if not (np.array_equal(trimfill.original.yi, result.yi) and np.array_equal(trimfill.original.vi, result.vi)):
            raise ValueError("trimfill was computed on different studies from result")

    fig, ax = _figure_and_axes(ax, (8.0, 5.5))
    se = np.sqrt(result.vi)
    filled = (np.column_stack([trimfill.filled_yi, np.sqrt(trimfill.filled_vi)]) if trimfill is not None
              else np.empty((0, 2)))
    se_max = 1.05 * max(se.max(), filled[:, 1].max(initial=0.0))
    z = z_for_level(result.level)
    edges = (result.estimate - z * se_max, result.estimate + z * se_max)

    handles = _shade_significance(ax, levels, se_max) if contour_enhanced else []
    ax.plot([edges[0], result.estimate, edges[1]], [se_max, 0, se_max], color="0.3", ls="--", lw=1, gid="pseudo-ci")
    ax.axvline(result.estimate, color="black", lw=1, gid="estimate")
    ax.scatter(result.yi, se, color="black", s=25, zorder=3, gid="studies")
    shown = np.exp if ratio else (lambda x: x)
    handles += [Line2D([], [], color="black", marker="o", ls="", label="Studies"),
                Line2D([], [], color="black", lw=1, label=f"Pooled estimate ({shown(result.estimate):.2f})"),
                Line2D([], [], color="0.3", ls="--", lw=1, label=f"Pseudo {100 * result.level:g}% CI")]
    if trimfill is not None:
        ax.scatter(filled[:, 0], filled[:, 1], facecolors="white", edgecolors="black", s=25, zorder=3, gid="filled")
        ax.axvline(trimfill.adjusted.estimate, color=_PREDICTION, ls="--", lw=1, gid="adjusted")
        handles += [Line2D([], [], color="black", marker="o", mfc="white", ls="", label=f"Filled ({trimfill.k0})"),
                    Line2D([], [], color=_PREDICTION, ls="--", lw=1,
                           label=f"Trim-and-fill estimate ({shown(trimfill.adjusted.estimate):.2f})")]

    x = np.concatenate([result.yi, filled[:, 0], edges, [0.0] if contour_enhanced else []])
    pad = 0.05 * (x.max() - x.min())
    ax.set_xlim(x.min() - pad, x.max() + pad)
    ax.set_ylim(se_max, 0)
    if ratio:
        _ratio_ticks(ax, x.min() - pad, x.max() + pad)
    ax.set_xlabel(effect_label)
    ax.set_ylabel("Standard error of the log ratio" if ratio else "Standard error")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    fig.funnel = FunnelInfo(points=np.column_stack([result.yi, se]), filled=filled, centre=result.estimate,
                            adjusted=None if trimfill is None else trimfill.adjusted.estimate, se_max=se_max,
                            pseudo_ci=edges, contours=tuple(levels) if contour_enhanced else ())
    return fig


# ---------------------------------------------------------------- tau² sensitivity

@dataclass(frozen=True, eq=False)
class Tau2SensitivityInfo:
    """The curve drawn: ``tau2`` grid, pooled ``estimate`` and Wald ``ci_low``/``ci_high``
    at each grid value, and ``marks``: name -> (tau², estimate) at each marked value."""

    tau2: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    marks: dict


def _default_tau2_grid(y: np.ndarray, v: np.ndarray, marks: Mapping[str, float]) -> np.ndarray:
    fit = meta_analysis(y, v, method="REML")
    upper = 2 * max(fit.tau2, fit.tau2_ci[1], *marks.values())
    # homogeneous data put both at 0; the largest within-study variance is then a scale students can read
    return np.linspace(0.0, upper if upper > 0 else float(v.max()), 201)


def tau2_sensitivity_plot(yi, vi, tau2_grid: Sequence[float] | None = None, *, level: float = 0.95,
                          mark: Mapping[str, float] | None = None, effect_label: str = "Pooled estimate",
                          ax: Axes | None = None) -> Figure:
    """Pooled estimate and its Wald CI as functions of the between-study variance tau².

    For every tau² on the grid the studies are weighted 1/(vᵢ + tau²):

    .. math:: \\hat\\mu(\\tau^2) = \\frac{\\sum_i y_i/(v_i+\\tau^2)}{\\sum_i 1/(v_i+\\tau^2)}, \\quad
              SE = \\Big(\\sum_i \\frac{1}{v_i+\\tau^2}\\Big)^{-1/2}

    At tau² = 0 this is the common-effect estimate; at an estimator's tau²
    it is that random-effects estimate. The plot shows a student how much
    the choice of tau² estimator (``mark``, e.g. ``{"DL": 0.30, "REML":
    0.31}``, drawn as vertical lines) can matter: a flat curve means little.
    The default grid runs from 0 to twice the largest of the REML tau², the
    upper end of its Q-profile CI (Viechtbauer 2007) and the marks. All grid points
    are computed at once as a (grid x studies) weight matrix.

    References: Borenstein et al. (2009) ch. 12; Cochrane Handbook (v6.4)
    10.10.4; Veroniki et al. (2016), Res Synth Methods 7:55 (tau² estimators).
    ``fig.tau2_sensitivity`` is a :class:`Tau2SensitivityInfo`.

    >>> fig = tau2_sensitivity_plot([0.1, 0.3, 0.5, 0.9], [0.01, 0.02, 0.03, 0.02], [0.0, 0.05, 0.1])
    >>> fig.tau2_sensitivity.estimate.round(3).tolist()
    [0.371, 0.434, 0.441]
    """
    _, y, v = study_inputs(yi, vi)
    if y.size < 2:
        raise ValueError("a tau² sensitivity plot needs at least two studies: with one, tau² does not change the estimate")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    marks = {str(k): float(t) for k, t in (mark or {}).items()}
    bad = [k for k, t in marks.items() if not (np.isfinite(t) and t >= 0)]
    if bad:
        raise ValueError(f"mark {bad[0]!r}: tau² must be a finite number >= 0, got {marks[bad[0]]}")
    if tau2_grid is None:
        grid = _default_tau2_grid(y, v, marks)
    else:
        grid = np.asarray(tau2_grid, float)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)) or grid.min() < 0 or np.any(np.diff(grid) <= 0):
            raise ValueError("tau2_grid must be at least two finite, increasing values >= 0")
    outside = [k for k, t in marks.items() if not grid[0] <= t <= grid[-1]]
    if outside:
        raise ValueError(f"mark {outside[0]!r} (tau² = {marks[outside[0]]:g}) lies outside tau2_grid "
                         f"({grid[0]:g} to {grid[-1]:g}); extend the grid to show it")

    tau2 = np.concatenate([grid, list(marks.values())])
    w = 1 / (v[None, :] + tau2[:, None])
    estimate = (w @ y) / w.sum(axis=1)
    half = z_for_level(level) / np.sqrt(w.sum(axis=1))
    n = grid.size

    fig, ax = _figure_and_axes(ax, (7.0, 4.5))
    ax.fill_between(grid, estimate[:n] - half[:n], estimate[:n] + half[:n], color=_SQUARE, alpha=0.2, lw=0,
                    label=f"{100 * level:g}% CI (Wald)")
    ax.plot(grid, estimate[:n], color=_SQUARE, lw=2, label="Pooled estimate")
    ax.axhline(0, color="0.35", lw=0.8)
    for j, (name, t) in enumerate(marks.items()):
        ax.axvline(t, color=f"C{j + 1}", ls=":", lw=1.5, label=f"{name}: τ² = {t:.3g}")
        ax.plot(t, estimate[n + j], "o", color=f"C{j + 1}")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("τ² (between-study variance)")
    ax.set_ylabel(effect_label)
    ax.set_title("Pooled estimate as τ² varies (weights 1/(vᵢ + τ²))", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.tau2_sensitivity = Tau2SensitivityInfo(
        tau2=grid, estimate=estimate[:n], ci_low=estimate[:n] - half[:n], ci_high=estimate[:n] + half[:n],
        marks={name: (t, float(e)) for (name, t), e in zip(marks.items(), estimate[n:])})
    return fig


# ---------------------------------------------------------------- meta-regression, influence, small helpers

def bubble_plot(fit, moderator, yi, vi, *, ratio: bool = False, labels: Sequence[object] | None = None,
                xlabel: str = "moderator", effect_label: str = "Effect size", title: str | None = None,
                fit_label: str | None = None, ax: Axes | None = None) -> Figure:
    """Meta-regression bubble plot (metafor's ``regplot()``): studies as circles, the fitted line and its 95% CI.

    ``fit`` is a one-moderator :class:`~helpers.regression.MetaRegression` of
    ``yi``, ``vi`` on ``moderator`` (one value per study). Each circle's area
    is proportional to the study's weight in the fit,
    :math:`1/(v_i + \\hat\\tau^2_{res})`; the line is
    :math:`\\hat\\beta_0 + \\hat\\beta_1 x` over the moderator's range, with the
    pointwise CI of the fitted value, :math:`\\hat y(x) \\pm c\\,\\sqrt{x^\\top V x}`, where
    :math:`V = (X^\\top W X)^{-1}` rescaled to the fit's own standard errors (so a
    Hartung-Knapp fit gets its wider band and t quantile). ``ratio=True``
    labels the effect axis in ratios (data on the log scale, ticks sized to
    the data). The legend sits below the axes, where it covers no study.
    ``labels`` names the studies (as text beside the largest five).
    ``fig.bubble`` holds the plotted ``x``, ``y``, ``sizes`` and the band.

    References: Thompson & Higgins (2002), Stat Med 21:1559; Harrer et al.
    (2021), ch. 8; Viechtbauer (2010), J Stat Softw 36(3) (``regplot``).
    """
    _, y, v = study_inputs(yi, vi)
    x = np.asarray(moderator, float)
    if x.shape != y.shape:
        raise ValueError(f"moderator has {x.size} values but there are {y.size} studies")
    coef = np.asarray(fit.estimate, float)
    if coef.size != 2:
        raise ValueError(f"a bubble plot shows one moderator; this fit has {coef.size - 1}")
    weight = 1 / (v + fit.tau2)
    X = np.column_stack([np.ones_like(x), x])
    V = np.linalg.inv(X.T @ (weight[:, None] * X))
    V *= (fit.se[1] / np.sqrt(V[1, 1])) ** 2        # the fit's own scale (1 for z; s² for Hartung-Knapp)
    grid = np.linspace(x.min(), x.max(), 101)
    G = np.column_stack([np.ones_like(grid), grid])
    line = G @ coef
    crit = t_isf((1 - fit.level) / 2, fit.df) if np.isfinite(fit.df) else z_for_level(fit.level)
    half = crit * np.sqrt(np.einsum("ij,jk,ik->i", G, V, G))

    fig, ax = _figure_and_axes(ax, (7.0, 4.6))
    sizes = 600 * weight / weight.max()
    ax.fill_between(grid, line - half, line + half, color=_PREDICTION, alpha=0.15, lw=0,
                    label=f"{100 * fit.level:g}% CI of the fitted line")
    ax.plot(grid, line, color=_PREDICTION, lw=1.8, label=fit_label or f"fitted line: slope {coef[1]:.3g}")
    ax.scatter(x, y, s=sizes, color=_SQUARE, alpha=0.6, edgecolor="black", zorder=3, label="study (area ∝ weight)")
    if labels is not None:
        names = [str(label) for label in labels]
        for i in np.argsort(-weight)[:5]:
            ax.annotate(names[i], (x[i], y[i]), xytext=(6, 6), textcoords="offset points", fontsize=7)
    ax.axhline(0, color="0.5", lw=0.8)
    low, high = min(y.min(), (line - half).min()), max(y.max(), (line + half).max())
    pad = 0.08 * (high - low)
    ax.set_ylim(low - pad, high + pad)
    if ratio:
        _ratio_ticks(ax, low - pad, high + pad, axis="y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(effect_label)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    fig.bubble = {"x": x, "y": y, "sizes": sizes, "band": (grid, line - half, line + half)}
    return fig


def leave_one_out_plot(loo: pd.DataFrame, fit: MetaAnalysis, *, effect_label: str = "Estimate",
                       title: str | None = None) -> Figure:
    """Leave-one-out estimates with their CIs beside I² without each study (metafor's ``leave1out()``).

    ``loo`` is the table of :func:`helpers.pooling.leave_one_out` of ``fit`` (one row
    per omitted study: estimate, ci_low, ci_high, i2) and ``fit`` the
    analysis of all studies, drawn as a grey band (its CI) and lines.
    """
    fig = Figure(figsize=(9, 0.25 * len(loo) + 1.4), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=[1.4, 1])
    rows = np.arange(len(loo))[::-1]
    left.axvspan(fit.ci_low, fit.ci_high, color="0.9", label=f"all {fit.k} studies: 95% CI")
    left.axvline(fit.estimate, color="black", lw=1)
    left.hlines(rows, loo["ci_low"], loo["ci_high"], color="black", lw=1)
    left.plot(loo["estimate"], rows, "s", color=_SQUARE, label="estimate without the study")
    left.axvline(0, color="0.5", lw=0.8, ls=":")
    left.set_yticks(rows, loo.index, fontsize=8)
    left.set_xlabel(f"{effect_label} (95% CI)")
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    right.barh(rows, loo["i2"], color=_PREDICTION, alpha=0.7)
    right.axvline(fit.i2, color="black", lw=1)
    right.set_xlabel(f"I² without the study (%); line: all {fit.k}")
    if title:
        fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    return fig


def hedges_correction_plot(marks: Sequence[float] = (), n_max: int = 320) -> Figure:
    """The small-sample correction J against total N: exact (Hedges 1981) and RevMan 5's 1 - 3/(4N - 9).

    Left: both curves and ``marks`` (trial sizes N, as dots); right: their
    difference in units of 1e-4, for N >= 10 (Borenstein et al. 2009, ch. 4).
    """
    n_grid = np.arange(4, n_max + 1)
    exact, approx = hedges_correction(n_grid - 2, "exact"), hedges_correction(n_grid - 2, "revman")
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot(n_grid, exact, lw=2, label="exact (gamma function)")
    left.plot(n_grid, approx, lw=1.2, ls="--", label="RevMan 5: 1 − 3/(4N − 9)")
    marks = np.asarray(marks, float)
    if marks.size:
        left.plot(marks, hedges_correction(marks - 2, "exact"), "o", color="black", ms=4, label="the trials")
    left.set_xlabel("total sample size N = n₁ + n₂")
    left.set_ylabel("correction factor J")
    left.set_title("J approaches 1 as N grows", fontsize=10, loc="left")
    left.legend(fontsize=8, loc="lower right")
    big = n_grid >= 10
    right.plot(n_grid[big], (approx - exact)[big] * 1e4, color="C3", lw=2)
    right.axhline(0, color="0.4", lw=0.8)
    right.set_xlabel("total sample size N")
    right.set_ylabel("J RevMan 5 − J exact  (× 10⁻⁴)")
    right.set_title("RevMan 5's J is slightly larger (N ≥ 10 shown)", fontsize=10, loc="left")
    return fig


def study_intervals_plot(yi, vi, labels: Sequence[object], *, effect_label: str, title: str | None = None,
                         null: float = 0.0) -> Figure:
    """Each study's estimate and 95% Wald CI (yi ± 1.96 √vi), first study at the top, no pooled diamond."""
    _, y, v = study_inputs(yi, vi)
    fig = Figure(figsize=(7.5, 0.3 * y.size + 1.0), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(y.size)[::-1]
    ax.errorbar(y, rows, xerr=z_for_level(0.95) * np.sqrt(v), fmt="s", color=_SQUARE, ecolor="black", ms=5)
    ax.axvline(null, color="0.4", lw=0.8)
    ax.set_yticks(rows, [str(label) for label in labels])
    ax.set_xlabel(effect_label)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return fig


def weight_share_plot(fit: MetaAnalysis, n, *, title: str | None = None) -> Figure:
    """Each study's share of the total weight beside its share of the participants, heaviest at the top.

    The weight share is the fit's ``weights`` (percent, :math:`100\\,w_i/\\sum w_i`
    with :math:`w_i = 1/(v_i + \\hat\\tau^2)`); the participant share is
    :math:`100\\,n_i/\\sum n`. The two differ because weight follows precision,
    and :math:`v_i` depends on the SDs as much as on :math:`n_i`. ``n`` is one
    total sample size per study. ``fig.weight_share`` holds the plotted labels
    (bottom to top) and both shares.

    Reference: Borenstein et al. (2009), *Introduction to Meta-Analysis*, ch. 11.
    """
    weight = np.asarray(fit.weights, float)
    size = np.asarray(n, float)
    if size.shape != weight.shape:
        raise ValueError(f"n has {size.size} values but the fit has {weight.size} studies")
    if not np.all(np.isfinite(size) & (size > 0)):
        bad = [str(fit.labels[i]) for i in np.flatnonzero(~(np.isfinite(size) & (size > 0)))]
        raise ValueError(f"n must be a positive number for every study; not for: {', '.join(bad)}")
    share = 100 * size / size.sum()
    order = np.argsort(weight, kind="stable")        # ascending: barh draws the first row at the bottom
    labels = [f"{fit.labels[i]} (n = {size[i]:g})" for i in order]
    fig = Figure(figsize=(8, 0.35 * weight.size + 1.2), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(weight.size)
    ax.barh(rows + 0.2, weight[order], height=0.4, color=_SQUARE, label="share of the weight")
    ax.barh(rows - 0.2, share[order], height=0.4, color="0.7", label="share of the participants")
    ax.set_yticks(rows, labels)
    ax.set_xlabel("percent of the total")
    ax.set_title(title or "Weights are set by precision, not by size alone", fontsize=10, loc="left")
    ax.legend(loc="lower right", fontsize=9)
    fig.weight_share = {"labels": labels, "weight": weight[order], "participants": share[order]}
    return fig


def lines_by_k_plot(panels: Mapping[str, pd.DataFrame], *, ylabel: str, title: str, reference: float | None = None,
                    band: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None) -> Figure:
    """Simulation results against the number of studies k: one panel per entry, one line per column.

    ``panels`` maps a panel title to a frame indexed by k (one column per
    method). The k axis is logarithmic with a tick at every simulated k, so
    2, 3, 4, 5 do not crowd each other; ``reference`` draws a dashed line
    (e.g. 0.95 coverage, or 0 bias) and ``band`` a grey band (e.g. ± 1.96
    Monte Carlo SE around it; Morris, White & Crowther 2019, Stat Med 38:2074).
    """
    fig = Figure(figsize=(3.7 * len(panels) + 0.6, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    markers = "os^Dv<>"
    for ax, (name, frame) in zip(axes, panels.items()):
        if band is not None:
            ax.axhspan(*band, color="#e6e6e6", lw=0)
        if reference is not None:
            ax.axhline(reference, color="0.4", lw=0.8, ls="--")
        for j, col in enumerate(frame.columns):
            ax.plot(frame.index, frame[col], marker=markers[j % len(markers)], color=f"C{j}", lw=1.7, ms=4.5,
                    label=str(col))
        ax.set_xscale("log")
        ax.set_xticks(frame.index, labels=[f"{k:g}" for k in frame.index])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("number of studies k (log scale)")
        if ylim is not None:
            ax.set_ylim(*ylim)
    axes[0].set_ylabel(ylabel)
    axes[0].legend(fontsize=8, frameon=False, loc="best")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


# --------------------------------------------------------------------------- lessons (notebooks 06-08)

__all__ += ["mcid_zones_plot", "pooled_estimates_plot", "published_results_plot"]


def mcid_zones_plot(estimate: float, ci_low: float, ci_high: float, panels: Sequence[tuple[str, float, tuple[float, float]]],
                    *, direction: str, xlabel: str) -> Figure:
    """One estimate and its CI against several thresholds, one panel per reading of the scale.

    ``panels`` holds ``(title, threshold, (x_min, x_max))``: each panel shades
    the benefit zone beyond the threshold (green), the trivial zone within
    ±threshold (grey) and the harm zone (red), the zones of
    :func:`helpers.mcid.compare_to_mcid`, over its own x range, so a 0-10
    reading is not drawn on a 0-100 axis (zones are clipped to it; the range
    must hold the CI and 0). ``direction`` is "lower_is_better" or
    "higher_is_better". ``fig.zones`` holds each panel's (benefit, trivial,
    harm) spans as drawn (None for a zone outside the range).
    """
    if direction not in ("lower_is_better", "higher_is_better"):
        raise ValueError(f"direction must be 'lower_is_better' or 'higher_is_better', got {direction!r}")
    if not ci_low <= estimate <= ci_high:
        raise ValueError(f"the estimate ({estimate:g}) must lie inside its CI ({ci_low:g} to {ci_high:g})")
    fig = Figure(figsize=(8, 1.6 * len(panels) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1))
    good = -1 if direction == "lower_is_better" else 1
    fig.zones = []
    for ax, (title, m, (x_min, x_max)) in zip(axes, panels):
        if not (x_min < min(ci_low, 0.0) and x_max > max(ci_high, 0.0)):
            raise ValueError(f"panel {title!r}: the x range {x_min:g} to {x_max:g} must hold the CI and 0")
        clip = lambda lo, hi: (max(lo, x_min), min(hi, x_max)) if max(lo, x_min) < min(hi, x_max) else None  # noqa: E731
        benefit = clip(-np.inf, -m) if good < 0 else clip(m, np.inf)
        harm = clip(m, np.inf) if good < 0 else clip(-np.inf, -m)
        zones = (benefit, clip(-m, m), harm)
        for span, colour in zip(zones, ("#d9ead3", "#eeeeee", "#f4cccc")):
            if span is not None:
                ax.axvspan(*span, color=colour, lw=0)
        fig.zones.append(zones)
        ax.axvline(0, color="black", lw=1)
        ax.plot([ci_low, ci_high], [0.5, 0.5], color="black", lw=3)
        ax.plot([estimate], [0.5], "D", color="black", ms=8)
        ax.set(yticks=[], ylim=(0, 1), xlim=(x_min, x_max))
        ax.set_title(title, fontsize=10, loc="left")
    axes[-1].set_xlabel(xlabel)
    return fig


def pooled_estimates_plot(groups: Sequence[tuple[str, pd.DataFrame]], *, xlabel: str) -> Figure:
    """Pooled results as printed, one panel per scale: an MD and an SMD never share an axis.

    Each group is ``(title, frame)`` with columns ``label`` (left of the row),
    ``estimate``, ``ci_low``, ``ci_high``, ``text`` (printed above the
    square, e.g. "-3.48 [-6.61, -0.35]") and ``favours`` (right of the row:
    which side favours what). Each panel's x axis is symmetric about 0 and
    sized to its own CIs. ``fig.rows`` holds the plotted labels per panel.
    """
    needed = {"label", "estimate", "ci_low", "ci_high", "text", "favours"}
    for title, frame in groups:
        missing = needed - set(frame.columns)
        if missing:
            raise ValueError(f"group {title!r} lacks column(s) {sorted(missing)}")
        bad = ~((frame.ci_low <= frame.estimate) & (frame.estimate <= frame.ci_high))
        if bad.any():
            raise ValueError(f"group {title!r}: estimate outside its CI in row(s) {list(frame.label[bad])}")
    fig = Figure(figsize=(9.5, 6.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(groups), 1, height_ratios=[len(f) + 0.6 for _, f in groups]))
    fig.rows = []
    for ax, (title, frame) in zip(axes, groups):
        ys = np.arange(len(frame))[::-1]
        for y, r in zip(ys, frame.itertuples()):
            ax.plot([r.ci_low, r.ci_high], [y, y], color="black", lw=1.5)
            ax.plot(r.estimate, y, "s", color=_SQUARE, ms=7)
            ax.annotate(r.text, (r.estimate, y), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8)
        ax.axvline(0, color="grey", lw=1, ls="--")
        half = 1.15 * np.abs(frame[["ci_low", "ci_high"]].to_numpy(float)).max()
        ax.set_xlim(-half, half)
        ax.set_ylim(-0.7, len(frame) - 0.2)
        ax.set_yticks(ys, list(frame.label), fontsize=8)
        right = ax.secondary_yaxis("right")
        right.set_yticks(ys, list(frame.favours), fontsize=7.5, color="darkgreen")
        ax.set_title(title, fontsize=9.5, loc="left")
        fig.rows.append(list(frame.label))
    axes[-1].set_xlabel(xlabel)
    return fig
