"""Named conventions: the choices on which metafor, R's meta and RevMan 5 differ.

A student who recomputes a published number and gets a different third
decimal has usually met one of these, not made a mistake. Each convention is
a small frozen record; :func:`helpers.effect_sizes.smd`,
:func:`helpers.pooling.meta_analysis` and
:func:`helpers.pooling.subgroup_analysis` accept ``conventions="metafor"``,
``"revman5"`` or ``"meta"`` and take every default from it, while any
argument given explicitly still wins.

Sources (quoted in ``docs/conventions.md``):

* metafor 3.8/4.x: ``escalc`` and ``rma`` documentation (Viechtbauer 2010).
* R meta 6.x/7.0 defaults: ``metacont``/``metagen`` documentation, NEWS
  (exact SMD formulae since 5.1-0; REML since 5.0-0; corrected HK
  prediction-interval SE since 5.2-0) and ``settings.meta()``; the outputs
  printed in Harrer et al. (2021) *Doing Meta-Analysis in R*, ch. 4-7.
* RevMan 5: Deeks & Higgins (2010) *Statistical algorithms in Review
  Manager 5* as implemented by meta's ``settings.meta("RevMan5")`` (the
  document itself is cited there), and the Cochrane Handbook v5.1 ch. 9.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Convention", "CONVENTIONS", "get_convention"]


@dataclass(frozen=True)
class Convention:
    """Every choice that differs between the tools; each field is named like the argument it sets.

    * ``correction`` (smd's ``correction=``): ``"exact"`` (gamma-function J) or ``"revman"`` (J = 1 - 3/(4N - 9)).
    * ``variance`` (smd's ``variance=``): ``"LS"`` (metafor: 1/n1 + 1/n2 + g²/(2N)), ``"UB"`` (unbiased;
      meta's exact formula, metafor ``vtype="UB"``) or ``"revman"`` (N/(n1 n2) + g²/(2(N - 3.94))).
    * ``method``: tau² estimator. ``i2_method``: ``"tau2"`` (metafor) or ``"q"`` ((Q - df)/Q).
    * ``i2_ci_method``: ``"q-profile"``, ``"test-based"`` (Higgins & Thompson 2002, on ln H) or ``"none"``.
    * ``ci_method``: ``"z"``, ``"hksj"`` or ``"hksj-adhoc"``. ``pi_method``: ``"auto"`` (metafor's
      ``predict()``: normal after a Wald fit, t(k-1) after HKSJ), ``"z"``, ``"hksj"``, ``"hts"``, or
      ``"none"`` (the tool prints none).
    * ``common_tau2`` (subgroup_analysis): one tau² across subgroups (True) or one per subgroup (False);
      ``between_se``: which SE of each subgroup enters Q-between, ``"wald"`` or ``"ci_method"`` (meta uses
      the HKSJ SE under HKSJ).
    * ``add`` (the 2x2 helpers' ``add=``) and ``drop_double_zero``: the continuity correction for 2x2 tables.

    A variant is ``dataclasses.replace(get_convention("meta"), name="meta, HKSJ", ci_method="hksj")``.
    """

    name: str
    correction: str
    variance: str
    method: str
    i2_method: str
    i2_ci_method: str
    ci_method: str
    pi_method: str
    common_tau2: bool
    between_se: str
    add: float
    drop_double_zero: bool
    note: str = ""


CONVENTIONS = {
    "metafor": Convention(
        name="metafor", correction="exact", variance="LS", method="REML", i2_method="tau2", i2_ci_method="q-profile",
        ci_method="z", pi_method="auto", common_tau2=False, between_se="wald", add=0.5,
        drop_double_zero=False,
        note="metafor has no subgroup function; its idiom, rma(mods = ~ factor(g)), assumes a common tau² "
             "(use common_tau2=True for that).",
    ),
    "revman5": Convention(
        name="revman5", correction="revman", variance="revman", method="DL", i2_method="q", i2_ci_method="none",
        ci_method="z", pi_method="none", common_tau2=False, between_se="wald", add=0.5,
        drop_double_zero=True,
        note="RevMan 5 prints no prediction interval and no CI for I²; the Cochrane Handbook's "
             "prediction interval is pi_method='hts'.",
    ),
    "meta": Convention(
        name="meta", correction="exact", variance="UB", method="REML", i2_method="q", i2_ci_method="test-based",
        ci_method="z", pi_method="hts", common_tau2=False, between_se="ci_method", add=0.5,
        drop_double_zero=True,
        note="R meta 6.x/7.0 defaults. meta 8 changed the prediction interval to t(k-1) (pi_method='hksj' "
             "is the closest here).",
    ),
}


def get_convention(conventions: str | Convention) -> Convention:
    """Look up a named convention (or pass a :class:`Convention` through)."""
    if isinstance(conventions, Convention):
        return conventions
    try:
        return CONVENTIONS[conventions]
    except KeyError:
        raise ValueError(f"conventions must be one of {tuple(CONVENTIONS)} or a Convention, got {conventions!r}") from None
