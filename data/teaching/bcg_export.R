# Writes data/teaching/bcg.csv from metafor's dat.bcg (R package metadat). Run from the repository root:
#   Rscript data/teaching/bcg_export.R
# Used: R 4.2.2, metafor 3.8-1, metadat 1.2.0. Every column is read from dat.bcg; nothing is derived.
suppressMessages(library(metafor))
src <- paste0("R package metadat ", packageVersion("metadat"), ", data set dat.bcg, exported with R 4.2.2 / metafor ",
              packageVersion("metafor"), " (data/teaching/bcg_export.R). The metadat documentation gives the source as ",
              "Colditz GA, Brewer TF, Berkey CS, Wilson ME, Burdick E, Fineberg HV, Mosteller F (1994), Efficacy of BCG ",
              "vaccine in the prevention of tuberculosis: meta-analysis of the published literature, JAMA 271(9):698-702, ",
              "doi:10.1001/jama.1994.03510330076038; ablat = absolute latitude of the study location (degrees), ",
              "alloc = method of treatment allocation (random, alternate, or systematic assignment)")
out <- data.frame(author = dat.bcg$author, year = dat.bcg$year, tpos = dat.bcg$tpos, tneg = dat.bcg$tneg,
                  cpos = dat.bcg$cpos, cneg = dat.bcg$cneg, ablat = dat.bcg$ablat, alloc = dat.bcg$alloc,
                  source = src, location = paste("dat.bcg row", dat.bcg$trial), read_or_derived = "read")
write.csv(out, "data/teaching/bcg.csv", row.names = FALSE)
