"""The estimation engine: tau² estimators and inference for stacks of (meta-)regressions.

Everything here works on a :class:`Stack` of n models side by side, each of up
to k studies (padded cells marked False in ``mask``) with design matrix
:math:`X = [1, Z]`: a column of ones and m moderator columns Z (m = 0 for an
intercept-only meta-analysis). One meta-analysis is the stack with n = 1 and
m = 0, so the single fit, the batch fit, leave-one-out, meta-regression and
common-tau² subgroups all share this one implementation and cannot drift apart.

The algorithms are metafor's general forms (``rma.uni``, ``confint.rma.uni``;
Viechtbauer 2005, J Educ Behav Stat 30:261; 2010, J Stat Softw 36(3)) with
:math:`P = W - WX(X'WX)^{-1}X'W`, :math:`W = \\mathrm{diag}(1/(v_i + \\tau^2))`.
Numerically, each model is first put in standard units (effects centred,
effects and variances divided by powers of two near their typical size,
moderators centred and scaled), so results do not depend on the unit of
measurement; weighted least squares runs on weighted-centred moderators by QR,
never by normal equations on raw numbers; convergence criteria are relative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._distributions import chi2_isf, chi2_ppf, chi2_sf, f_sf, norm_isf, norm_sf, t_isf, t_sf

METHODS = ("FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB")
METHOD_ALIASES = {"EE": "FE"}
CI_METHODS = ("z", "hksj", "hksj-adhoc")
PI_METHODS = ("z", "hksj", "hts")
I2_METHODS = ("tau2", "q")
I2_CI_METHODS = ("q-profile", "test-based", "none")

_TOL = 1e-13       # convergence on tau² in standard units, relative to (1 + tau²): 1 is a typical vi
_MAXITER = 1000
_RANK_TOL = 1e-7   # smallest singular value of the centred, scaled moderators, relative to the largest
_GRID = 32         # points of the score profile that find every local maximum of the likelihood


def canonical_method(method: str) -> str:
    """metafor's current name "EE" (equal effects) for the common-effect model is the kit's "FE"."""
    method = METHOD_ALIASES.get(method, method)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (or 'EE' for 'FE'), got {method!r}")
    return method


@dataclass(frozen=True)
class Stack:
    """n models side by side: padded cells have mask False, y 0, v 1; ``Z`` (n, k, m) moderators or None."""

    y: np.ndarray
    v: np.ndarray
    mask: np.ndarray
    Z: np.ndarray | None = None

    @property
    def k(self) -> np.ndarray:
        return self.mask.sum(axis=1)

    @property
    def p(self) -> int:
        """Coefficients per model: the intercept and the m moderators."""
        return 1 if self.Z is None else 1 + self.Z.shape[2]

    def rows(self, index) -> "Stack":
        return Stack(self.y[index], self.v[index], self.mask[index], None if self.Z is None else self.Z[index])

    def weights(self, tau2: np.ndarray) -> np.ndarray:
        """Inverse-variance weights 1/(v + tau²); zero in padded cells."""
        return np.where(self.mask, 1.0 / (self.v + tau2[:, None]), 0.0)


def _sum(a: np.ndarray) -> np.ndarray:
    return a.sum(axis=1)


def _pow2(x: np.ndarray, root: int = 1) -> np.ndarray:
    """The power of two nearest x (a power of 2**root, so its root is exact): scaling by it loses no digit."""
    return np.exp2(root * np.round(np.log2(x) / root))


@dataclass(frozen=True)
class Scaled:
    """A stack in standard units, and the map back: y = y0 + sy * y', v = sy² v', Z = zc + zs Z'."""

    s: Stack
    y0: np.ndarray
    sy: np.ndarray
    zc: np.ndarray | None
    zs: np.ndarray | None


