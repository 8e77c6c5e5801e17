# gen_r_formula.R -- R reference values for linreg's formula tests.
#
# Produces tests/data/r_formula.json: a JSON array with one object per model
# fit, in the layout of tests/data/r_lm.json (id, file, formula, weights, n,
# df_residual, rank, coefficients [{name, estimate, std_error, t, p, ci_low,
# ci_high, aliased}], sigma, r_squared, adj_r_squared, f_statistic, f_df1,
# f_df2, f_p, log_likelihood, aic, bic) plus rss (deviance(fit)), level (0.95)
# and r_version.  Numbers have 17 significant digits; NA/NaN/Inf are null.
# An aliased coefficient (NA in coef(fit)) has null estimate/std_error/t/p/ci.
# A fit without an F statistic (intercept only) has null f_* fields.
# "n" is nobs(fit): rows used, excluding NA rows and zero-weight rows.
# It also writes tests/reference/r_print_examples.txt: R's print(summary(fit))
# for iris_petal_x_species and warpbreaks_wool_x_tension.
#
# Run from the repository root:  Rscript tests/reference/gen_r_formula.R
# CI does not need R: the generated JSON (and the printout) are committed.
# Generated with: R version 4.2.2 Patched (2022-11-10 r83330)
#   (each entry also records R.version.string as "r_version").
#
# Not included: mpg ~ C(cyl) + wt on mtcars (cyl numeric).  In R 4.2.2,
# stats::C() only converts a non-factor with as.factor() when the environment
# variable _R_OPTIONS_STRINGS_AS_FACTORS_ is "false"; otherwise it fails with
# "Error in C(cyl) : object not interpretable as a factor".

options(width = 80, digits = 7, contrasts = c("contr.treatment", "contr.poly"))

fits <- list(
  list("mtcars_wt_x_hp", "mtcars.csv", "mpg ~ wt * hp", NULL),
  list("iris_petal_x_species", "iris.csv", "Sepal.Length ~ Petal.Length * Species", NULL),
  list("warpbreaks_wool_x_tension", "warpbreaks.csv", "breaks ~ wool * tension", NULL),
  list("cars_poly3", "cars.csv", "dist ~ poly(speed, 3, raw = TRUE)", NULL),
  list("trees_loglog", "trees.csv", "log(Volume) ~ log(Girth) + log(Height)", NULL),
  list("mtcars_weighted_am", "mtcars.csv", "mpg ~ wt + hp", "am"),
  list("trees_weighted_height", "trees.csv", "Volume ~ Girth", "Height"),
  list("women_minus1", "women.csv", "weight ~ height - 1", NULL),
  list("stackloss_dot_minus", "stackloss.csv", "stack.loss ~ . - Acid.Conc.", NULL),
  list("mtcars_I_terms", "mtcars.csv", "mpg ~ wt + I(wt^2) + I(hp/100)", NULL),
  list("mtcars_factor_cyl", "mtcars.csv", "mpg ~ factor(cyl) + wt", NULL),
  list("mtcars_cube", "mtcars.csv", "mpg ~ (wt + hp + qsec)^2", NULL),
  list("warpbreaks_marginal", "warpbreaks.csv", "breaks ~ tension + wool:tension", NULL),
  list("iris_slopes_by_species", "iris.csv", "Sepal.Length ~ Petal.Length:Species", NULL),
  list("trees_functions", "trees.csv",
       "Volume ~ sqrt(Girth) + log10(Height) + abs(Girth - 13) + exp(Height/100) + log2(Girth)", NULL),
  list("toothgrowth_factor_dose", "ToothGrowth.csv", "len ~ supp * factor(dose)", NULL),
  list("plantgrowth_group", "PlantGrowth.csv", "weight ~ group", NULL),
  list("airquality_month_factor", "airquality.csv", "Ozone ~ Temp + factor(Month)", NULL),
  list("diabetes_all", "diabetes.csv", "progression ~ .", NULL),
  list("mtcars_noint_factor", "mtcars.csv", "mpg ~ 0 + factor(cyl) + wt", NULL),
  list("swiss_weighted_dot", "swiss.csv", "Fertility ~ . - province", "Catholic"),
  list("warpbreaks_rankdef", "warpbreaks.csv", "breaks ~ wool:tension", NULL),
  list("mtcars_aliased_I", "mtcars.csv", "mpg ~ wt + I(2 * wt) + hp", NULL),
  # 300 levels, the reference among the 100 seen only in the last 500 rows
  # (datasets/wide_factor.csv, written by gen_wide_factor.R)
  list("wide_factor_late_levels", "wide_factor.csv", "y ~ x + z + g", NULL)
)
print_ids <- c("iris_petal_x_species", "warpbreaks_wool_x_tension")

