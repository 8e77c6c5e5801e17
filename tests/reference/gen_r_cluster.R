# gen_r_cluster.R -- R reference values for linreg's --vcov CL --cluster
# (tests/test_cluster.c).
#
# Produces tests/data/r_cluster.json: per case the data set, formula, weights
# and cluster columns, and from
#   V <- sandwich::vcovCL(fit, cluster = ~c1 [+ c2], type = "HC1")
# (defaults: cadjust = TRUE, multi0 = FALSE; two-way is V1 + V2 - V12):
#   vcov: V, column-major; se, t, p: lmtest::coeftest(fit, vcov. = V);
#   f, f_df1, f_df2, f_p: lmtest::waldtest(fit, vcov = V, test = "F") against
#   the intercept-only model (null when V's slope block is not positive
#   definite, and with fixed effects: linreg prints NA there); n_clusters:
#   the G of each clustering (two-way: c1, c2, their intersection); dropped:
#   rows omitted for missing values; singletons: rows dropped as singletons.
# A formula with "| f1 + f2" is linreg's absorbed fixed effects: R fits
# lm(y ~ factor(f1) + factor(f2) + ...) on the rows left after dropping
# singletons iteratively, and the reference holds the slopes only (an
# aliased one with nulls).
# A row whose cluster cell is missing (NA or empty) is dropped before the
# fit, as lm drops it when the cluster column is in its model frame (vcovCL
# itself refuses NA clusters). Cluster keys are compared as text (read with
# colClasses "character"). "file" is under datasets/ unless it starts with
# tests/.
# tests/data/cluster_missing.csv is synthetic (60 rows of random draws,
# committed as is): text cluster keys "school" with three empty and two NA
# cells, "district" with one NA, and one missing response.
# zero_cases: see below.
# Numbers with 15 significant digits (jsonlite digits = NA); NaN and NA are null.
#
# Run from the repository root:  Rscript tests/reference/gen_r_cluster.R
# Needs r-cran-sandwich, r-cran-lmtest, r-cran-jsonlite. CI does not need R:
# the generated JSON is committed.
suppressPackageStartupMessages({
  library(jsonlite)
  library(sandwich)
  library(lmtest)
})
options(contrasts = c("contr.treatment", "contr.poly"))

cases <- list(
  list("warpbreaks_wool_by_tension", "warpbreaks.csv", "breaks ~ wool", NULL, "tension"),
  list("mtcars_numeric_keys", "mtcars.csv", "mpg ~ wt + hp", NULL, "cyl"),
  list("firms_factor", "panels/firms.csv", "y ~ x1 + x2 + factor(region)", NULL, "firm"),
  list("firms_weighted", "panels/firms.csv", "y ~ x1 + x2 + x3", "w", "firm"),
  list("firms_two_way", "panels/firms.csv", "y ~ x1 + x2 + x3", NULL, c("firm", "year")),
  list("firms_two_way_weighted_factor", "panels/firms.csv", "y ~ x1 + shift", "w",
       c("year", "region")),
  list("airquality_missing_cluster", "airquality.csv", "Ozone ~ Temp + Wind", NULL, "Solar.R"),
  list("mtcars_two_way_negative", "mtcars.csv", "mpg ~ wt + hp", NULL, c("am", "vs")),
  # text keys, three empty and two NA (dropped), a missing response, and a
  # missing second key for the two-way case
  list("text_keys_missing", "tests/data/cluster_missing.csv", "y ~ x1 + x2", NULL, "school"),
  list("text_keys_missing_two_way", "tests/data/cluster_missing.csv", "y ~ x1 + x2", NULL,
       c("school", "district")),
  # absorbed fixed effects: lm with the dummies on the rows left after the
  # singletons (dropped iteratively, as linreg does); the slopes' block; x3 is
  # constant within firm (aliased)
  list("fe_firm_by_firm", "panels/firms.csv", "y ~ x1 + x2 + x3 | firm", NULL, "firm"),
  list("fe_firm_year_two_way_weighted", "panels/firms.csv", "y ~ x1 + x2 | firm + year", "w",
       c("firm", "year"))
)

source("tests/reference/fe_singletons.R") # drop_singletons(d, fes)
source("tests/reference/json_text.R") # fit_lm (its num is replaced below)

num <- function(x) ifelse(is.finite(x), x, NA)

