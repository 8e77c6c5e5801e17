# gen_r_compare.R -- R reference values for `linreg compare`: R's
# anova(m1, m2, ...) (stats:::anova.lmlist) of nested lm fits.
#
# Produces tests/data/r_compare.json: {"r_version": ..., "cases": [...]}, each
# case: id, file (under datasets/), weights (null or a column name),
# formulas (in the order given to anova, written as linreg reads them unless
# linreg_formulas gives linreg's spelling: y ~ x | g for R's factor(g)), and
# the table's columns res_df, rss, df, sum_sq, f, p (one entry per model; the
# first row's df, sum_sq, f and p are NA in R, null here; so are F and p where
# R's stat.anova gives NA: Df 0, or F < 0).
#
# Cases: nested pairs and triples on mtcars; warpbreaks with factors and
# their interaction; a weighted pair; models in decreasing order (negative Df
# and Sum of Sq, as R prints them); equal RSS (the same model twice, and a
# model with an aliased column: Df 0, no F); absorbed fixed effects.
#
# Numbers are written with sprintf("%.17g"); NA is null.
# Run from the repository root:  Rscript tests/reference/gen_r_compare.R
# CI does not need R: the generated JSON is committed.

options(contrasts = c("contr.treatment", "contr.poly"))

cases <- list(
  list(id = "mtcars_pair", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt", "mpg ~ wt + hp")),
  list(id = "mtcars_triple", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt", "mpg ~ wt + hp", "mpg ~ wt + hp + factor(cyl)")),
  list(id = "mtcars_decreasing", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt + hp + factor(cyl)", "mpg ~ wt + hp", "mpg ~ wt")),
  list(id = "mtcars_no_intercept", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt - 1", "mpg ~ wt", "mpg ~ wt * hp")),
  list(id = "warpbreaks_factors", file = "warpbreaks.csv", weights = NULL,
       formulas = c("breaks ~ wool", "breaks ~ wool + tension", "breaks ~ wool * tension")),
  list(id = "warpbreaks_decreasing", file = "warpbreaks.csv", weights = NULL,
       formulas = c("breaks ~ tension:wool + wool + tension", "breaks ~ tension")),
  list(id = "mtcars_weighted", file = "mtcars.csv", weights = "wt",
       formulas = c("mpg ~ hp", "mpg ~ hp + qsec", "mpg ~ hp + qsec + factor(gear)")),
  # absorbed fixed effects (linreg's y ~ x | g) against R's dummies
  list(id = "mtcars_fixed_effects", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt + factor(cyl)", "mpg ~ wt + hp + factor(cyl)"),
       linreg = c("mpg ~ wt | cyl", "mpg ~ wt + hp | cyl")),
  list(id = "equal_rss_same_model", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt", "mpg ~ wt")),
  list(id = "equal_rss_aliased", file = "mtcars.csv", weights = NULL,
       formulas = c("mpg ~ wt", "mpg ~ wt + I(2 * wt)"))
)

source("tests/reference/json_text.R") # fit_lm (its num is replaced here)
num <- function(x) {
  s <- ifelse(is.na(x), "null", sprintf("%.17g", x))
  paste0("[", paste(s, collapse = ", "), "]")
}
str1 <- function(x) if (is.null(x)) "null" else paste0("\"", x, "\"")

out <- character()
for (cs in cases) {
  d <- read.csv(file.path("datasets", cs$file))
  fits <- lapply(cs$formulas, fit_lm, d, cs$weights)
  a <- do.call(anova, unname(fits))
  out <- c(out, paste0(
    "  {\"id\": \"", cs$id, "\", \"file\": \"", cs$file, "\", \"weights\": ", str1(cs$weights),
    ",\n   \"formulas\": [", paste0("\"", cs$formulas, "\"", collapse = ", "), "]",
    if (is.null(cs$linreg)) "" else
      paste0(",\n   \"linreg_formulas\": [", paste0("\"", cs$linreg, "\"", collapse = ", "), "]"),
    ",\n   \"res_df\": ", num(a[["Res.Df"]]), ",\n   \"rss\": ", num(a[["RSS"]]),
    ",\n   \"df\": ", num(a[["Df"]]), ",\n   \"sum_sq\": ", num(a[["Sum of Sq"]]),
    ",\n   \"f\": ", num(a[["F"]]), ",\n   \"p\": ", num(a[["Pr(>F)"]]), "}"))
}
writeLines(c(paste0("{\"r_version\": \"", R.version.string, "\",\n\"cases\": [\n"),
             paste(out, collapse = ",\n"), "]}\n"), sep = "", "tests/data/r_compare.json")
