# gen_r_contrasts.R -- R reference values for linreg's coded factors in
# formulas: C(g, contr) with sum, Helmert and treatment contrasts,
# interaction(a, b) as one factor, a logical I() coded as the factor R makes
# of it (in interactions, without an intercept), and the splines package's
# ns() and bs() with intercept = TRUE.
#
# Produces tests/data/r_contrasts.json: {"r_version", "fits": [...]}, one
# entry per model fit with
#   id, file (under tests/data/), formula, weights (null or column name), n,
#   df_residual, rank, coefficients [{name, estimate, std_error, t, p,
#   ci_low, ci_high}] (the estimable ones, as coef(summary(fit))), aliased
#   (names of the NA coefficients, in order), sigma, r_squared,
#   adj_r_squared, f_statistic, f_p, rss, level (0.95),
#   anova [{term, df, sum_sq, mean_sq, f, p}] (anova(fit), "Residuals" last),
#   fit and se_fit (predict.lm(fit, newdata, se.fit = TRUE) on
#   tests/data/contrasts_new.csv), confidence {lwr, upr} and prediction
#   {lwr, upr} (interval = "confidence" / "prediction"), and note (R's
#   warnings while predicting, joined with "; ", or null: bs() warns for new
#   x beyond its boundary knots, predict.lm for a rank-deficient fit).
#
# The data tests/data/contrasts.csv (60 rows: y, x, w, text factors g with
# four levels, h with two, k with three, and the combination g = "d", k = "r"
# absent, which interaction(g, k) leaves out as lm drops unused levels; dose,
# numbers whose factor levels sort numerically and hold the sep "."), and
# the new data tests/data/contrasts_new.csv are written by this script and
# read back with read.csv(stringsAsFactors = TRUE): R's C() takes factors
# only. Levels sort the same in the C locale and in linreg (byte order).
#
# Numbers are written with sprintf("%.17g"); NA/NaN/Inf are null.
# Run from the repository root:  Rscript tests/reference/gen_r_contrasts.R
# CI does not need R: the generated JSON and CSVs are committed.
# Generated with: R version 4.2.2 Patched (2022-11-10 r83330).

suppressPackageStartupMessages(library(splines))
options(contrasts = c("contr.treatment", "contr.poly"))
invisible(Sys.setlocale("LC_COLLATE", "C"))

set.seed(20261206)
n <- 60
g <- rep(c("a", "b", "c", "d"), length.out = n)
k <- rep(c("p", "q", "r"), each = 1, length.out = n)
k[g == "d" & k == "r"] <- "p"
h <- sample(c("u", "v"), n, replace = TRUE)
x <- round(runif(n, 0, 10), 3)
w <- round(runif(n, 0.5, 2), 3)
eff <- c(a = 1, b = 2.5, c = -1, d = 0.5)
y <- round(3 + eff[g] + 0.8 * x + ifelse(h == "v", 1.5, 0) + 0.3 * x * (g == "b") +
           rnorm(n), 4)
dose <- rep(c(0.5, 1, 2, 10), each = 3, length.out = n)
write.csv(data.frame(y, x, w, g, h, k, dose), "tests/data/contrasts.csv", row.names = FALSE)
write.csv(data.frame(y = NA, x = c(0, 2.5, 7.25, 12), w = 1, g = c("a", "b", "c", "d"),
                     h = c("u", "v", "v", "u"), k = c("p", "q", "r", "q"),
                     dose = c(0.5, 10, 2, 1)),
          "tests/data/contrasts_new.csv", row.names = FALSE)

