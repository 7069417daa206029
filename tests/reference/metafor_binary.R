# Reference values for helpers/_binary.py (Mantel-Haenszel, Peto) and the binary small-study tests
# (Peters, Harbord) at the end of helpers/bias.py. Run from the repository root:
#
#   Rscript tests/reference/metafor_binary.R
#
# writes tests/reference/metafor_binary.json (inputs and outputs, so the tests need no R).
# R 4.2.2, metafor 3.8-1 and jsonlite from Debian (r-cran-metafor, r-cran-metadat, r-cran-jsonlite).
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
options(warn = -1)  # metafor warns when it drops double-zero studies from the study-level yi; that is tested
# (so a stray NA would pass silently here: the Python tests check every k against the inputs)

tables <- function(label, ai, n1i, ci, n2i, source) {
  keep <- !is.na(ai) & !is.na(n1i) & !is.na(ci) & !is.na(n2i)
  # doubles: R's 32-bit integer products (n1 n2 (a + c)(b + d) for ISIS-4) would overflow to NA
  ai <- as.numeric(ai); n1i <- as.numeric(n1i); ci <- as.numeric(ci); n2i <- as.numeric(n2i)
  list(label = I(as.character(label[keep])), ai = I(ai[keep]), n1i = I(n1i[keep]), ci = I(ci[keep]),
       n2i = I(n2i[keep]), source = source)
}
y6 <- dat.yusuf1985[!is.na(dat.yusuf1985$table) & dat.yusuf1985$table == "6", ]
y9 <- dat.yusuf1985[!is.na(dat.yusuf1985$table) & dat.yusuf1985$table == "9", ]
bcg <- dat.bcg
datasets <- list(
  bcg = tables(paste(bcg$author, bcg$year), bcg$tpos, bcg$tpos + bcg$tneg, bcg$cpos, bcg$cpos + bcg$cneg,
               "metafor dat.bcg (Colditz et al. 1994): BCG vaccine and tuberculosis"),
  yusuf1985_table6 = tables(y6$trial, y6$ai, y6$n1i, y6$ci, y6$n2i,
                            "metafor dat.yusuf1985, table 6 (the table metafor's help page analyses): beta blockers, mortality"),
  yusuf1985_table9 = tables(y9$trial, y9$ai, y9$n1i, y9$ci, y9$n2i,
                            "metafor dat.yusuf1985, table 9: many zero cells and double-zero trials"),
  li2007 = tables(paste(dat.li2007$study, dat.li2007$year), dat.li2007$ai, dat.li2007$n1i, dat.li2007$ci,
                  dat.li2007$n2i, "metafor dat.li2007 (Li et al. 2007): magnesium and mortality after MI"),
  nielweise2007 = tables(paste(dat.nielweise2007$author, dat.nielweise2007$year), dat.nielweise2007$ai,
                         dat.nielweise2007$n1i, dat.nielweise2007$ci, dat.nielweise2007$n2i,
                         "metafor dat.nielweise2007 (Niel-Weise et al. 2007): catheters and bloodstream infection"),
  hine1989 = tables(dat.hine1989$source, dat.hine1989$ai, dat.hine1989$n1i, dat.hine1989$ci, dat.hine1989$n2i,
                    "metafor dat.hine1989 (Hine et al. 1989): lidocaine and mortality"),
  zero_cells = tables(c("A", "B", "C", "D"), c(0, 3, 5, 2), c(20, 25, 40, 30), c(4, 0, 9, 6), c(21, 24, 38, 29),
                      "constructed: a zero cell in each arm somewhere, no double-zero"),
  double_zero = tables(c("A", "B", "C", "D", "E"), c(0, 2, 0, 4, 1), c(15, 30, 12, 50, 40),
                       c(0, 5, 0, 7, 3), c(14, 31, 13, 48, 42),
                       "constructed: two double-zero studies and one zero cell"),
  two_studies = tables(c("A", "B"), c(3, 8), c(30, 40), c(6, 12), c(29, 41), "constructed: k = 2"),
  one_study = tables(c("A"), c(3), c(30), c(6), c(29), "constructed: k = 1"),
  one_estimable = tables(c("A", "B"), c(3, 0), c(30, 20), c(6, 0), c(29, 22),
                         "constructed: one double-zero study, so one study-level estimate")
)

