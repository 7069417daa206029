# Reference values for the Metapsy peer-support trials (data/peer_support/data.csv), with R metafor 3.8-1.
# Run from the repository root:  Rscript tests/reference/metafor_peer_support.R
# Writes tests/reference/metafor_peer_support.json. The kit's tests compare with it; they never need R.
#
# The row sets are chosen here by rules of their own, not read from the kit:
#   source  : every row, the file's .g with .g_se^2 (what the file alone supports)
#   kit     : every row; Hedges g from the means (escalc "SMD") where the row has them, sign-flipped where the
#             instrument's higher score is worse (data/peer_support/instruments.csv); else the file's .g
#   trusted : rows with means, without Salzer 2016 (SDs look like SEs) and without Davidson 2004 BPRS and GAF
#             (the file's sign disagrees with the means)
suppressMessages({library(metafor); library(jsonlite)})
ctrl <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)
d <- read.csv("data/peer_support/data.csv", sep = ";", dec = ",", na.strings = "NA", encoding = "UTF-8",
              check.names = FALSE, stringsAsFactors = FALSE)
inst <- read.csv("data/peer_support/instruments.csv", encoding = "UTF-8", stringsAsFactors = FALSE)
d$instrument_fixed <- vapply(d$instrument, function(s) { x <- iconv(s, "UTF-8", "windows-1252")
  if (!is.na(x) && grepl("\u00c3|\u00e2", s)) { Encoding(x) <- "UTF-8"; x } else s }, "")
hib <- inst$higher_is_better[match(d$instrument_fixed, inst$instrument)]
stopifnot(!any(is.na(hib)))
has_means <- complete.cases(d[, c("mean_arm1", "sd_arm1", "n_arm1", "mean_arm2", "sd_arm2", "n_arm2")])
es <- escalc("SMD", m1i = mean_arm1, sd1i = sd_arm1, n1i = n_arm1, m2i = mean_arm2, sd2i = sd_arm2, n2i = n_arm2,
             data = d[has_means, ])
sign <- ifelse(hib[has_means] == "yes", 1, -1)
d$yi_kit <- d$.g; d$vi_kit <- d$.g_se^2
d$yi_kit[has_means] <- as.numeric(es$yi) * sign
d$vi_kit[has_means] <- as.numeric(es$vi)
d$format <- tolower(d$format); d$outcome <- tolower(d$outcome_category)
trusted <- has_means & d$study != "Salzer, 2016" &
  !(d$study == "Davidson, 2004" & d$outcome_category %in% c("Clinical recovery", "Functional recovery"))

fit_json <- function(yi, vi, method) {
  f <- rma(yi, vi, method = method, control = ctrl)
  list(k = f$k, estimate = as.numeric(f$b), se = f$se, ci_low = f$ci.lb, ci_high = f$ci.ub, z = f$zval, p = f$pval,
       tau2 = f$tau2, Q = f$QE, Q_p = f$QEp, I2 = f$I2)
}
sets <- list(source = list(rows = rep(TRUE, nrow(d)), yi = d$.g, vi = d$.g_se^2),
             kit = list(rows = rep(TRUE, nrow(d)), yi = d$yi_kit, vi = d$vi_kit),
             trusted = list(rows = trusted, yi = d$yi_kit, vi = d$vi_kit))
out <- list(metafor = as.character(packageVersion("metafor")), R = R.version.string,
            note = "rma(yi, vi, method) per outcome x format; subgroup test = rma(method='EE') on the subgroup estimates (separate tau2, Wald SEs, RevMan's test) and rma(mods = ~ format) QM (common tau2); regtest(model='lm') per outcome",
            escalc = list(source_row = d[[1]][has_means], yi = d$yi_kit[has_means], vi = d$vi_kit[has_means]),
            analyses = list())
