# gen_r_formula2.R -- R reference values for the formula features of issue 14
# (functions and I() on the response, log(x, base), log1p, expm1, sin, cos,
# tan, comparisons and logical operators inside I(), NaN rows, relevel(),
# factor(x, levels = ), offset(), %in%).
#
# Produces tests/data/r_formula2.json: a JSON array with one object per fit:
# id, file, newdata, formula, n (nobs), df_residual, coefficients [{name,
# estimate, std_error}], sigma, r_squared, adj_r_squared, f_statistic, and
# predictions [{fit, se_fit}] of predict(fit, newdata, se.fit = TRUE) on
# tests/data/<newdata> (null where R gives NA or NaN). Numbers have 17
# significant digits; NA/NaN are null.
#
# Run from the repository root:  Rscript tests/reference/gen_r_formula2.R
# CI does not need R: the generated JSON is committed.
# Generated with: R version 4.2.2 Patched (2022-11-10 r83330)

options(warn = 1)

# id, the data set (datasets/<name>.csv), the formula
fits <- list(
  list("mtcars_I_response", "mtcars", "I(mpg/100) ~ wt + hp"),
  list("mtcars_log_base", "mtcars", "log(mpg) ~ log(wt, 2) + log(hp, base = 10) + log(qsec, 3)"),
  list("trees_sqrt_response", "trees", "sqrt(Volume) ~ log1p(Girth) + expm1(Height/100)"),
  list("mtcars_trig", "mtcars", "mpg ~ sin(wt) + cos(hp/100) + tan(qsec/10) + abs(drat - 3.7)"),
  # log of a negative value: NaN, the rows dropped (R warns "NaNs produced")
  list("mtcars_nan_rows", "mtcars", "mpg ~ log(drat - 3.1) + wt"),
  list("mtcars_logical", "mtcars",
       "mpg ~ I(wt > 3) + I(hp >= 100 & cyl < 8) + I(!(am == 1) | vs != 0)"),
  list("iris_logical_factor", "iris",
       "Sepal.Length ~ Species + I(Petal.Width <= 1.5) + I(Sepal.Width == 3)"),
  list("cars_log3_response", "cars", "log(dist, 3) ~ speed + I(speed != 10)"),
  list("warpbreaks_log10_response", "warpbreaks", "log10(breaks) ~ wool * tension"),
  list("warpbreaks_relevel", "warpbreaks", "breaks ~ relevel(tension, ref = \"M\") * wool"),
  # "M" is not among the levels: its 18 rows are NA and dropped (and NA predicted)
  list("warpbreaks_factor_levels", "warpbreaks",
       "breaks ~ factor(tension, levels = c(\"H\", \"L\")) * wool"),
  list("iris_factor_levels", "iris",
       "Sepal.Length ~ factor(Species, levels = c(\"virginica\", \"setosa\", \"versicolor\")) + Petal.Length"),
  list("mtcars_relevel_factor", "mtcars", "mpg ~ relevel(factor(cyl), ref = \"6\") + wt"),
  list("mtcars_factor_levels_numeric", "mtcars",
       "mpg ~ factor(gear, levels = c(\"5\", \"4\", \"3\")) + wt + gear"),
  # offset(): lm fits y - offset; R 4.2's summary takes R2 and F from fitted
  # values that include the offset; predict adds it from the new data
  list("mtcars_offset_log", "mtcars", "mpg ~ wt + offset(log(hp))"),
  list("trees_offset_noint", "trees", "log(Volume) ~ 0 + log(Girth) + offset(0.5 * log(Height))"),
  list("iris_offset_factor", "iris", "Sepal.Length ~ Species + offset(Petal.Length/2)"),
  # %in%: terms() reads a %in% b as a:b, between ':' and '*' in precedence
  list("warpbreaks_in", "warpbreaks", "breaks ~ wool + tension %in% wool"),
  list("mtcars_in_precedence", "mtcars", "mpg ~ wt * hp %in% qsec")
)

source("tests/reference/json_text.R") # num, str_json, field, fit_lm

entries <- character(0)
for (spec in fits) {
  # a data set's new rows are always tests/data/predict_<data set>_new.csv
  id <- spec[[1]]; file <- paste0(spec[[2]], ".csv"); formula <- spec[[3]]
  newfile <- paste0("predict_", spec[[2]], "_new.csv")
  d <- read.csv(file.path("datasets", file), stringsAsFactors = TRUE)
  nd <- read.csv(file.path("tests/data", newfile), stringsAsFactors = TRUE)
  fit <- fit_lm(formula, d, NULL)
  s <- summary(fit)
  tab <- s$coefficients
  cf <- coef(fit)
  coef_lines <- vapply(names(cf), function(nm) {
    est <- if (is.na(cf[[nm]])) "null" else num(tab[nm, 1])
    se <- if (is.na(cf[[nm]])) "null" else num(tab[nm, 2])
    paste0("  {", field("name", str_json(nm)), ", ", field("estimate", est), ", ",
           field("std_error", se), "}")
  }, "")
  pr <- predict(fit, nd, se.fit = TRUE)
  pred_lines <- vapply(seq_along(pr$fit), function(i)
    paste0("{", field("fit", num(pr$fit[[i]])), ", ", field("se_fit", num(pr$se.fit[[i]])), "}"), "")
  fs <- s$fstatistic
  entries <- c(entries, paste0(
    "{", paste(c(field("id", str_json(id)), field("file", str_json(file)),
                 field("newdata", str_json(newfile)), field("formula", str_json(formula)),
                 field("n", num(nobs(fit))), field("df_residual", num(fit$df.residual))),
               collapse = ", "), ",\n",
    " \"coefficients\": [\n", paste(coef_lines, collapse = ",\n"), "],\n ",
    paste(c(field("sigma", num(s$sigma)), field("r_squared", num(s$r.squared)),
            field("adj_r_squared", num(s$adj.r.squared)),
            field("f_statistic", if (is.null(fs)) "null" else num(fs[["value"]]))),
          collapse = ", "), ",\n",
    " \"predictions\": [", paste(pred_lines, collapse = ", "), "],\n",
    " ", field("r_version", str_json(R.version.string)), "}"))
}
writeLines(c("[", paste(entries, collapse = ",\n"), "]"), "tests/data/r_formula2.json")