source("tests/reference/json_text.R") # num, str_json, field

data_dir <- "datasets"
level <- 0.95
entries <- character(0)
printouts <- character(0)

for (spec in fits) {
  id <- spec[[1]]; file <- spec[[2]]; formula <- spec[[3]]; wcol <- spec[[4]]
  dname <- sub("\\.csv$", "", file)
  env <- new.env()
  assign(dname, read.csv(file.path(data_dir, file), stringsAsFactors = TRUE), envir = env)
  call <- if (is.null(wcol))
    bquote(lm(.(as.formula(formula)), data = .(as.name(dname))))
  else
    bquote(lm(.(as.formula(formula)), data = .(as.name(dname)), weights = .(as.name(wcol))))
  fit <- eval(call, env)
  s <- summary(fit)
  cf <- coef(fit)
  tab <- s$coefficients
  ci <- confint(fit, level = level)
  ll <- logLik(fit)

  coef_lines <- vapply(names(cf), function(nm) {
    aliased <- is.na(cf[[nm]])
    if (aliased) {
      vals <- rep("null", 6)
    } else {
      vals <- c(num(tab[nm, 1]), num(tab[nm, 2]), num(tab[nm, 3]), num(tab[nm, 4]),
                num(ci[nm, 1]), num(ci[nm, 2]))
    }
    paste0("  {", paste(c(field("name", str_json(nm)),
                          field("estimate", vals[1]), field("std_error", vals[2]),
                          field("t", vals[3]), field("p", vals[4]),
                          field("ci_low", vals[5]), field("ci_high", vals[6]),
                          field("aliased", if (aliased) "true" else "false")),
                        collapse = ", "), "}")
  }, "")

  fs <- s$fstatistic
  if (is.null(fs)) {
    fvals <- rep("null", 4)
  } else {
    fvals <- c(num(fs[["value"]]), num(fs[["numdf"]]), num(fs[["dendf"]]),
               num(pf(fs[["value"]], fs[["numdf"]], fs[["dendf"]], lower.tail = FALSE)))
  }

  entry <- paste0(
    "{", paste(c(field("id", str_json(id)), field("file", str_json(file)),
                 field("formula", str_json(formula)), field("weights", str_json(wcol)),
                 field("n", num(nobs(fit))), field("df_residual", num(fit$df.residual)),
                 field("rank", num(fit$rank))), collapse = ", "), ",\n",
    " \"coefficients\": [\n", paste(coef_lines, collapse = ",\n"), "],\n ",
    paste(c(field("sigma", num(s$sigma)), field("r_squared", num(s$r.squared)),
            field("adj_r_squared", num(s$adj.r.squared)),
            field("f_statistic", fvals[1]), field("f_df1", fvals[2]),
            field("f_df2", fvals[3]), field("f_p", fvals[4])), collapse = ", "), ",\n ",
    paste(c(field("log_likelihood", num(as.numeric(ll))), field("aic", num(AIC(fit))),
            field("bic", num(BIC(fit))), field("rss", num(deviance(fit))),
            field("level", "0.95"), field("r_version", str_json(R.version.string))),
          collapse = ", "),
    "}")
  entries <- c(entries, entry)

  if (id %in% print_ids) {
    printouts <- c(printouts,
                   paste0("### ", id, ": ", formula, " (", file, ")"),
                   capture.output(print(s)))
  }
}

writeLines(c("[", paste(entries, collapse = ",\n"), "]"), "tests/data/r_formula.json")
writeLines(printouts, "tests/reference/r_print_examples.txt")
cat("wrote tests/data/r_formula.json (", length(entries), " fits) and tests/reference/r_print_examples.txt\n", sep = "")
