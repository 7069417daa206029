# Reference values for the BCG meta-regressions taught in notebook 06 (issue 13).
# Run from the repository root:  Rscript tests/reference/metafor_bcg_latitude.R
# Writes tests/reference/metafor_bcg_latitude.json. Needs R with metafor (3.8-1 was used) and jsonlite.
suppressMessages(library(metafor))
library(jsonlite)

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
ctrl <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)

fit_summary <- function(fit) {
  ci <- confint(fit, control = ctrl)
  list(coef_names = rownames(fit$beta), estimate = as.vector(fit$beta), se = fit$se,
       statistic = fit$zval, pvalue = fit$pval, ci_low = fit$ci.lb, ci_high = fit$ci.ub,
       tau2 = fit$tau2, tau2_ci = unname(ci$random["tau^2", c("ci.lb", "ci.ub")]),
       QE = fit$QE, QE_df = fit$k - fit$p, QE_p = fit$QEp, QM = fit$QM, QM_p = fit$QMp,
       I2 = fit$I2, H2 = fit$H2, R2 = if (is.null(fit$R2)) NULL else fit$R2, test = fit$test,
       ddf = if (fit$test == "knha") fit$ddf[[1]] else NULL)
}

fits <- list(
  ablat_REML = rma(yi, vi, mods = ~ ablat, data = dat, method = "REML", control = ctrl),
  ablat_REML_knha = rma(yi, vi, mods = ~ ablat, data = dat, method = "REML", test = "knha", control = ctrl),
  ablat_DL = rma(yi, vi, mods = ~ ablat, data = dat, method = "DL"),
  alloc_REML = rma(yi, vi, mods = ~ factor(alloc), data = dat, method = "REML", control = ctrl),
  ablat_alloc_REML = rma(yi, vi, mods = ~ ablat + factor(alloc), data = dat, method = "REML", control = ctrl),
  intercept_REML = rma(yi, vi, data = dat, method = "REML", control = ctrl)
)
out <- list(
  source = paste("metafor", packageVersion("metafor"), "/ metadat", packageVersion("metadat"), "on",
                 R.version.string, "; dat.bcg (metadat documentation: Colditz et al. 1994, JAMA 271:698-702)"),
  data = list(author = dat$author, year = dat$year, tpos = dat$tpos, tneg = dat$tneg, cpos = dat$cpos,
              cneg = dat$cneg, ablat = dat$ablat, alloc = dat$alloc),
  yi = as.vector(dat$yi), vi = as.vector(dat$vi),
  fits = lapply(fits, fit_summary),
  predict_ablat_REML = {
    p <- predict(fits$ablat_REML, newmods = c(10, 30, 50), transf = exp)
    list(ablat = c(10, 30, 50), pred = p$pred, ci_low = p$ci.lb, ci_high = p$ci.ub, pi_low = p$pi.lb, pi_high = p$pi.ub)
  }
)
write_json(out, "tests/reference/metafor_bcg_latitude.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