def standardise(s: Stack) -> Scaled:
    k = s.k
    logv = _sum(np.where(s.mask, np.log(s.v), 0.0)) / k
    sy = _pow2(np.exp(logv / 2))
    y0 = _sum(np.where(s.mask, s.y, 0.0)) / k
    y = np.where(s.mask, (s.y - y0[:, None]) / sy[:, None], 0.0)
    v = np.where(s.mask, s.v / sy[:, None] ** 2, 1.0)
    Z = zc = zs = None
    if s.Z is not None:
        m3 = s.mask[:, :, None]
        zc = (np.where(m3, s.Z, 0.0).sum(axis=1) / k[:, None])
        dev = np.where(m3, s.Z - zc[:, None, :], 0.0)
        zs = np.sqrt((dev**2).sum(axis=1) / k[:, None])
        zs = np.where(zs > 0, zs, 1.0)
        Z = dev / zs[:, None, :]
    return Scaled(Stack(y, v, s.mask, Z), y0, sy, zc, zs)


def full_rank(s: Stack) -> np.ndarray:
    """True where [1, Z] has full column rank, judged on the centred, scaled moderators (scale-free).

    metafor refuses when an eigenvalue of X'X is below 1e-7 ("model matrix
    not of full rank"); on raw numbers that also refuses well-determined
    models whose moderator is large (1e6 plus a small spread), so the kit
    applies the same tolerance to the singular values of the standardised
    moderators instead.
    """
    if s.Z is None:
        return np.ones(s.k.shape, bool)
    sv = np.linalg.svd(np.where(s.mask[:, :, None], s.Z, 0.0), compute_uv=False)
    return (sv[:, -1] > _RANK_TOL * sv[:, 0]) & (s.k >= s.p)


@dataclass(frozen=True)
class WLS:
    """Weighted least squares at weights w, with everything the estimators need (standard units)."""

    w: np.ndarray
    sw: np.ndarray
    ybar: np.ndarray        # weighted mean of y
    r: np.ndarray           # sqrt(w) * residual
    Q: np.ndarray | None    # orthonormal basis of sqrt(w) * (Z - weighted mean of Z)
    R: np.ndarray | None
    zbar: np.ndarray | None
    c: np.ndarray | None    # Q' sqrt(w) (y - ybar) = R b

    @property
    def rss(self) -> np.ndarray:
        """y'Py: the weighted residual sum of squares (QE at these weights)."""
        return _sum(self.r**2)

    @property
    def u(self) -> np.ndarray:
        """Py = W (y - X b)."""
        return np.sqrt(self.w) * self.r

    def leverage(self) -> np.ndarray:
        """Diagonal of the hat matrix of sqrt(W) X."""
        h = self.w / self.sw[:, None]
        return h if self.Q is None else h + (self.Q**2).sum(axis=2)

    def project_out(self, t: np.ndarray) -> np.ndarray:
        """||t||² - ||Qf' t||², Qf the orthonormal basis of sqrt(W) X: t'(I - H)t."""
        a = _sum(np.sqrt(self.w) * t) ** 2 / self.sw
        if self.Q is not None:
            a = a + (np.einsum("nkm,nk->nm", self.Q, t) ** 2).sum(axis=1)
        return _sum(t**2) - a

    def tr_p(self) -> np.ndarray:
        return _sum(self.w * (1 - self.leverage()))

    def tr_pp(self) -> np.ndarray:
        """tr(PP) = tr(W²) - 2 tr(HW²) + ||Qf'WQf||²_F."""
        w, sw = self.w, self.sw
        h = self.leverage()
        g00 = _sum(w**2) / sw
        frob = g00**2
        if self.Q is not None:
            g0 = np.einsum("nk,nkm->nm", w * np.sqrt(w), self.Q) / np.sqrt(sw)[:, None]
            G = np.einsum("nk,nkm,nkl->nml", w, self.Q, self.Q)
            frob = frob + 2 * (g0**2).sum(axis=1) + (G**2).sum(axis=(1, 2))
        return _sum(w**2) - 2 * _sum(h * w**2) + frob

    def logdet_xwx(self) -> np.ndarray:
        out = np.log(self.sw)
        if self.R is not None:
            out = out + 2 * np.log(np.abs(np.diagonal(self.R, axis1=1, axis2=2))).sum(axis=1)
        return out

    def slopes(self) -> np.ndarray | None:
        return None if self.R is None else np.linalg.solve(self.R, self.c[:, :, None])[:, :, 0]


