# gen_r_predict.R -- R reference values for linreg's prediction, robust
# (heteroskedasticity-consistent) covariance and regression-diagnostic tests.
#
# Produces tests/data/r_predict.json: a JSON object with three arrays.
#
#  "predict":     R's predict.lm(fit, newdata, se.fit = TRUE) with
#                 interval = "confidence" and interval = "prediction"
#                 (level 0.95).  Each entry: id, file, formula, weights (null
#                 or column name), newdata (CSV name under tests/data), level,
#                 fit, se_fit, confidence {fit, lwr, upr}, prediction {fit,
#                 lwr, upr}, df (residual df), residual_scale (sigma) and note
#                 (R's warning text(s), joined with "; ", or null).
#                 The newdata files tests/data/predict_*_new.csv are written by
#                 this script (write.csv, row.names = FALSE, same header as the
#                 data set) and read back with read.csv before predicting, so
#                 the predictions are for exactly what the CSV holds.  Made-up
#                 rows carry NA in the response column (predict.lm never looks
#                 at the response of newdata).
#                 For a weighted fit predict.lm gives the new observations
#                 weight 1 in the prediction interval (pred.var = sigma^2/1) and
#                 warns; the numbers are recorded as R gives them.
#  "vcov":        sandwich::vcovHC(fit, type = T), T in HC0..HC3.  Each entry:
#                 id, file, formula, weights, df_residual, coefficients (names),
#                 estimate, and per type {std_error, t, p, ci_low, ci_high,
#                 vcov (row-major matrix)}, where std_error = sqrt(diag(V)),
#                 t = estimate / std_error, p = 2 * pt(-|t|, df_residual) and
#                 ci = estimate -/+ qt(0.975, df_residual) * std_error.  This is
#                 what lmtest::coeftest(fit, vcov = V) / lmtest::coefci(fit,
#                 vcov = V) give for an lm (they use df = df.residual(fit));
#                 lmtest itself is not needed.
#  "diagnostics": id, file, formula, weights, df_residual, sigma,
#                 residual_quantiles (quantile(summary(fit)$residuals), type 7:
#                 Min, 1Q, Median, 3Q, Max -- the numbers print(summary(fit))
#                 shows under "Residuals:", before print.summary.lm's
#                 zapsmall(, 5) and 4-significant-digit formatting; for a
#                 weighted fit these are the weighted residuals sqrt(w) * e),
#                 rows (1-based CSV data-row numbers of the observations used),
#                 fitted, residuals (residuals(fit), unweighted), hat
#                 (hatvalues), rstandard, cooks (cooks.distance).
#                 For a weighted fit hat, rstandard and cooks.distance are
#                 computed by R from the weighted residuals sqrt(w) * e and the
#                 hat matrix of the sqrt(w)-scaled design.
#  Top-level "r_version" and "sandwich_version" strings record the versions.
#
# Numbers are written with sprintf("%.17g"); whole numbers print plainly
# ("50"); NA/NaN/Inf are null.
#
# It also writes tests/reference/r_predict_examples.txt (for the README and
# for humans): R's printed predict(..., interval = "prediction") for cars_pred
# and coeftest-style tables (classical vs HC3 standard errors) for
# mpg ~ wt + hp + factor(am) on mtcars.
#
# Run from the repository root:  Rscript tests/reference/gen_r_predict.R
# CI does not need R: the generated JSON, the newdata CSVs and the printout are
# committed.
# Generated with: R version 4.2.2 Patched (2022-11-10 r83330), sandwich 3.0.2
# (Debian package r-cran-sandwich 3.0-2-1).

suppressPackageStartupMessages(library(sandwich))
options(width = 80, digits = 7, contrasts = c("contr.treatment", "contr.poly"))

data_dir <- "datasets"
out_dir <- "tests/data"
level <- 0.95

# ---------------------------------------------------------------- JSON helpers
source("tests/reference/json_text.R") # num, nums, str_json, field
arr <- nums
int_arr <- function(x) paste0("[", paste(sprintf("%d", as.integer(x)), collapse = ", "), "]")
str_arr <- function(x) paste0("[", paste(vapply(x, str_json, ""), collapse = ", "), "]")
obj <- function(...) paste0("{", paste(c(...), collapse = ", "), "}")
mat_json <- function(m) {
  rows <- vapply(seq_len(nrow(m)), function(i) arr(m[i, ]), "")
  paste0("[", paste(rows, collapse = ",\n    "), "]")
}

# ------------------------------------------------------------------ fitting
read_data <- function(file) read.csv(file.path(data_dir, file), stringsAsFactors = TRUE)