fits <- list(
  list("sum", "y ~ C(g, contr.sum)", NULL),
  list("sum_short", "y ~ C(g, sum)", NULL),
  list("helmert", "y ~ C(g, contr.helmert)", NULL),
  list("helmert_short", "y ~ C(g, helmert)", NULL),
  list("treatment_fn", "y ~ C(g, contr.treatment)", NULL),
  list("treatment", "y ~ C(g, treatment)", NULL),
  list("treatment_fn_noint", "y ~ x + C(g, contr.treatment) - 1", NULL),
  list("sum_two_levels", "y ~ C(h, sum) + x", NULL),
  list("sum_x", "y ~ x + C(g, sum) + C(h, helmert)", NULL),
  list("sum_noint", "y ~ C(g, sum) - 1", NULL),
  list("helmert_x_noint", "y ~ x + C(g, helmert) + h - 1", NULL),
  list("h_helmert_noint", "y ~ h + C(g, helmert) - 1", "w"),
  list("sum_weighted", "y ~ C(g, sum) * x", "w"),
  list("x_in_sum", "y ~ x:C(g, sum)", NULL),
  list("sum_in_x", "y ~ C(g, sum):x", NULL),
  list("x_plus_x_sum", "y ~ x + x:C(g, sum)", NULL),
  list("sum_in_h", "y ~ C(g, sum):h", NULL),
  list("sum_times_h", "y ~ C(g, sum) * h", NULL),
  list("h_plus_sum_in_h", "y ~ h + C(g, sum):h", NULL),
  list("helmert_times_sum", "y ~ C(g, helmert) * C(h, sum)", "w"),
  list("sum_and_helmert", "y ~ C(k, sum) + C(g, helmert) + x", NULL),
  list("sum_empty_cell", "y ~ C(g, sum) * C(k, helmert)", NULL),
  list("sum_factor_same_col", "y ~ C(g, sum) + x:g", NULL),
  list("interaction", "y ~ interaction(g, k)", NULL),
  list("interaction_drop", "y ~ interaction(g, k, drop = TRUE) + x", NULL),
  list("interaction_x_sep", "y ~ x:interaction(h, k, sep = \"_\")", NULL),
  list("interaction_lex_noint", "y ~ interaction(g, k, lex.order = TRUE) - 1", "w"),
  list("interaction_numeric", "y ~ interaction(dose, h)", NULL),
  list("interaction_times_x", "y ~ interaction(h, k) * x", NULL),
  list("interaction_sum", "y ~ interaction(h, k) + C(g, sum)", NULL),
  list("logical_in_g", "y ~ I(x > 5):g", NULL),
  list("logical_noint", "y ~ I(x > 5) - 1", NULL),
  list("x_in_logical", "y ~ x:I(x > 5)", "w"),
  list("logical_times_sum", "y ~ I(x > 5) * C(g, sum)", NULL),
  list("h_plus_logical_in_h", "y ~ h + I(x > 2 & w < 1.5):h", NULL),
  list("ns_intercept", "y ~ ns(x, df = 3, intercept = TRUE)", NULL),
  list("ns_intercept_noint", "y ~ ns(x, df = 4, intercept = TRUE) - 1", NULL),
  list("bs_intercept", "y ~ bs(x, df = 5, intercept = TRUE) + g", "w"),
  list("bs_intercept_knots", "y ~ bs(x, knots = c(3, 6), intercept = TRUE) - 1", NULL)
)

source("tests/reference/json_text.R") # num, nums, str_json, field, coef_rows, ...
strs <- function(s) paste0("[", paste(vapply(s, str_json, ""), collapse = ", "), "]")
row_json <- function(...) paste0("  {", paste(..., sep = ", "), "}")

level <- 0.95
d <- read.csv("tests/data/contrasts.csv", stringsAsFactors = TRUE)
nd <- read.csv("tests/data/contrasts_new.csv", stringsAsFactors = TRUE)
entries <- character(0)
for (spec in fits) {
  id <- spec[[1]]; formula <- spec[[2]]; wcol <- spec[[3]]
  fit <- fit_lm(formula, d, wcol)
  s <- summary(fit)
  coefs <- coef_rows(fit, level)
  a <- anova(fit)
  arows <- vapply(seq_len(nrow(a)), function(i) row_json(
      field("term", str_json(trimws(rownames(a)[i]))), field("df", num(a[i, 1])),
      field("sum_sq", num(a[i, 2])), field("mean_sq", num(a[i, 3])),
      field("f", num(a[i, 4])), field("p", num(a[i, 5]))), "")
  e <- paste0("{", paste(
    field("id", str_json(id)), field("file", str_json("contrasts.csv")),
    field("formula", str_json(formula)), field("weights", str_json(wcol)),
    field("n", nobs(fit)), field("df_residual", num(fit$df.residual)),
    field("rank", fit$rank), sep = ", "),
    ",\n \"coefficients\": [\n", paste(coefs, collapse = ",\n"), "],\n ",
    field("aliased", strs(names(coef(fit))[is.na(coef(fit))])), ",\n ",
    summary_fields(fit, s, level),
    ",\n \"anova\": [\n", paste(arows, collapse = ",\n"), "],\n ",
    predict_fields(fit, nd, level), "}")
  entries <- c(entries, e)
}
out <- paste0("{\n", field("r_version", str_json(R.version.string)), ",\n\"fits\": [\n",
              paste(entries, collapse = ",\n"), "\n]}\n")
writeLines(out, "tests/data/r_contrasts.json", sep = "")
