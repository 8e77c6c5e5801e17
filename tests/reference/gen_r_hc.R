# gen_r_hc.R -- R reference values for robust covariances with a leverage of one.
#
# tests/data/singleton_level.csv has a factor level ('solo', line 9) seen in
# one row only: that row's leverage is 1, its residual 0 (up to rounding).
# sandwich::vcovHC gives finite HC0/HC1 standard errors and NaN for HC2/HC3
# (with a warning naming the observation); rstandard and cooks.distance are
# NaN for that row.
#
# Writes tests/data/r_hc_singleton.txt: lines "TYPE NAME VALUE" (VALUE with
# 17 significant digits, or NaN), for TYPE in HC0..HC3 (standard errors),
# then "hat", "rstandard" and "cooks" for the row on line 9.
#
# Run from the repository root:  Rscript tests/reference/gen_r_hc.R
# Needs the sandwich package (Debian: r-cran-sandwich). CI does not need R:
# the output is committed.
suppressWarnings(library(sandwich))
d <- read.csv("tests/data/singleton_level.csv")
fit <- lm(y ~ x + g, data = d)
out <- character()
for (type in c("HC0", "HC1", "HC2", "HC3")) {
  se <- suppressWarnings(sqrt(diag(vcovHC(fit, type = type))))
  out <- c(out, sprintf("%s %s %.17g", type, names(se), se))
}
i <- which(d$g == "solo")
out <- c(out, sprintf("hat %s %.17g", "solo", hatvalues(fit)[i]),
         sprintf("rstandard %s %.17g", "solo", rstandard(fit)[i]),
         sprintf("cooks %s %.17g", "solo", cooks.distance(fit)[i]))
out <- c(paste("#", R.version.string), out)
writeLines(out, "tests/data/r_hc_singleton.txt")
