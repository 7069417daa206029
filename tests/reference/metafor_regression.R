# Reference values for the kit's estimation engine (issues 14 and 16), from R metafor 3.8-1.
#
# Run from the repository root:  Rscript tests/reference/metafor_regression.R
# Writes tests/reference/metafor_regression.json: the inputs (effect sizes, variances, moderators) and
# metafor's outputs, so that the tests need no R. Data sets come from metafor/metadat:
#   dat.bcg (Colditz et al. 1994), dat.raudenbush1985 (Raudenbush 1984), dat.bangertdrowns2004
#   (Bangert-Drowns et al. 2004), dat.konstantopoulos2011 (Konstantopoulos 2011), dat.molloy2014
#   (Molloy et al. 2014).
suppressPackageStartupMessages({library(metafor); library(jsonlite)})

# threshold 1e-16: Fisher scoring stops only when its steps vanish (at 1e-13 ML on molloy2014 stops 7e-11 short)
# (where its last steps oscillate in the last bits, rma_tight() falls back to 1e-13)
ctrl <- list(threshold = 1e-16, tol = 1e-15, maxiter = 10000)
ctrl13 <- list(threshold = 1e-13, tol = 1e-15, maxiter = 10000)
rma_tight <- function(d, mods = NULL, method, test) {
  fit <- function(control) {
    if (is.null(mods)) rma(d$yi, d$vi, method = method, test = test, control = control)
    else rma(yi, vi, mods = mods, data = d, method = method, test = test, control = control)
  }
  tryCatch(fit(ctrl), error = function(e) fit(ctrl13))
}
ci_ctrl <- list(tol = 1e-15, maxiter = 10000, tau2.max = 1e4)
methods <- c("EE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB")

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
bangert <- dat.bangertdrowns2004[complete.cases(dat.bangertdrowns2004[, c("yi", "vi", "length", "grade", "wic")]), ]
datasets <- list(
  bcg = list(data = bcg, cols = c("ablat", "year", "alloc")),
  raudenbush1985 = list(data = dat.raudenbush1985, cols = c("weeks", "setting", "tester")),
  bangertdrowns2004 = list(data = bangert, cols = c("length", "grade", "wic")),
  konstantopoulos2011 = list(data = dat.konstantopoulos2011, cols = c("year", "district")),
  molloy2014 = list(data = molloy, cols = c("meanage", "quality", "controls"))
)
# model specifications: numeric moderators, factor moderators (R's factor(): levels sorted), optional reference
specs <- list(
  list(dataset = "bcg", numeric = c("ablat"), factors = c()),
  list(dataset = "bcg", numeric = c("ablat", "year"), factors = c()),
  list(dataset = "bcg", numeric = c(), factors = c("alloc")),
  list(dataset = "bcg", numeric = c("ablat"), factors = c("alloc"), reference = list(alloc = "random")),
  list(dataset = "raudenbush1985", numeric = c("weeks"), factors = c()),
  list(dataset = "raudenbush1985", numeric = c(), factors = c("setting")),
  list(dataset = "raudenbush1985", numeric = c("weeks"), factors = c("setting", "tester")),
  list(dataset = "bangertdrowns2004", numeric = c("length"), factors = c()),
  list(dataset = "bangertdrowns2004", numeric = c("length", "wic"), factors = c()),
  list(dataset = "bangertdrowns2004", numeric = c(), factors = c("grade")),
  list(dataset = "konstantopoulos2011", numeric = c("year"), factors = c()),
  list(dataset = "konstantopoulos2011", numeric = c(), factors = c("district")),
  list(dataset = "molloy2014", numeric = c("meanage"), factors = c()),
  list(dataset = "molloy2014", numeric = c("meanage", "quality"), factors = c()),
  list(dataset = "molloy2014", numeric = c(), factors = c("controls"))
)

num <- function(x) if (is.null(x) || length(x) == 0) NULL else unname(as.numeric(x))