out <- lapply(cases, function(cs) {
  id <- cs[[1]]; file <- cs[[2]]; formula <- cs[[3]]; weights <- cs[[4]]; cl <- cs[[5]]
  path <- if (startsWith(file, "tests/")) file else file.path("datasets", file)
  d <- read.csv(path, colClasses = setNames(rep("character", length(cl)), cl))
  n_rows <- nrow(d)
  keep <- Reduce(`&`, lapply(cl, function(c) !is.na(d[[c]]) & d[[c]] != ""))
  d <- d[keep, , drop = FALSE]
  fes <- if (grepl("|", formula, fixed = TRUE))
    trimws(strsplit(sub(".*\\|", "", formula), "+", fixed = TRUE)[[1]]) else NULL
  fml <- formula
  singletons <- 0
  if (!is.null(fes)) {
    singletons <- nrow(d)
    d <- drop_singletons(d, fes)
    singletons <- singletons - nrow(d)
    left <- sub(" *\\|.*", "", formula)
    fml <- paste(sub(" ~.*", "", left), "~", paste(sprintf("factor(%s)", fes), collapse = " + "),
                 "+", sub(".*~ ", "", left))
  }
  fit <- fit_lm(fml, d, weights)
  V <- vcovCL(fit, cluster = as.formula(paste("~", paste(cl, collapse = " + "))), type = "HC1")
  ok <- !is.na(coef(fit))
  # the coefficients linreg reports: all of them, or the slopes with fixed effects
  shown <- if (is.null(fes)) names(coef(fit))[ok] else
    names(coef(fit))[!grepl("^factor\\(|^\\(Intercept\\)$", names(coef(fit)))]
  b <- coef(fit)[shown]
  Vfull <- matrix(NA_real_, length(shown), length(shown), dimnames = list(shown, shown))
  est <- shown[!is.na(b)]
  Vfull[est, est] <- V[est, est]
  se <- suppressWarnings(sqrt(diag(Vfull)))
  tv <- b / se
  pv <- 2 * pt(abs(tv), fit$df.residual, lower.tail = FALSE)
  slopes <- est[est != "(Intercept)"]
  Vs <- V[slopes, slopes, drop = FALSE]
  pd <- is.null(fes) && all(eigen(Vs, symmetric = TRUE, only.values = TRUE)$values > 0)
  w <- if (pd) waldtest(fit, vcov = V, test = "F") else NULL
  rows <- rownames(model.frame(fit)) # the rows the fit used
  keys <- lapply(cl, function(c) d[rows, c])
  G <- sapply(keys, function(k) length(unique(k)))
  if (length(cl) == 2) G <- c(G, length(unique(paste(keys[[1]], keys[[2]], sep = "\r"))))
  list(id = id, file = file, formula = formula, weights = if (is.null(weights)) NA else weights,
       cluster = paste(cl, collapse = ","),
       names = shown, estimate = unname(b), vcov = unname(as.vector(Vfull)),
       se = unname(num(se)), t = unname(num(tv)), p = unname(num(pv)),
       f = if (pd) w$F[2] else NA, f_df1 = if (is.null(fes)) length(slopes) else fit$rank - 1,
       f_df2 = fit$df.residual,
       f_p = if (pd) w$`Pr(>F)`[2] else NA,
       n_clusters = G, nobs = nobs(fit),
       dropped = n_rows - nobs(fit) - singletons, singletons = singletons)
})

# Variances zero to rounding (linreg prints NA): with the cluster's dummies
# in the model every cluster's residuals sum to zero, so the exact clustered
# variance of those terms is 0 and R's is rounding noise. "ratio" is
# V_jj / (eps (|A| M_abs |A|)_jj) with A = (X'X)^-1, M_abs the meat of the
# cluster sums of |e x| (the same factors): linreg prints NA below 1e-4.
# tests/data/cluster_near_zero.csv is written here: warpbreaks with tL the L
# dummy plus 1e-8 sin(i), so tL's variance is tiny but real (a ratio ~70
# times the threshold) and must stay a number.
near <- read.csv("datasets/warpbreaks.csv")
near$tL <- (near$tension == "L") + 1e-8 * sin(seq_len(nrow(near)))
near$tM <- 1 * (near$tension == "M")
write.csv(transform(near, tL = sprintf("%.17g", tL)), "tests/data/cluster_near_zero.csv",
          row.names = FALSE, quote = FALSE)
zero_cases <- list(
  list("warpbreaks_tension_by_tension", "datasets/warpbreaks.csv", "breaks ~ wool + tension",
       "tension"),
  list("near_zero_by_tension", "tests/data/cluster_near_zero.csv", "breaks ~ wool + tL + tM",
       "tension"))
zero_out <- lapply(zero_cases, function(cs) {
  d <- read.csv(cs[[2]])
  fit <- lm(as.formula(cs[[3]]), data = d)
  g <- d[[cs[[4]]]]
  X <- model.matrix(fit); e <- resid(fit); n <- nrow(X); k <- ncol(X); G <- length(unique(g))
  A <- solve(crossprod(X))
  S <- rowsum(abs(e * X), g)
  B <- G / (G - 1) * (n - 1) / (n - k) * abs(A) %*% crossprod(S) %*% abs(A)
  V <- vcovCL(fit, cluster = g, type = "HC1")
  list(id = cs[[1]], file = cs[[2]], formula = cs[[3]], cluster = cs[[4]],
       names = colnames(X), estimate = unname(coef(fit)), se = unname(sqrt(diag(V))),
       ratio = unname(diag(V) / diag(B) / .Machine$double.eps))
})
writeLines(toJSON(list(cases = out, zero_cases = zero_out), auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "tests/data/r_cluster.json")
