# gen_r_print.R -- R's printed summary(lm(...)) for linreg's text-output tests.
#
# Writes tests/reference/r_summary_print.txt: for each fit a line
#   ### ID|FILE|FORMULA|WEIGHTS
# (FILE relative to the repository root, WEIGHTS a column name or empty) and
# then capture.output(print(summary(fit))) with options(digits = 7, width = 80)
# in the C locale. tests/test_edges.c compares linreg's text report against
# these lines (see the comparison rules there and in docs/guide.md).
#
# Run from the repository root:  LC_ALL=C Rscript tests/reference/gen_r_print.R
# CI does not need R: the output is committed.
options(digits = 7, width = 80, useFancyQuotes = FALSE)
fits <- list(
  c("cars", "datasets/cars.csv", "dist ~ speed", ""),
  c("trees", "datasets/trees.csv", "Volume ~ Girth + Height", ""),
  c("stackloss", "datasets/stackloss.csv", "stack.loss ~ Air.Flow + Water.Temp + Acid.Conc.", ""),
  c("mtcars_wt_hp", "datasets/mtcars.csv", "mpg ~ wt + hp", ""),
  c("airquality_na", "datasets/airquality.csv", "Ozone ~ Solar.R + Wind + Temp", ""),
  c("women_noint", "datasets/women.csv", "weight ~ height - 1", ""),
  c("plantgrowth", "datasets/PlantGrowth.csv", "weight ~ group", ""),
  c("toothgrowth", "datasets/ToothGrowth.csv", "len ~ supp * factor(dose)", ""),
  c("warpbreaks_rankdef", "datasets/warpbreaks.csv", "breaks ~ wool:tension", ""),
  c("mtcars_weighted", "datasets/mtcars.csv", "mpg ~ wt + hp", "qsec"),
  c("faithful", "datasets/faithful.csv", "eruptions ~ waiting", ""),
  c("cars_first7", "tests/data/cars_first7.csv", "dist ~ speed", ""),
  c("two_rows", "tests/data/two_rows.csv", "y ~ x", "")
)
out <- character()
for (f in fits) {
  d <- read.csv(f[2])
  fit <- if (nzchar(f[4])) lm(as.formula(f[3]), data = d, weights = d[[f[4]]])
         else lm(as.formula(f[3]), data = d)
  out <- c(out, paste0("### ", paste(f, collapse = "|")),
           suppressWarnings(capture.output(print(summary(fit)))))
}
out <- c(paste("#", R.version.string), out)
writeLines(out, "tests/reference/r_summary_print.txt")