fit_values <- function(res) {
  out <- list(b = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
              ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), coef_names = rownames(res$beta),
              tau2 = res$tau2, QE = res$QE, QEp = res$QEp, QM = res$QM, QMp = res$QMp, QMdf = num(res$QMdf),
              I2 = res$I2, H2 = res$H2, R2 = if (is.null(res$R2)) NA else res$R2, k = res$k, p = res$p)
  if (!is.element(res$method, c("EE", "FE"))) {
    ci <- tryCatch(confint(res, control = ci_ctrl)$random, error = function(e) NULL)
    if (!is.null(ci)) out$tau2_ci <- num(ci[1, 2:3])
  }
  out
}

formula_for <- function(spec) {
  terms <- c(spec$numeric)
  for (f in spec$factors) {
    ref <- spec$reference[[f]]
    terms <- c(terms, if (is.null(ref)) sprintf("factor(%s)", f) else sprintf("relevel(factor(%s), ref = \"%s\")", f, ref))
  }
  as.formula(paste("~", paste(terms, collapse = " + ")))
}

out <- list(meta = list(R = R.version.string, metafor = as.character(packageVersion("metafor")),
                        control = ctrl, confint_control = ci_ctrl),
            datasets = list(), models = list(), regtest = list(), trimfill = list(), leave1out = list(),
            edge = list())

for (name in names(datasets)) {
  d <- datasets[[name]]$data
  mods <- lapply(datasets[[name]]$cols, function(col) { x <- d[[col]]; if (is.numeric(x)) num(x) else as.character(x) })
  names(mods) <- datasets[[name]]$cols
  out$datasets[[name]] <- list(yi = num(d$yi), vi = num(d$vi), mods = mods)
  for (m in methods) for (test in c("z", "knha")) {
    res <- rma_tight(d, method = m, test = test)
    out$models[[length(out$models) + 1]] <- list(dataset = name, numeric = list(), factors = list(),
                                                 method = m, test = test, result = fit_values(res))
  }
}

for (spec in specs) {
  d <- datasets[[spec$dataset]]$data
  for (m in methods) for (test in c("z", "knha")) {
    res <- rma_tight(d, formula_for(spec), method = m, test = test)
    out$models[[length(out$models) + 1]] <- list(dataset = spec$dataset, numeric = as.list(spec$numeric),
                                                 factors = as.list(spec$factors), reference = spec$reference,
                                                 method = m, test = test, result = fit_values(res))
  }
}