# Fit with the data frame bound to the data set's name so that the call (and
# any printout) reads lm(formula, data = cars[, weights = w]).
fit_lm <- function(file, formula, wcol) {
  dname <- sub("\\.csv$", "", file)
  env <- new.env()
  assign(dname, read_data(file), envir = env)
  call <- if (is.null(wcol))
    bquote(lm(.(as.formula(formula)), data = .(as.name(dname))))
  else
    bquote(lm(.(as.formula(formula)), data = .(as.name(dname)), weights = .(as.name(wcol))))
  eval(call, env)
}

# Evaluate expr, collecting (and muffling) its warnings.
with_warnings <- function(expr) {
  msgs <- character(0)
  value <- withCallingHandlers(expr, warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = msgs)
}

# ------------------------------------------------------------ newdata files
write_newdata <- function(df, name) {
  path <- file.path(out_dir, name)
  write.csv(df, path, row.names = FALSE)
  invisible(path)
}

cars <- read_data("cars.csv")
cars_new <- rbind(cars[1:10, ],
                  data.frame(speed = c(0, 30, 12.5), dist = NA_real_))
write_newdata(cars_new, "predict_cars_new.csv")

iris <- read_data("iris.csv")
iris_made_up <- data.frame(Sepal.Length = NA_real_,
                           Sepal.Width = c(4.5, 2.25),
                           Petal.Length = c(2.5, 7.5),
                           Petal.Width = c(0.5, 2.75),
                           Species = c("setosa", "virginica"))
iris_new <- rbind(iris[c(1, 51, 101, 150), ], iris_made_up)
write_newdata(iris_new, "predict_iris_new.csv")

trees <- read_data("trees.csv")
trees_new <- rbind(trees,
                   data.frame(Girth = c(6.5, 25), Height = c(60, 92.5), Volume = NA_real_))
write_newdata(trees_new, "predict_trees_new.csv")

mtcars <- read_data("mtcars.csv")
mtcars_made_up <- data.frame(model = c("Made-up light four", "Made-up heavy eight"),
                             mpg = NA_real_, cyl = c(4, 8), disp = c(90, 460),
                             hp = c(70, 300), drat = c(4.2, 2.9), wt = c(1.5, 5.75),
                             qsec = c(19.5, 15.25), vs = c(1, 0), am = c(1, 0),
                             gear = c(4, 3), carb = c(1, 4))
mtcars_new <- rbind(mtcars[c(1, 3, 5, 8, 15, 20, 25, 31), ], mtcars_made_up)
write_newdata(mtcars_new, "predict_mtcars_new.csv")

warpbreaks <- read_data("warpbreaks.csv")
# First row of each wool x tension cell: rows 1, 10, 19, 28, 37, 46.
wb_rows <- match(interaction(rep(c("A", "B"), each = 3), rep(c("L", "M", "H"), 2)),
                 interaction(warpbreaks$wool, warpbreaks$tension))
write_newdata(warpbreaks[wb_rows, ], "predict_warpbreaks_new.csv")

# ------------------------------------------------------------ 1. predict
predict_cases <- list(
  list("cars_pred", "cars.csv", "dist ~ speed", NULL, "predict_cars_new.csv"),
  list("iris_pred", "iris.csv", "Sepal.Length ~ Sepal.Width + Petal.Length + Species", NULL,
       "predict_iris_new.csv"),
  list("trees_pred", "trees.csv", "log(Volume) ~ log(Girth) + log(Height)", NULL,
       "predict_trees_new.csv"),
  list("mtcars_pred_poly", "mtcars.csv", "mpg ~ poly(wt, 2, raw = TRUE) + factor(cyl)", NULL,
       "predict_mtcars_new.csv"),
  list("mtcars_pred_weighted", "mtcars.csv", "mpg ~ wt + hp", "qsec", "predict_mtcars_new.csv"),
  list("warpbreaks_rankdef_pred", "warpbreaks.csv", "breaks ~ wool:tension", NULL,
       "predict_warpbreaks_new.csv")
)

