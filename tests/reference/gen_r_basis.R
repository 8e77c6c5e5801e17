# gen_r_basis.R -- R reference values for linreg's data-dependent bases in
# formulas: orthogonal poly(x, d), scale(x), and the splines package's
# ns(x, ...) and bs(x, ...).
#
# Produces tests/data/r_basis.json: {"r_version", "fits": [...]}, one entry
# per model fit with
#   id, file (under datasets/), formula, weights (null or column name), n,
#   df_residual, rank, coefficients [{name, estimate, std_error, t, p,
#   ci_low, ci_high}], sigma, r_squared, adj_r_squared, f_statistic, f_p,
#   rss, level (0.95),
#   newdata (CSV under tests/data/), fit and se_fit
#   (predict.lm(fit, newdata, se.fit = TRUE)), confidence {lwr, upr} and
#   prediction {lwr, upr} (interval = "confidence" / "prediction"), and note
#   (R's warnings while predicting, joined with "; ", or null: bs() warns for
#   new x beyond its boundary knots).
# Prediction uses R's makepredictcall: the basis' alpha/norm2 (poly),
# centre/scale (scale), knots and boundary knots (ns, bs) are those of the
# fit, so values beyond the fitted range extrapolate (ns linearly).
#
# The newdata files tests/data/basis_*_new.csv are written by this script
# (write.csv, row.names = FALSE) with x values inside, at the edges of and
# outside the fitted range, and read back with read.csv before predicting.
#
# Numbers are written with sprintf("%.17g"); NA/NaN/Inf are null.
# Run from the repository root:  Rscript tests/reference/gen_r_basis.R
# CI does not need R: the generated JSON and CSVs are committed.
# Generated with: R version 4.2.2 Patched (2022-11-10 r83330), splines
# (R's base package).

suppressPackageStartupMessages(library(splines))
options(contrasts = c("contr.treatment", "contr.poly"))

fits <- list(
  list("cars_poly1", "cars.csv", "dist ~ poly(speed, 1)", NULL),
  list("cars_poly2", "cars.csv", "dist ~ poly(speed, 2)", NULL),
  list("cars_poly4_noint", "cars.csv", "dist ~ poly(speed, 4) - 1", NULL),
  list("cars_scale", "cars.csv", "dist ~ scale(speed)", NULL),
  list("cars_scale_centre_only", "cars.csv", "dist ~ scale(speed, scale = FALSE)", NULL),
  list("cars_ns3", "cars.csv", "dist ~ ns(speed, df = 3)", NULL),
  list("cars_ns1", "cars.csv", "dist ~ ns(speed)", NULL),
  list("cars_bs5", "cars.csv", "dist ~ bs(speed, df = 5)", NULL),
  list("cars_ns_knots", "cars.csv", "dist ~ ns(speed, knots = c(10, 15, 20))", NULL),
  list("cars_bs_knots_deg2", "cars.csv", "dist ~ bs(speed, knots = c(10, 15), degree = 2)", NULL),
  list("mtcars_poly_factor", "mtcars.csv", "mpg ~ poly(hp, 2) + factor(cyl)", NULL),
  list("mtcars_poly_x_am", "mtcars.csv", "mpg ~ poly(wt, 2) * factor(am)", NULL),
  list("mtcars_poly_in_am", "mtcars.csv", "mpg ~ poly(wt, 2):factor(am)", NULL),
  list("mtcars_scale_x_wt", "mtcars.csv", "mpg ~ scale(hp) * wt", NULL),
  list("mtcars_scale_nocentre", "mtcars.csv", "mpg ~ scale(wt, center = FALSE) + scale(qsec)", NULL),
  list("mtcars_ns_weighted_am", "mtcars.csv", "mpg ~ ns(hp, df = 3) + wt", "am"),
  list("mtcars_bs_factor", "mtcars.csv", "mpg ~ bs(disp, df = 4) + factor(gear)", NULL),
  list("trees_bs_weighted", "trees.csv", "Volume ~ bs(Girth, df = 4) + log(Height)", "Height"),
  list("trees_poly_log", "trees.csv", "log(Volume) ~ poly(log(Girth), 2) + scale(Height)", NULL),
  list("trees_ns_boundary", "trees.csv", "Volume ~ ns(Girth, df = 3, Boundary.knots = c(5, 25))", NULL),
  list("trees_poly3_weighted", "trees.csv", "Volume ~ poly(Girth, 3) + Height", "Height"),
  # rows with a missing Ozone or Solar.R are dropped before the bases are computed
  list("airquality_na_rows", "airquality.csv",
       "Ozone ~ poly(Temp, 2) + ns(Wind, df = 3) + scale(Solar.R)", NULL)
)

# new data: inside, at the edges of and beyond the fitted ranges
newdata <- list(
  cars = data.frame(speed = c(1, 4, 7.5, 12, 18.25, 25, 30), dist = NA),
  mtcars = data.frame(model = c("n1", "n2", "n3", "n4", "n5"), mpg = NA,
                      cyl = c(4, 6, 8, 4, 8), disp = c(60, 71.1, 200, 472, 500),
                      hp = c(40, 52, 150, 335, 400), drat = 3.5,
                      wt = c(1.2, 1.513, 3, 5.424, 6), qsec = c(14, 15, 18, 22.9, 24),
                      vs = 0, am = c(0, 1, 1, 0, 1), gear = c(3, 4, 5, 3, 4), carb = 2),
  trees = data.frame(Girth = c(6, 8.3, 12, 20.6, 24), Height = c(60, 63, 75, 87, 90),
                     Volume = NA),
  airquality = data.frame(Ozone = NA, Solar.R = c(5, 150, 334, 400),
                          Wind = c(1, 1.7, 10, 25), Temp = c(50, 56, 80, 100), Month = 6, Day = 1)
)
for (nm in names(newdata))
  write.csv(newdata[[nm]], file.path("tests/data", paste0("basis_", nm, "_new.csv")),
            row.names = FALSE)

source("tests/reference/json_text.R") # num, nums, str_json, field

level <- 0.95
entries <- character(0)
for (spec in fits) {
  id <- spec[[1]]; file <- spec[[2]]; formula <- spec[[3]]; wcol <- spec[[4]]
  dname <- sub("\\.csv$", "", file)
  d <- read.csv(file.path("datasets", file), stringsAsFactors = TRUE)
  fit <- fit_lm(formula, d, wcol)
  s <- summary(fit)
  coefs <- coef_rows(fit, level)
  ndfile <- paste0("basis_", dname, "_new.csv")
  nd <- read.csv(file.path("tests/data", ndfile), stringsAsFactors = TRUE)
  e <- paste0("{", paste(
    field("id", str_json(id)), field("file", str_json(file)),
    field("formula", str_json(formula)), field("weights", str_json(wcol)),
    field("n", nobs(fit)), field("df_residual", num(fit$df.residual)),
    field("rank", fit$rank), sep = ", "),
    ",\n \"coefficients\": [\n", paste(coefs, collapse = ",\n"), "],\n ",
    summary_fields(fit, s, level),
    ",\n ", field("newdata", str_json(ndfile)),
    ",\n ", predict_fields(fit, nd, level), "}")
  entries <- c(entries, e)
}
out <- paste0("{\n", field("r_version", str_json(R.version.string)), ",\n\"fits\": [\n",
              paste(entries, collapse = ",\n"), "\n]}\n")
writeLines(out, "tests/data/r_basis.json", sep = "")