# Egger's test both ways, and trim and fill / leave-one-out with the model's own estimator (trimfill() passes
# control to its internal fits only when given: without it PM's uniroot stops at tol = 1.2e-4)
for (name in names(datasets)) {
  d <- datasets[[name]]$data
  for (m in c("EE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
    res <- rma_tight(d, method = m, test = test)
    for (model in c("lm", "rma")) {
      rt <- regtest(res, model = model)
      out$regtest[[length(out$regtest) + 1]] <- list(dataset = name, method = m, test = test, model = model,
        zval = rt$zval, pval = rt$pval, dfs = if (is.null(rt$dfs)) NA else rt$dfs, est = num(rt$est),
        b = if (model == "lm") num(coef(rt$fit)) else num(rt$fit$beta),
        se = if (model == "lm") num(sqrt(diag(vcov(rt$fit)))) else num(rt$fit$se))
    }
    if (test == "z") for (estimator in c("L0", "R0")) {
      tf <- tryCatch(trimfill(res, estimator = estimator, control = ctrl), error = function(e) NULL)
      if (!is.null(tf)) out$trimfill[[length(out$trimfill) + 1]] <- list(dataset = name, method = m,
        estimator = estimator, k0 = tf$k0, side = tf$side, estimate = num(tf$beta), se = tf$se, tau2 = tf$tau2,
        se_k0 = tf$se.k0)
    }
    l1o <- leave1out(res)
    out$leave1out[[length(out$leave1out) + 1]] <- list(dataset = name, method = m, test = test,
      estimate = num(l1o$estimate), se = num(l1o$se), pval = num(l1o$pval), ci_lb = num(l1o$ci.lb),
      ci_ub = num(l1o$ci.ub), Q = num(l1o$Q), tau2 = num(l1o$tau2), I2 = num(l1o$I2))
  }
}

# issue 16, case 1: REML and ML with an interior maximum above the boundary one
y <- c(-0.0647, -1.6965, -0.0807, 0.8748); v <- c(0.0007727, 0.1216, 0.001028, 0.6113)
local_max <- list(yi = y, vi = v)
for (m in c("REML", "ML")) {
  res <- rma(y, v, method = m, control = ctrl)
  ll_at <- function(t) as.numeric(logLik(rma(y, v, tau2 = t, method = m)))
  grid <- c(0, exp(seq(log(1e-6), log(100), length.out = 4000)))
  lls <- sapply(grid, ll_at)
  j <- which.max(lls)
  best <- if (j == 1) 0 else optimize(ll_at, c(grid[j - 1], grid[min(j + 1, length(grid))]), maximum = TRUE,
                                      tol = 1e-14)$maximum
  local_max[[m]] <- c(fit_values(res), list(ll = as.numeric(logLik(res)), ll0 = ll_at(0), profile_max = best,
                                             ci_lb_mu = res$ci.lb, ci_ub_mu = res$ci.ub))
}
out$edge$local_maximum <- local_max

# issue 16, case 2: random sets where the side chosen with DL differs from the side with the model's estimator
set.seed(20261201)
found <- list()
for (i in 1:400) {
  k <- sample(6:14, 1)
  vi <- runif(k, 0.005, 0.3)
  yi <- rnorm(k, 0.2 - 1.2 * sqrt(vi) * sample(c(-1, 1), 1), sqrt(vi + 0.03))
  side <- function(m) { b <- rma(yi, vi, mods = ~ sqrt(vi), method = m, control = ctrl)$beta[2]; if (b < 0) "right" else "left" }
  sides <- sapply(c("DL", "PM", "HS", "SJ", "HE", "EB", "REML", "ML"), function(m) tryCatch(side(m), error = function(e) NA))
  if (any(!is.na(sides) & sides != sides["DL"])) {
    fills <- list()
    for (m in c("DL", "PM", "HS", "SJ", "HE", "EB", "REML", "ML")) {
      tf <- tryCatch(trimfill(rma(yi, vi, method = m, control = ctrl), control = ctrl), error = function(e) NULL)
      if (!is.null(tf)) fills[[m]] <- list(k0 = tf$k0, side = tf$side, estimate = num(tf$beta), tau2 = tf$tau2)
    }
    found[[length(found) + 1]] <- list(yi = yi, vi = vi, sides = as.list(sides), trimfill = fills)
  }
  if (length(found) >= 8) break
}
out$edge$trimfill_side <- found

# issue 16, case 3: a large moderator with a small spread; metafor refuses the raw one, the centred one is exact
x <- 1e6 + bcg$ablat / 100
raw <- tryCatch({rma(bcg$yi, bcg$vi, mods = ~ x, control = ctrl); "fitted"}, error = function(e) conditionMessage(e))
centred <- rma(bcg$yi, bcg$vi, mods = ~ I(x - mean(x)), control = ctrl)
out$edge$large_moderator <- list(yi = num(bcg$yi), vi = num(bcg$vi), x = num(x), x_mean = mean(x),
                                 raw_message = raw, centred = fit_values(centred))
# a perfect fit under knha: metafor's SE is 0
xp <- c(1, 2, 3, 4, 5, 6); yp <- 0.1 + 0.25 * xp; vp <- c(0.02, 0.03, 0.05, 0.02, 0.04, 0.03)
pf <- rma(yp, vp, mods = ~ xp, method = "REML", test = "knha", control = ctrl)
out$edge$perfect_fit <- list(yi = yp, vi = vp, x = xp, result = fit_values(pf))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE),
           "tests/reference/metafor_regression.json")
cat("models:", length(out$models), " regtest:", length(out$regtest), " trimfill:", length(out$trimfill),
    " trimfill side sets:", length(found), "\n")