predict_entries <- character(0)
predict_fits <- list()
all_warnings <- character(0)
for (spec in predict_cases) {
  id <- spec[[1]]; file <- spec[[2]]; formula <- spec[[3]]; wcol <- spec[[4]]; nd_name <- spec[[5]]
  fit <- fit_lm(file, formula, wcol)
  predict_fits[[id]] <- fit
  newdata <- read.csv(file.path(out_dir, nd_name), stringsAsFactors = TRUE)
  pc <- with_warnings(predict(fit, newdata, interval = "confidence", level = level, se.fit = TRUE))
  pp <- with_warnings(predict(fit, newdata, interval = "prediction", level = level, se.fit = TRUE))
  # Trailing newlines in R's messages are not part of the text.
  warns <- unique(sub("\n+$", "", c(pc$warnings, pp$warnings)))
  if (length(warns)) all_warnings <- c(all_warnings, paste0(id, ": ", warns))
  conf <- pc$value; pred <- pp$value
  stopifnot(all.equal(conf$se.fit, pred$se.fit), all.equal(conf$fit[, "fit"], pred$fit[, "fit"]))
  interval_json <- function(m)
    obj(field("fit", arr(m[, "fit"])), field("lwr", arr(m[, "lwr"])), field("upr", arr(m[, "upr"])))
  predict_entries <- c(predict_entries, paste0(
    "{", paste(c(field("id", str_json(id)), field("file", str_json(file)),
                 field("formula", str_json(formula)), field("weights", str_json(wcol)),
                 field("newdata", str_json(nd_name)), field("level", "0.95")),
               collapse = ", "), ",\n",
    " ", field("fit", arr(conf$fit[, "fit"])), ",\n",
    " ", field("se_fit", arr(conf$se.fit)), ",\n",
    " ", field("confidence", interval_json(conf$fit)), ",\n",
    " ", field("prediction", interval_json(pred$fit)), ",\n",
    " ", paste(c(field("df", num(conf$df)), field("residual_scale", num(conf$residual.scale)),
                 field("note", if (length(warns)) str_json(paste(warns, collapse = "; ")) else "null")),
               collapse = ", "),
    "}"))
}

# ------------------------------------------------------------ 2. vcovHC
vcov_cases <- list(
  list("cars_speed", "cars.csv", "dist ~ speed", NULL),
  list("mtcars_wt_hp_am", "mtcars.csv", "mpg ~ wt + hp + factor(am)", NULL),
  list("swiss_dot_minus_province", "swiss.csv", "Fertility ~ . - province", NULL),
  list("iris_sw_pl_species", "iris.csv", "Sepal.Length ~ Sepal.Width + Petal.Length + Species", NULL),
  list("trees_weighted_height", "trees.csv", "Volume ~ Girth + Height", "Height")
)
hc_types <- c("HC0", "HC1", "HC2", "HC3")

vcov_entries <- character(0)
vcov_fits <- list()
for (spec in vcov_cases) {
  id <- spec[[1]]; file <- spec[[2]]; formula <- spec[[3]]; wcol <- spec[[4]]
  fit <- fit_lm(file, formula, wcol)
  vcov_fits[[id]] <- fit
  stopifnot(!anyNA(coef(fit)))
  est <- coef(fit)
  rdf <- df.residual(fit)
  q <- qt(1 - (1 - level) / 2, rdf)
  hc_json <- vapply(hc_types, function(type) {
    r <- with_warnings(vcovHC(fit, type = type))
    if (length(r$warnings)) all_warnings <<- c(all_warnings, paste0(id, " ", type, ": ", r$warnings))
    V <- r$value
    stopifnot(identical(rownames(V), names(est)))
    se <- sqrt(diag(V))
    tval <- est / se
    p <- 2 * pt(-abs(tval), rdf)
    paste0(" ", field(type, paste0(
      "{", paste(c(field("std_error", arr(se)), field("t", arr(tval)), field("p", arr(p)),
                   field("ci_low", arr(est - q * se)), field("ci_high", arr(est + q * se))),
                 collapse = ",\n   "), ",\n   ",
      field("vcov", mat_json(unname(V))), "}")))
  }, "")
  vcov_entries <- c(vcov_entries, paste0(
    "{", paste(c(field("id", str_json(id)), field("file", str_json(file)),
                 field("formula", str_json(formula)), field("weights", str_json(wcol)),
                 field("df_residual", num(rdf))), collapse = ", "), ",\n",
    " ", field("coefficients", str_arr(names(est))), ",\n",
    " ", field("estimate", arr(est)), ",\n",
    paste(hc_json, collapse = ",\n"), "}"))
}

# ------------------------------------------------------------ 3. diagnostics
diag_cases <- list(
  list("cars_speed", "cars.csv", "dist ~ speed", NULL),
  list("stackloss_dot", "stackloss.csv", "stack.loss ~ .", NULL),
  list("mtcars_wt_hp", "mtcars.csv", "mpg ~ wt + hp", NULL),
  list("iris_sw_pl_species", "iris.csv", "Sepal.Length ~ Sepal.Width + Petal.Length + Species", NULL),
  list("airquality_solar_wind_temp", "airquality.csv", "Ozone ~ Solar.R + Wind + Temp", NULL),
  list("trees_weighted_height", "trees.csv", "Volume ~ Girth + Height", "Height")
)

