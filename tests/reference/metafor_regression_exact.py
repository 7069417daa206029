"""Exact (50-digit) values where metafor itself loses digits: dat.bcg ~ ablat + year (uncentred years near 1950).

Run with any Python that has mpmath (the kit's tests do not need it):
    python3 tests/reference/metafor_regression_exact.py > tests/reference/metafor_regression_exact.json
Common-effect (EE) and DerSimonian-Laird (DL) fits are rational in the data, so solving the normal
equations in 50-digit arithmetic gives them to full double precision.
"""
import json


def main() -> None:
    import mpmath as mp  # here, so that collecting this file needs no mpmath

    mp.mp.dps = 50
    R = json.load(open("tests/reference/metafor_regression.json"))  # the inputs, as R exported them
    d = R["datasets"]["bcg"]
    y = [mp.mpf(x) for x in d["yi"]]; v = [mp.mpf(x) for x in d["vi"]]
    X = [[1, mp.mpf(a), mp.mpf(b)] for a, b in zip(d["mods"]["ablat"], d["mods"]["year"])]
    k, p = len(y), 3
    def wls(w):
        XtWX = mp.matrix(p, p); XtWy = mp.matrix(p, 1)
        for i in range(k):
            for a in range(p):
                XtWy[a] += w[i] * X[i][a] * y[i]
                for b in range(p):
                    XtWX[a, b] += w[i] * X[i][a] * X[i][b]
        cov = XtWX ** -1
        beta = cov * XtWy
        return beta, cov
    def rss(w, beta):
        return sum(w[i] * (y[i] - sum(X[i][a] * beta[a] for a in range(p))) ** 2 for i in range(k))
    w0 = [1 / x for x in v]
    beta0, cov0 = wls(w0)
    qe = rss(w0, beta0)
    # trace of P0 = sum w - tr((X'WX)^-1 X'W^2 X)
    XtW2X = mp.matrix(p, p)
    for i in range(k):
        for a in range(p):
            for b in range(p):
                XtW2X[a, b] += w0[i] ** 2 * X[i][a] * X[i][b]
    trP = sum(w0) - sum((cov0 * XtW2X)[a, a] for a in range(p))
    tau2 = max(0, (qe - (k - p)) / trP)
    w = [1 / (x + tau2) for x in v]
    beta, cov = wls(w)
    out = {"DL": {"tau2": float(tau2), "b": [float(b) for b in beta], "se": [float(mp.sqrt(cov[a, a])) for a in range(p)], "QE": float(qe)},
           "EE": {"b": [float(b) for b in beta0], "se": [float(mp.sqrt(cov0[a, a])) for a in range(p)]}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
