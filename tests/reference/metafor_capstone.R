# Reference values for notebook 14 (the capstone), with R metafor 3.8-1.
# Run from the repository root:  Rscript tests/reference/metafor_capstone.R
# Writes tests/reference/metafor_capstone.json (inputs and outputs). tests/test_capstone.py compares the kit
# with it at 1e-10 relative; it never needs R.
#
# The question: adults with severe mental illness (disorder "SMI"), outcome category "Clinical recovery"
# (symptoms), post-test, data/peer_support/data.csv (Smit et al. 2022, Metapsy). The rows are chosen here by a
# rule of their own, not read from the kit: rows with means, SDs and ns in both arms, except Davidson 2004
# (the file's .g has the opposite sign to its means). The rows without means (O'Connell 2018, Rogers 2016 twice)
# go only into the "all rows" sensitivity analysis, with the file's .g and .g_se^2.
suppressMessages({library(metafor); library(jsonlite)})
ctrl <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)
d <- read.csv("data/peer_support/data.csv", sep = ";", dec = ",", na.strings = "NA", encoding = "UTF-8",
              check.names = FALSE, stringsAsFactors = FALSE)
inst <- read.csv("data/peer_support/instruments.csv", encoding = "UTF-8", stringsAsFactors = FALSE)
d$instrument_fixed <- vapply(d$instrument, function(s) { x <- iconv(s, "UTF-8", "windows-1252")
  if (!is.na(x) && grepl("\u00c3|\u00e2", s)) { Encoding(x) <- "UTF-8"; x } else s }, "")
d$hib <- inst$higher_is_better[match(d$instrument_fixed, inst$instrument)]
stopifnot(!any(is.na(d$hib)))

q <- d[d$disorder == "SMI" & d$outcome_category == "Clinical recovery", ]
has_means <- complete.cases(q[, c("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")])
es <- escalc("SMD", m1i = mean_arm1, sd1i = sd_arm1, n1i = n_arm1, m2i = mean_arm2, sd2i = sd_arm2, n2i = n_arm2,
             data = q[has_means, ])
q$yi <- q$.g; q$vi <- q$.g_se^2
q$yi[has_means] <- as.numeric(es$yi) * ifelse(q$hib[has_means] == "yes", 1, -1)
q$vi[has_means] <- as.numeric(es$vi)
main <- has_means & q$study != "Davidson, 2004"
m <- q[main, ]

fit_json <- function(f) {
  p <- predict(f)
  list(k = f$k, estimate = as.numeric(f$b), se = f$se, ci_low = f$ci.lb, ci_high = f$ci.ub, statistic = f$zval,
       pvalue = f$pval, tau2 = f$tau2, q = f$QE, q_pvalue = f$QEp, i2 = f$I2, pi_low = p$pi.lb, pi_high = p$pi.ub)
}
hk <- rma(yi, vi, data = m, method = "REML", test = "knha", control = ctrl)
wald <- rma(yi, vi, data = m, method = "REML", control = ctrl)
ci <- confint(hk, control = ctrl)
hk_json <- c(fit_json(hk), list(tau2_ci_low = ci$random["tau^2", "ci.lb"], tau2_ci_high = ci$random["tau^2", "ci.ub"],
                                i2_ci_low = ci$random["I^2(%)", "ci.lb"], i2_ci_high = ci$random["I^2(%)", "ci.ub"],
                                weights = as.numeric(weights(hk))))
high <- m$overall_RoB == "High risk"
sens <- rma(yi, vi, data = m[!high, ], method = "REML", test = "knha", control = ctrl)
all_rows <- rma(yi, vi, data = q, method = "REML", test = "knha", control = ctrl)
sub <- lapply(c(group = "group", individual = "individual"), function(fm)
  fit_json(rma(yi, vi, data = m[tolower(m$format) == fm, ], method = "REML", control = ctrl)))
between <- rma(sapply(sub, `[[`, "estimate"), sei = sapply(sub, `[[`, "se"), method = "EE")
eg <- regtest(wald, model = "lm")
l1o <- leave1out(hk)  # refits inherit the control settings of hk

out <- list(metafor = as.character(packageVersion("metafor")), R = R.version.string,
  note = paste("SMI x Clinical recovery; main rows: means in both arms, not Davidson 2004; Hedges g = escalc('SMD')",
               "oriented by instruments.csv (positive favours peer support). hksj = rma(method='REML', test='knha');",
               "wald = rma(method='REML'); subgroups: REML per format (Wald SEs, separate tau2), Q_between =",
               "rma(estimates, sei, method='EE')$QE; rob_sensitivity: rows not at high risk (overall_RoB), REML knha;",
               "all_rows: every SMI clinical row (the file's .g where there are no means), REML knha; leave1out:",
               "leave1out() of the knha fit; egger: regtest(wald, model='lm')"),
  inputs = list(source_row = m[[1]], study = m$study, instrument = m$instrument_fixed, format = tolower(m$format),
                overall_rob = m$overall_RoB, n_1 = m$n_arm1, n_2 = m$n_arm2, yi = m$yi, vi = m$vi,
                all_rows_source_row = q[[1]], all_rows_yi = q$yi, all_rows_vi = q$vi),
  n_total = sum(m$n_arm1 + m$n_arm2),
  hksj = hk_json, wald = fit_json(wald),
  weight_high_risk_percent = sum(weights(hk)[high]),
  rob_sensitivity = c(list(source_row = m[[1]][!high]), fit_json(sens)),
  all_rows = fit_json(all_rows),
  subgroups = sub, q_between = between$QE, q_between_df = between$k - 1, q_between_pvalue = between$QEp,
  leave1out = list(estimate = as.numeric(l1o$estimate), se = as.numeric(l1o$se), ci_low = as.numeric(l1o$ci.lb),
                   ci_high = as.numeric(l1o$ci.ub)),
  egger = list(statistic = as.numeric(eg$zval), df = eg$dfs, pvalue = eg$pval, limit_estimate = as.numeric(eg$est)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/metafor_capstone.json")
cat("wrote tests/reference/metafor_capstone.json: k =", hk$k, "\n")