diag_entries <- character(0)
for (spec in diag_cases) {
  id <- spec[[1]]; file <- spec[[2]]; formula <- spec[[3]]; wcol <- spec[[4]]
  fit <- fit_lm(file, formula, wcol)
  s <- summary(fit)
  rq <- quantile(s$residuals, type = 7, names = FALSE)
  # read.csv numbers rows 1..n; na.omit keeps the numbers of the rows kept.
  rows <- as.integer(rownames(model.frame(fit)))
  stopifnot(identical(rownames(model.frame(fit)), names(residuals(fit))))
  diag_entries <- c(diag_entries, paste0(
    "{", paste(c(field("id", str_json(id)), field("file", str_json(file)),
                 field("formula", str_json(formula)), field("weights", str_json(wcol)),
                 field("df_residual", num(df.residual(fit))), field("sigma", num(s$sigma))),
               collapse = ", "), ",\n",
    " ", field("residual_quantiles", arr(rq)), ",\n",
    " ", field("rows", int_arr(rows)), ",\n",
    " ", field("fitted", arr(fitted(fit))), ",\n",
    " ", field("residuals", arr(residuals(fit))), ",\n",
    " ", field("hat", arr(hatvalues(fit))), ",\n",
    " ", field("rstandard", arr(rstandard(fit))), ",\n",
    " ", field("cooks", arr(cooks.distance(fit))), "}"))
}

# ------------------------------------------------------------ write JSON
sandwich_version <- as.character(packageVersion("sandwich"))
json <- c("{",
          paste0(field("r_version", str_json(R.version.string)), ","),
          paste0(field("sandwich_version", str_json(sandwich_version)), ","),
          "\"predict\": [", paste(predict_entries, collapse = ",\n"), "],",
          "\"vcov\": [", paste(vcov_entries, collapse = ",\n"), "],",
          "\"diagnostics\": [", paste(diag_entries, collapse = ",\n"), "]",
          "}")
writeLines(json, file.path(out_dir, "r_predict.json"))

# ------------------------------------------------------------ printout
printouts <- c(
  paste0("# R's printed output, from tests/reference/gen_r_predict.R (",
         R.version.string, ", sandwich ", sandwich_version, ")."),
  "")

fit <- predict_fits[["cars_pred"]]
newdata <- read.csv(file.path(out_dir, "predict_cars_new.csv"), stringsAsFactors = TRUE)
printouts <- c(printouts,
  "### cars_pred: dist ~ speed (cars.csv), newdata tests/data/predict_cars_new.csv",
  "> newdata",
  capture.output(print(newdata)),
  "> predict(fit, newdata, interval = \"prediction\")",
  capture.output(print(predict(fit, newdata, interval = "prediction", level = level))),
  "")

options(width = 100)
fit <- vcov_fits[["mtcars_wt_hp_am"]]
V3 <- vcovHC(fit, type = "HC3")
est <- coef(fit); rdf <- df.residual(fit)
classical <- summary(fit)$coefficients
se3 <- sqrt(diag(V3)); t3 <- est / se3
hc3 <- cbind(Estimate = est, "Std. Error" = se3, "t value" = t3,
             "Pr(>|t|)" = 2 * pt(-abs(t3), rdf))
q <- qt(0.975, rdf)
side <- cbind(Estimate = est, "SE classical" = classical[, 2], "SE HC3" = se3,
              "HC3/classical" = se3 / classical[, 2],
              "2.5 % HC3" = est - q * se3, "97.5 % HC3" = est + q * se3)
printouts <- c(printouts,
  "### mtcars_wt_hp_am: mpg ~ wt + hp + factor(am) (mtcars.csv)",
  "## Classical (summary.lm):",
  capture.output(printCoefmat(classical)),
  "",
  "## HC3 (sandwich::vcovHC(fit, type = \"HC3\"); the table lmtest::coeftest(fit, vcov = V) prints,",
  paste0("## t tests with the residual df = ", rdf, "):"),
  capture.output(printCoefmat(hc3)),
  "",
  "## Side by side (confidence intervals estimate -/+ qt(0.975, df) * SE HC3, as lmtest::coefci):",
  capture.output(print(side, digits = 6)))
writeLines(printouts, "tests/reference/r_predict_examples.txt")

if (length(all_warnings)) {
  cat("R warnings (recorded in \"note\"):\n")
  cat(paste0("  ", all_warnings, "\n"), sep = "")
}
cat("wrote tests/data/r_predict.json (", length(predict_entries), " predict, ",
    length(vcov_entries), " vcov, ", length(diag_entries), " diagnostics), ",
    "tests/data/predict_*_new.csv and tests/reference/r_predict_examples.txt\n", sep = "")