def wls(s: Stack, w: np.ndarray) -> WLS:
    sw = _sum(w)
    ybar = _sum(w * s.y) / sw
    sq = np.sqrt(w)
    zy = sq * (s.y - ybar[:, None])
    if s.Z is None:
        return WLS(w, sw, ybar, zy, None, None, None, None)
    zbar = np.einsum("nk,nkm->nm", w, s.Z) / sw[:, None]
    A = sq[:, :, None] * (s.Z - zbar[:, None, :])
    Q, R = np.linalg.qr(A)
    c = np.einsum("nkm,nk->nm", Q, zy)
    r = zy - np.einsum("nkm,nm->nk", Q, c)
    return WLS(w, sw, ybar, r, Q, R, zbar, c)


def _rss_equation(s: Stack, t: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """QE(tau²) = target, written as 1/target - 1/QE: QE falls roughly like c/(tau² + v), so 1/QE is
    nearly linear in tau² and Newton needs about three steps instead of seven. dQE/dtau² = -y'PPy."""
    f = wls(s, s.weights(t))
    q = f.rss
    return 1 / target - 1 / q, -_sum(f.u**2) / q**2


def _score_equation(s: Stack, t: np.ndarray, reml: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twice the (restricted) likelihood score in tau², and its derivative.

    REML score :math:`y'PPy - \\mathrm{tr}P`, ML score :math:`y'PPy - \\mathrm{tr}W`
    (Viechtbauer 2005). metafor steps by Fisher scoring (expected information
    :math:`\\mathrm{tr}(PP)` or :math:`\\mathrm{tr}(W^2)`); Newton with the
    observed derivative, :math:`-2y'PPPy + \\mathrm{tr}(PP)` (REML) or
    :math:`-2y'PPPy + \\mathrm{tr}(W^2)` (ML), reaches the same root in fewer steps.
    """
    f = wls(s, s.weights(t))
    u = f.u
    ypppy = f.project_out(np.sqrt(f.w) * u)
    score = np.where(reml, _sum(u**2) - f.tr_p(), _sum(u**2) - f.sw)
    slope = -2 * ypppy + np.where(reml, f.tr_pp(), _sum(f.w**2))
    return score, slope


def loglik(s: Stack, t: np.ndarray, reml: np.ndarray) -> np.ndarray:
    """Log-likelihood (ML) or restricted log-likelihood (REML) up to a constant, in standard units."""
    f = wls(s, s.weights(t))
    ll = -0.5 * (_sum(np.where(s.mask, np.log(s.v + t[:, None]), 0.0)) + f.rss)
    return np.where(reml, ll - 0.5 * f.logdet_xwx(), ll)


def _root(s: Stack, equation, arg: np.ndarray, start: np.ndarray, lo: np.ndarray | None = None,
          hi: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """tau² in [lo, hi] where ``equation`` crosses from positive to negative (f(lo) > 0 >= f(hi) assumed).

    Safeguarded Newton: a Newton step is taken when it stays inside the
    bracket that the signs seen so far define, and bisection otherwise, so the
    iteration cannot oscillate or run away (plain Fisher scoring can: metafor
    needs ``stepadj=0.5`` for REML on dat.normand1999). Only rows still
    iterating are computed. Returns ``(tau2, converged)``.
    """
    n = start.shape[0]
    lo = np.zeros(n) if lo is None else lo.copy()
    hi = np.full(n, np.inf) if hi is None else hi.copy()
    t = np.clip(start, lo, np.where(np.isfinite(hi), hi, np.inf))
    done = np.zeros(n, bool)
    rows = np.arange(n)
    sub, tr, a, lo_r, hi_r = s, t.copy(), arg, lo, hi
    for _ in range(_MAXITER):
        if rows.size == 0:
            break
        f, df = equation(sub, tr, a)
        lo_r = np.where(f > 0, np.maximum(tr, lo_r), lo_r)
        hi_r = np.where(f <= 0, np.minimum(tr, hi_r), hi_r)
        newton = tr - f / df
        inside = (newton >= lo_r) & (newton <= hi_r) & np.isfinite(newton)
        bisect = np.where(np.isfinite(hi_r), (lo_r + hi_r) / 2, 2 * lo_r + 1)
        new = np.where(f == 0, tr, np.where(inside, newton, bisect))
        tol = _TOL * (1 + np.abs(tr))
        finished = (np.abs(new - tr) <= tol) | (hi_r - lo_r <= tol) | (f == 0)
        t[rows] = tr = new
        if finished.any():
            done[rows[finished]] = True
            keep = ~finished
            rows, tr, a, lo_r, hi_r = rows[keep], tr[keep], a[keep], lo_r[keep], hi_r[keep]
            sub = sub.rows(keep)
    return t, done


def solve_rss(s: Stack, target: np.ndarray) -> np.ndarray:
    """tau² >= 0 at which the generalised Q, y'P(tau²)y, equals ``target``; 0 where it is <= target at 0.

    QE(tau²) decreases monotonically, so the root is unique. Used for
    Paule-Mandel and empirical Bayes (target k - p; DerSimonian & Kacker
    2007) and the Q-profile CI (Viechtbauer 2007). Newton starts from the
    one-step moment estimate :math:`(Q(0) - \\text{target}) / \\mathrm{tr}P`.
    """
    target = np.broadcast_to(np.asarray(target, float), s.k.shape)
    n = target.shape[0]
    f0 = wls(s, s.weights(np.zeros(n)))
    q0 = f0.rss
    out = np.zeros(n)
    rows = np.flatnonzero(q0 > target)
    if rows.size:
        start = (q0[rows] - target[rows]) / f0.tr_p()[rows]
        out[rows] = _root(s.rows(rows), _rss_equation, target[rows], start)[0]
    return out


def _likelihood_maximum(s: Stack, reml: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The global maximum of the (restricted) likelihood over tau² >= 0.

    The score is profiled on a grid from 0 to far beyond any plausible tau²;
    every change of sign from + to - brackets a local maximum, and tau² = 0 is
    one when the score there is <= 0. Each is refined by safeguarded Newton
    and the one with the highest likelihood wins. (Fisher scoring from one
    start, as metafor, finds one local maximum; metafor's ``ll0check`` then
    compares only that one with tau² = 0.) Returns ``(tau2, converged,
    n_maxima)``.
    """
    n = s.k.shape[0]
    vmin = np.min(np.where(s.mask, s.v, np.inf), axis=1)
    spread = _sum(np.where(s.mask, s.y**2, 0.0)) + np.max(np.where(s.mask, s.v, 0.0), axis=1)
    grid = np.concatenate([np.zeros((n, 1)), np.geomspace(1e-3 * vmin, 100 * spread, _GRID - 1, axis=1)], axis=1)
    if n * _GRID <= 4096:   # few models: one call for the whole profile, the stack repeated per grid point
        rep = np.repeat(np.arange(n), _GRID)
        scores = _score_equation(s.rows(rep), grid.ravel(), np.full(rep.size, reml))[0].reshape(n, _GRID)
    else:                   # many: one call per grid point keeps the arrays in cache
        flag = np.full(n, reml)
        scores = np.stack([_score_equation(s, grid[:, j], flag)[0] for j in range(_GRID)], axis=1)
    pos = scores > 0
    up = pos[:, :-1] & ~pos[:, 1:]                     # + then - : a maximum inside
    tail = pos[:, -1]                                  # still rising at the end of the grid
    at0 = ~pos[:, 0]                                   # the boundary is a maximum
    b_row, b_col = np.nonzero(up)
    t_row = np.flatnonzero(tail)
    rows = np.concatenate([b_row, t_row])
    lo = np.concatenate([grid[b_row, b_col], grid[t_row, -1]])
    hi = np.concatenate([grid[b_row, b_col + 1], np.full(t_row.size, np.inf)])
    start = np.where(np.isfinite(hi), (lo + hi) / 2, 2 * lo)
    roots, conv = _root(s.rows(rows), _score_equation, np.full(rows.size, reml), start, lo, hi)
    count = np.bincount(rows, minlength=n) + at0
    tau2 = np.zeros(n)
    converged = np.ones(n, bool)
    single = np.flatnonzero(count == 1)
    # rows with one interior maximum and no boundary one: no likelihood needed
    one = np.isin(rows, single)
    tau2[rows[one]] = roots[one]
    converged[rows[one]] = conv[one]
    many = np.flatnonzero(count > 1)
    if many.size:
        cand_rows = np.concatenate([rows[~one], many[at0[many]]])
        cand_t = np.concatenate([roots[~one], np.zeros(int(at0[many].sum()))])
        cand_c = np.concatenate([conv[~one], np.ones(int(at0[many].sum()), bool)])
        ll = loglik(s.rows(cand_rows), cand_t, np.full(cand_rows.size, reml))
        order = np.lexsort((-ll, cand_rows))
        first = np.concatenate([[True], cand_rows[order][1:] != cand_rows[order][:-1]])
        best = order[first]
        tau2[cand_rows[best]] = cand_t[best]
        converged[cand_rows[best]] = cand_c[best]
    return tau2, converged, count


def tau2_estimate(s: Stack, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tau² by the named estimator for every model in a stack in standard units.

    Returns ``(tau2, converged, n_maxima)`` (n_maxima: local maxima of the
    likelihood for ML/REML, else 1). General forms (metafor ``rma.uni``),
    with p coefficients and :math:`P_0` = P at tau² = 0:

    * FE: 0.
    * DL (DerSimonian & Laird 1986): :math:`\\max(0, (y'P_0y - (k-p))/\\mathrm{tr}P_0)`.
    * HS (Hunter & Schmidt 2004): :math:`\\max(0, (y'P_0y - k)/\\sum w)`.
    * HE (Hedges 1983): :math:`\\max(0, (y'My - \\mathrm{tr}(MV))/(k-p))`, M the OLS residual maker.
    * SJ (Sidik & Jonkman 2005): :math:`\\tau_0^2\\,y'P(\\tau_0^2)y/(k-p)` with
      :math:`\\tau_0^2 = \\sum(y-\\bar y)^2/k` (from the intercept-only model, as metafor).
    * PM (Paule & Mandel 1982) and EB (Morris 1983): the root of
      :math:`y'P(\\tau^2)y = k - p`; metafor's EB iteration has this same
      fixed point, so one solver serves both.
    * ML, REML: the global maximum of the (restricted) likelihood, see
      :func:`_likelihood_maximum`.
    """
    k = s.k.astype(float)
    n = k.shape[0]
    dfr = k - s.p
    ones = np.ones(n, bool), np.ones(n, int)
    none = dfr < 1
    if method == "FE":
        return np.zeros(n), *ones
    if method in ("DL", "HS"):
        f = wls(s, s.weights(np.zeros(n)))
        raw = (f.rss - dfr) / f.tr_p() if method == "DL" else (f.rss - k) / f.sw
        return np.where(none, 0.0, np.maximum(raw, 0.0)), *ones
    if method == "HE":
        f = wls(s, s.mask.astype(float))
        tr_mv = _sum(np.where(s.mask, s.v * (1 - f.leverage()), 0.0))
        return np.where(none, 0.0, np.maximum((f.rss - tr_mv) / np.maximum(dfr, 1), 0.0)), *ones
    if method == "SJ":
        ybar = _sum(np.where(s.mask, s.y, 0.0)) / k
        tau0 = _sum(np.where(s.mask, (s.y - ybar[:, None]) ** 2, 0.0)) / k
        f = wls(s, s.weights(tau0))
        return np.where(none, 0.0, tau0 * f.rss / np.maximum(dfr, 1)), *ones
    if method in ("PM", "EB"):
        t = np.zeros(n)
        ok = np.flatnonzero(~none)
        t[ok] = solve_rss(s.rows(ok), dfr[ok])
        return t, *ones
    if method in ("REML", "ML"):
        t, conv, count = np.zeros(n), np.ones(n, bool), np.ones(n, int)
        ok = np.flatnonzero(~none)
        if ok.size:
            t[ok], conv[ok], count[ok] = _likelihood_maximum(s.rows(ok), method == "REML")
        return t, conv, count
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def typical_variance(s: Stack) -> np.ndarray:
    """The "typical" within-study variance :math:`\\tilde v = (k-p)/\\mathrm{tr}P_0`, which turns tau² into I²
    (Higgins & Thompson 2002; metafor's ``vt``). Intercept-only: :math:`(k-1)/(\\sum w - \\sum w^2/\\sum w)`."""
    n = s.k.shape[0]
    return (s.k - s.p) / wls(s, s.weights(np.zeros(n))).tr_p()


def fit(s: Stack, method: str, ci_method: str = "z", pi_method: str = "z", level: float = 0.95,
        i2_method: str = "tau2", i2_ci_method: str = "q-profile", tau2_fixed: np.ndarray | None = None,
        with_intervals: bool = True) -> dict[str, np.ndarray]:
    """See :func:`_fit`; degenerate rows (k = 1, identical yi) divide by zero by design and are handled there."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _fit(s, canonical_method(method), ci_method, pi_method, level, i2_method, i2_ci_method,
                    tau2_fixed, with_intervals)


def _fit(s0: Stack, method: str, ci_method: str, pi_method: str, level: float, i2_method: str,
         i2_ci_method: str, tau2_fixed: np.ndarray | None, with_intervals: bool) -> dict[str, np.ndarray]:
    """Coefficients, heterogeneity statistics and intervals for every model of the stack.

    Wald inference (metafor's default): :math:`b = (X'WX)^{-1}X'Wy`,
    :math:`\\mathrm{Var}(b) = (X'WX)^{-1}`. HKSJ (Hartung & Knapp 2001; Sidik &
    Jonkman 2002; Knapp & Hartung 2003): Var(b) times
    :math:`s^2 = y'P(\\hat\\tau^2)y/(k-p)` with t(k-p) quantiles, no
    truncation (metafor's ``test="knha"``; s² = 0 when y'Py is below machine
    epsilon, as metafor); ``"hksj-adhoc"`` floors s² at 1 (``test="adhoc"``).
    QE = y'P_0y ~ chi²(k-p) tests residual heterogeneity; QM, the Wald test of
    the moderators, ~ chi²(m) (F(m, k-p) after dividing by m under HKSJ).
    I² and H² from tau² and the typical variance (Higgins & Thompson 2002;
    metafor), or from QE, :math:`I^2 = (QE - (k-p))/QE`, :math:`H^2 = QE/(k-p)`
    (``i2_method="q"``: RevMan, meta; and metafor for FE). Intervals for tau²
    and I²: :func:`heterogeneity_intervals`.
    """
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {CI_METHODS}, got {ci_method!r}")
    if pi_method not in PI_METHODS:
        raise ValueError(f"pi_method must be one of {PI_METHODS}, got {pi_method!r}")
    sc = standardise(s0)
    s = sc.s
    sy2 = sc.sy**2
    k = s.k.astype(float)
    n = k.shape[0]
    p = s.p
    dfr = k - p
    if tau2_fixed is None:
        tau2, converged, maxima = tau2_estimate(s, method)
    else:
        tau2, converged, maxima = np.asarray(tau2_fixed, float) / sy2, np.ones(n, bool), np.ones(n, int)
    f = wls(s, s.weights(tau2))
    f0 = wls(s, s.weights(np.zeros(n)))

    # coefficients in standard units, then mapped back: intercept first
    b_s = f.slopes()
    cov = np.zeros((n, p, p))
    beta = np.zeros((n, p))
    if b_s is None:
        beta[:, 0] = f.ybar
        cov[:, 0, 0] = 1 / f.sw
    else:
        Rinv = np.linalg.inv(f.R)
        cs = Rinv @ np.swapaxes(Rinv, 1, 2)
        beta[:, 0] = f.ybar - np.einsum("nm,nm->n", f.zbar, b_s)
        beta[:, 1:] = b_s
        a = -f.zbar
        cov[:, 0, 0] = 1 / f.sw + np.einsum("nm,nml,nl->n", a, cs, a)
        cov[:, 0, 1:] = cov[:, 1:, 0] = np.einsum("nml,nl->nm", cs, a)
        cov[:, 1:, 1:] = cs
    rss = f.rss
    s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / dfr)
    if ci_method == "hksj-adhoc":
        s2w = np.maximum(s2w, 1.0)
    # Wald test of the moderators: b_s' (R'R) b_s = ||c||² in standard units, which are scale-free
    qm = np.zeros(n) if p == 1 else (f.c**2).sum(axis=1)

    # back to the user's units: y = y0 + sy y', z = zc + zs z'
    L = np.zeros((n, p, p))
    L[:, 0, 0] = sc.sy
    offset = np.zeros((n, p))
    offset[:, 0] = sc.y0
    if p > 1:
        L[:, 0, 1:] = -sc.sy[:, None] * sc.zc / sc.zs
        idx = np.arange(1, p)
        L[:, idx, idx] = sc.sy[:, None] / sc.zs
    beta_u = offset + np.einsum("nij,nj->ni", L, beta)
    cov_wald = L @ cov @ np.swapaxes(L, 1, 2)
    se_wald_u = np.sqrt(np.diagonal(cov_wald, axis1=1, axis2=2))
    cov_u = cov_wald if ci_method == "z" else cov_wald * s2w[:, None, None]
    se_u = se_wald_u if ci_method == "z" else se_wald_u * np.sqrt(s2w)[:, None]
    stat = beta_u / se_u

    zcrit = norm_isf((1 - level) / 2)
    if ci_method == "z":
        df = np.full(n, np.inf)
        crit = np.full(n, zcrit)
        pvalue = 2 * norm_sf(np.abs(stat))
        qm_p = chi2_sf(qm, p - 1)
    else:
        df = dfr
        crit = t_isf((1 - level) / 2, df)
        pvalue = 2 * t_sf(np.abs(stat), df[:, None])
        qm = np.where(s2w == 0, np.inf, qm / s2w / max(p - 1, 1))
        qm_p = f_sf(qm, p - 1, df)
    pvalue = np.where(np.isnan(pvalue) & np.isinf(stat), 0.0, pvalue)

    qe = f0.rss
    none = dfr < 1
    qe = np.where(none, 0.0, qe)
    qe_p = np.where(none, 1.0, chi2_sf(qe, dfr))
    vt = typical_variance(s)
    if method == "FE" or i2_method == "q":
        i2 = np.where(none, 0.0, np.maximum(0.0, 100 * (qe - dfr) / qe))
        h2 = np.where(none, 1.0, qe / dfr)
    else:
        i2 = np.where(none, 0.0, 100 * tau2 / (vt + tau2))
        h2 = np.where(none, 1.0, tau2 / vt + 1)
    i2 = np.where(np.isnan(i2), 0.0, i2)  # QE = 0 exactly: a perfect fit

    mu, se, se_wald = beta_u[:, 0], se_u[:, 0], se_wald_u[:, 0]
    tau2_u = tau2 * sy2
    if pi_method == "z":
        pi_se, pi_crit = np.sqrt(se_wald**2 + tau2_u), np.full(n, zcrit)
    elif pi_method == "hksj":
        pi_se, pi_crit = np.sqrt(se**2 + tau2_u), t_isf((1 - level) / 2, k - 1)
    else:
        pi_se, pi_crit = np.sqrt(se_wald**2 + tau2_u), t_isf((1 - level) / 2, k - 2)

    out = {
        "k": s.k, "p": np.full(n, p), "beta": beta_u, "cov": cov_u, "beta_se": se_u, "beta_statistic": stat,
        "beta_pvalue": pvalue, "beta_ci_low": beta_u - crit[:, None] * se_u,
        "beta_ci_high": beta_u + crit[:, None] * se_u,
        "estimate": mu, "se": se, "se_wald": se_wald, "df": df, "statistic": stat[:, 0], "pvalue": pvalue[:, 0],
        "ci_low": mu - crit * se, "ci_high": mu + crit * se,
        "tau2": tau2_u, "converged": converged, "maxima": maxima, "q": qe, "q_pvalue": qe_p,
        "qm": qm, "qm_pvalue": qm_p, "i2": i2, "h2": h2, "rss": rss,
        "pi_low": mu - pi_crit * pi_se, "pi_high": mu + pi_crit * pi_se,
        "weights": 100 * f.w / f.sw[:, None], "s2w": s2w,
    }
    if with_intervals:
        out.update(heterogeneity_intervals(s, qe, level, i2_ci_method, scale=sy2))
    else:
        out.update(dict.fromkeys(("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high")))
    return out


def r2(s0: Stack, method: str, tau2: np.ndarray) -> np.ndarray:
    """Proportion (percent) of heterogeneity the moderators account for, as metafor computes it.

    Random effects (Raudenbush 2009): :math:`\\max(0, 100(\\hat\\tau^2_0 - \\hat\\tau^2)/\\hat\\tau^2_0)`,
    :math:`\\hat\\tau^2_0` from the intercept-only model with the same estimator (0 when that is 0).
    Common effect: metafor's weighted adjusted R² of the regression,
    :math:`1 - (1 - R^2)(k-1)/(k-p)` with :math:`R^2 = 1 - y'P_0y/\\sum w(y - \\bar y_w)^2`.
    """
    method = canonical_method(method)
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = standardise(s0)
        s = sc.s
        base = Stack(s.y, s.v, s.mask)
        n = s.k.shape[0]
        if method == "FE":
            f = wls(s, s.weights(np.zeros(n)))
            f_int = wls(base, base.weights(np.zeros(n)))
            tss = f_int.rss
            adj = 1 - (f.rss / tss) * (s.k - 1) / (s.k - s.p)
            return np.where(tss == 0, 0.0, np.maximum(0.0, 100 * adj))
        tau2_0 = tau2_estimate(base, method)[0] * sc.sy**2
        return np.where(tau2_0 == 0, 0.0, np.maximum(0.0, 100 * (tau2_0 - tau2) / tau2_0))


def i2_test_based_ci(q, k, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Test-based CI for I² (percent) from Q and k alone (Higgins & Thompson 2002, Stat Med 21:1539, appendix).

    Built on ln H, :math:`H = \\sqrt{Q/(k-1)}`, with
    :math:`SE(\\ln H) = \\tfrac12 (\\ln Q - \\ln(k-1))/(\\sqrt{2Q} - \\sqrt{2k-3})` if Q > k, else
    :math:`\\sqrt{(1 - 1/(3(k-2)^2))/(2(k-2))}`; H's limits are floored at 1 and
    mapped to :math:`I^2 = 1 - 1/H^2`. R meta's default interval; needs k >= 3.
    Works from printed numbers, so it serves summary-level replication too.

    >>> [round(float(x), 1) for x in i2_test_based_ci(45.5026, 18)]
    [37.9, 77.5]
    """
    q, k = np.asarray(q, float), np.asarray(k, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        zcrit = norm_isf((1 - level) / 2)
        ln_h = 0.5 * np.log(q / (k - 1))
        se_ln_h = np.where(q > k, 0.5 * (np.log(q) - np.log(k - 1)) / (np.sqrt(2 * q) - np.sqrt(2 * k - 3)),
                           np.sqrt((1 - 1 / (3 * (k - 2) ** 2)) / (2 * (k - 2))))
        h_lo = np.maximum(1.0, np.exp(ln_h - zcrit * se_ln_h))
        h_hi = np.maximum(1.0, np.exp(ln_h + zcrit * se_ln_h))
    return 100 * (1 - 1 / h_lo**2), 100 * (1 - 1 / h_hi**2)


def heterogeneity_intervals(s: Stack, q: np.ndarray, level: float, i2_ci_method: str,
                            scale: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Q-profile CI for tau² (Viechtbauer 2007), and the CI for I² (Q-profile or test-based).

    tau² limits: the roots of :math:`y'P(\\tau^2)y = \\chi^2_{k-p}` quantiles
    (0 where QE is already below the quantile); I² limits:
    :math:`100\\,\\tau^2/(\\tilde v + \\tau^2)` at those roots, or the
    test-based interval of :func:`i2_test_based_ci`. ``s`` in standard units
    with ``scale`` the variance unit (from :func:`fit`), or in the user's units
    (``scale=None``: standardised here).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if scale is None:
            sc = standardise(s)
            s, scale = sc.s, sc.sy**2
        dfr = (s.k - s.p).astype(float)
        alpha = 1 - level
        tau2_lo = solve_rss(s, chi2_isf(alpha / 2, np.maximum(dfr, 1)))
        tau2_hi = solve_rss(s, chi2_ppf(alpha / 2, np.maximum(dfr, 1)))
        if i2_ci_method == "test-based":
            i2_lo, i2_hi = i2_test_based_ci(q, s.k, level)
        else:
            vt = typical_variance(s)
            i2_lo, i2_hi = 100 * tau2_lo / (vt + tau2_lo), 100 * tau2_hi / (vt + tau2_hi)
    return {"tau2_ci_low": tau2_lo * scale, "tau2_ci_high": tau2_hi * scale, "i2_ci_low": i2_lo, "i2_ci_high": i2_hi}