for (set in names(sets)) {
  s <- sets[[set]]
  for (oc in sort(unique(d$outcome))) {
    for (method in c("REML", "DL")) {
      rows <- s$rows & d$outcome == oc
      key <- paste(set, oc, "all formats", method, sep = " | ")
      out$analyses[[key]] <- c(list(source_rows = d[[1]][rows]), fit_json(s$yi[rows], s$vi[rows], method))
      sub <- list()
      for (fm in c("group", "individual")) {
        r <- rows & d$format == fm
        if (sum(r) >= 2) {
          k2 <- paste(set, oc, fm, method, sep = " | ")
          out$analyses[[k2]] <- c(list(source_rows = d[[1]][r]), fit_json(s$yi[r], s$vi[r], method))
          sub[[fm]] <- out$analyses[[k2]]
        }
      }
      if (length(sub) == 2) {
        est <- sapply(sub, `[[`, "estimate"); se <- sapply(sub, `[[`, "se")
        b <- rma(est, sei = se, method = "EE")
        r <- rows & d$format %in% c("group", "individual")
        m <- rma(s$yi[r], s$vi[r], mods = ~ factor(d$format[r]), method = method, control = ctrl)
        out$analyses[[paste(set, oc, "group vs individual", method, sep = " | ")]] <-
          list(Q_between = b$QE, df = b$k - 1, p = b$QEp, QM_common_tau2 = m$QM, QM_p = m$QMp, tau2_common = m$tau2)
      }
      if (method == "REML" && sum(rows) >= 10) {
        eg <- regtest(rma(s$yi[rows], s$vi[rows], method = method, control = ctrl), model = "lm")
        out$analyses[[paste(set, oc, "egger", sep = " | ")]] <-
          list(k = sum(rows), t = as.numeric(eg$zval), df = eg$dfs, p = eg$pval)
      }
    }
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/metafor_peer_support.json")
cat("wrote", length(out$analyses), "analyses\n")

# Depth 2: the kit's candidate trials for each published result (helpers.replication.STUDY_LEVEL), picked
# here by study and instrument; DL (RevMan's random-effects model) on the kit's Hedges g.
cands <- list(
  "lyons2021 | recovery" = list(c("Cook, 2012a", "^RAS"), c("Cook, 2012b", "^RAS"), c("Kaplan, 2011", "^RAS"),
                                c("Russinova, 2014", "Personal Growth")),
  "lloydevans2014 | recovery" = list(c("Cook, 2012a", "^RAS"), c("Cook, 2012b", "^RAS")),
  "lloydevans2014 | empowerment" = list(c("van Gestel-Timmermans, 2012", "Dutch Empowerment"),
                                        c("Griffiths, 2012", "Power-powerlessness")),
  "white2020 | self-reported recovery" = list(c("Corrigan, 2018", "^RAS"), c("Johnson, 2018", "Process of Recovery"),
                                              c("Salzer, 2016", "^RAS"), c("Corrigan, 2017", "^RAS"),
                                              c("Rogers, 2016", "^RAS")),
  "white2020 | empowerment" = list(c("Mahlke, 2017", "Self-Efficacy")))
# A trial with several rows (Rogers 2016: "high" and "low support", same SE, no means) enters once: the mean of
# its g's, with the variance of a mean of perfectly correlated estimates, (mean of the SEs)^2 (Borenstein et al.
# 2009, ch. 24, r = 1).
out$study_level <- list()
for (nm in names(cands)) {
  rows <- Reduce(`|`, lapply(cands[[nm]], function(p) d$study == p[1] & grepl(p[2], d$instrument)))
  by_trial <- split(which(rows), d$study[rows])
  yi <- sapply(by_trial, function(i) mean(d$yi_kit[i]))
  vi <- sapply(by_trial, function(i) mean(sqrt(d$vi_kit[i]))^2)
  out$study_level[[nm]] <- c(list(source_rows = d[[1]][rows]), fit_json(yi, vi, "DL"))
}
# Lyons 2021: every subset of 5 of the 9 group rows in personal recovery, DL
g <- which(d$format == "group" & d$outcome == "personal recovery")
combos <- combn(g, 5)
out$lyons_subsets <- list(source_rows = d[[1]][g], n_subsets = ncol(combos),
  estimate = apply(combos, 2, function(r) as.numeric(rma(d$yi_kit[r], d$vi_kit[r], method = "DL")$b)),
  ci_low = apply(combos, 2, function(r) rma(d$yi_kit[r], d$vi_kit[r], method = "DL")$ci.lb),
  ci_high = apply(combos, 2, function(r) rma(d$yi_kit[r], d$vi_kit[r], method = "DL")$ci.ub),
  Q = apply(combos, 2, function(r) rma(d$yi_kit[r], d$vi_kit[r], method = "DL")$QE),
  subsets = apply(combos, 2, function(r) paste(d[[1]][r], collapse = ",")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/metafor_peer_support.json")
cat("wrote study-level references\n")

# RoB 2 as a subgroup (overall_RoB, separate tau2, REML) and the sensitivity analysis without high-risk rows
# "rob" on every row (kit), "rob_trusted" on the trusted rows (notebook 11's primary analysis)
for (rob_set in c("rob", "rob_trusted")) {
out[[rob_set]] <- list()
for (oc in sort(unique(d$outcome))) {
  rows <- d$outcome == oc & (if (rob_set == "rob") TRUE else trusted)
  levels <- unique(d$overall_RoB[rows])
  fits <- lapply(levels, function(l) { r <- rows & d$overall_RoB == l; fit_json(d$yi_kit[r], d$vi_kit[r], "REML") })
  names(fits) <- levels
  b <- rma(sapply(fits, `[[`, "estimate"), sei = sapply(fits, `[[`, "se"), method = "EE")
  r <- rows & d$overall_RoB != "High risk"
  out[[rob_set]][[oc]] <- list(subgroups = fits, Q_between = b$QE, df = b$k - 1, p = b$QEp,
                               without_high = fit_json(d$yi_kit[r], d$vi_kit[r], "REML"))
}
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/metafor_peer_support.json")
cat("wrote RoB references\n")