num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }
arr <- function(x) I(num(x))  # a JSON array even for one study
wts <- function(res) { op <- options(na.action = "na.pass"); on.exit(options(op)); weights(res) }  # NA where dropped
fit_out <- function(res, weights) {
  list(estimate = num(res$beta), se = num(res$se), z = num(res$zval), p = num(res$pval),
       ci_low = num(res$ci.lb), ci_high = num(res$ci.ub), Q = num(res$QE), Q_p = num(res$QEp),
       I2 = num(res$I2), H2 = num(res$H2), k = res$k, k_yi = res$k.yi,
       yi = arr(res$yi.f), vi = arr(res$vi.f), weights = arr(weights))
}

out <- list(
  generated_by = paste0("tests/reference/metafor_binary.R with R ", getRversion(), " and metafor ",
                        packageVersion("metafor")),
  notes = paste("rma.mh and rma.peto with their defaults (add = 1/2, to = 'only0', drop00 = TRUE for the",
                "study-level yi/vi; no correction and no dropping in the Mantel-Haenszel/Peto sums).",
                "revman_* fits are rma.mh(add = c(1/2, 1/2), to = c('only0', 'only0'), drop00 = c(TRUE, TRUE)):",
                "0.5 added to every cell of a zero-cell study in the MH sums too and double-zero studies",
                "dropped, the rule meta's settings.meta('RevMan5') (MH.exact = FALSE) applies for RR and OR.",
                "yi/vi are per study, NA where metafor drops a double-zero study; weights are weights() in percent.",
                "peters/harbord follow meta's metabias() (linregcore) with metafor's regtest(model = 'lm')."),
  datasets = list()
)

for (name in names(datasets)) {
  d <- datasets[[name]]
  entry <- list(input = d, fits = list())
  for (m in c("RR", "OR", "RD")) {
    res <- rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = m)
    entry$fits[[paste0("mh_", m)]] <- fit_out(res, wts(res))
  }
  for (m in c("RR", "OR")) {
    res <- try(rma.mh(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, measure = m, add = c(1/2, 1/2),
                      to = c("only0", "only0"), drop00 = c(TRUE, TRUE)), silent = TRUE)
    if (!inherits(res, "try-error")) entry$fits[[paste0("revman_", m)]] <- fit_out(res, wts(res))
  }
  res <- rma.peto(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  entry$fits$peto <- fit_out(res, wts(res))

  # Peters et al. (2006) as meta's metabias(method.bias = "Peters"): lnOR (0.5 in every cell of a zero-cell
  # study, double-zero studies out) regressed on 1/N with weights 1 / (1/(a+c) + 1/(b+d)), by weighted lm
  es <- escalc(measure = "OR", ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, drop00 = TRUE)
  ok <- !is.na(es$yi)
  a <- d$ai[ok]; b <- d$n1i[ok] - a; c <- d$ci[ok]; dd <- d$n2i[ok] - c
  N <- d$n1i[ok] + d$n2i[ok]
  if (sum(ok) >= 3) {
    sei_peters <- sqrt(1 / (a + c) + 1 / (b + dd))
    fit <- rma(yi = es$yi[ok], sei = sei_peters, ni = 1 / N, method = "DL")
    reg <- regtest(fit, model = "lm", predictor = "ni")
    co <- coef(summary(reg$fit))
    fit2 <- rma(yi = es$yi[ok], sei = sei_peters, ni = N, method = "DL")
    reg2 <- regtest(fit2, model = "lm", predictor = "ninv")
    entry$peters <- list(intercept = co[1, 1], slope = co[2, 1], se_slope = co[2, 2], t = num(reg$zval),
                         df = reg$dfs, p = num(reg$pval), t_via_ninv = num(reg2$zval))
    # Harbord et al. (2006): Egger's regression on the efficient score Z and its variance V (meta's "Harbord", OR)
    n1 <- a + b; n2 <- c + dd
    Z <- a - (a + c) * n1 / N
    V <- n1 * n2 * (a + c) * (b + dd) / (N^2 * (N - 1))
    fit <- rma(yi = Z / V, sei = 1 / sqrt(V), method = "DL")
    reg <- regtest(fit, model = "lm", predictor = "sei")
    co <- coef(summary(reg$fit))
    entry$harbord <- list(intercept = co[1, 1], bias = co[2, 1], se_bias = co[2, 2], t = num(reg$zval),
                          df = reg$dfs, p = num(reg$pval))
  }
  out$datasets[[name]] <- entry
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/reference/metafor_binary.json")
