# gen_r_fe_predict.R -- R reference predictions of fixed-effects models.
#
# Writes tests/data/fe_predict_new.csv (new rows for datasets/panels/firms.csv,
# fixed seed), tests/data/fe_predict_workers_new.csv (new rows for
# datasets/panels/workers.csv, whose worker x employer graph has three
# connected components) and tests/data/r_fe_predict.json: for each model, the
# predictions of R's lm(y ~ x1 + x2 + factor(firm) + factor(year) ...) --
# the dummies' model fitted on ALL the rows, singletons included -- on the
# new rows. That is what `linreg fit -f 'y ~ x1 + x2 | firm + year' -o M` and
# `linreg predict -m M fe_predict_new.csv` must give: x'b + the row's
# effects. Dropping singletons does not change lm's predictions for the other
# levels (a singleton's own dummy fits it exactly), so the two agree wherever
# linreg predicts.
#
# Each entry: id, file, newdata, formula (linreg's), weights (column or null), fes, fit
# (one per new row; null where linreg must give NA) and reason (per row:
# null, "unseen" -- a level not in the data, "singleton" -- a level whose
# rows were all dropped as singletons, lm predicts there but fixest and
# linreg do not, "missing" -- an empty cell in a model column, or
# "components" -- a worker and an employer in different connected components:
# no row links them, so x'b + effects is not identified (lm predicts one of
# many values there, with its rank-deficiency warning; linreg gives NA).
# Where the two are in one component the prediction is identified, and lm's
# (from its rank-deficient fit, aliased dummies taken as 0) is the one.
#
# Run from the repository root:  Rscript tests/reference/gen_r_fe_predict.R
# CI does not need R: the new rows and the JSON are committed.
library(jsonlite)

set.seed(20261207)
firms <- read.csv("datasets/panels/firms.csv", stringsAsFactors = FALSE)

source("tests/reference/fe_singletons.R") # drop_singletons(d, fes)

## new rows: 30 of seen firms, years and shifts with new x1, x2, w; then a
## firm never seen, a singleton firm, a year never seen, an empty firm, an
## empty year and an empty x1
k <- 30
seen_firms <- unique(drop_singletons(firms, c("firm", "year", "shift"))$firm)
all_firms <- unique(firms$firm)
single_firms <- setdiff(all_firms, seen_firms)
new <- data.frame(y = NA, x1 = round(rnorm(k), 6), x2 = round(runif(k, -1, 1), 6),
                  w = round(runif(k, 0.5, 3), 2),
                  firm = sample(seen_firms, k, replace = TRUE),
                  year = sample(unique(firms$year), k, replace = TRUE),
                  shift = sample(c("a", "b", "c", "d"), k, replace = TRUE),
                  stringsAsFactors = FALSE)
odd <- data.frame(y = NA, x1 = c(0.5, -0.25, 1, 0.3, 0.1, NA), x2 = c(0.2, 0.4, -0.3, 0.1, 0.2, 0.3),
                  w = 1, firm = c("F999", single_firms[1], "F001", NA, "F002", "F003"),
                  year = c(2003, 2004, 1999, 2005, NA, 2006), shift = "a",
                  stringsAsFactors = FALSE)
new <- rbind(new, odd)
write.csv(new, "tests/data/fe_predict_new.csv", row.names = FALSE, quote = FALSE, na = "")
firms_new <- read.csv("tests/data/fe_predict_new.csv", stringsAsFactors = FALSE, na.strings = "")

one <- function(id, left, fes, weights = NULL, data = firms, new = firms_new,
                file = "datasets/panels/firms.csv", newfile = "tests/data/fe_predict_new.csv",
                comp = NULL) {
  firms <- data
  resp <- sub(" ~.*", "", left)
  fml <- as.formula(paste(resp, "~", paste(sprintf("factor(%s)", fes), collapse = " + "), "+",
                          sub(".*~ ", "", left)))
  fit <- if (is.null(weights)) lm(fml, firms) else lm(fml, firms, weights = firms[[weights]])
  kept <- drop_singletons(firms, fes)
  reason <- rep(NA_character_, nrow(new))
  for (f in fes) {
    lv <- as.character(new[[f]])
    reason[is.na(reason) & !is.na(lv) & !(lv %in% as.character(firms[[f]]))] <- "unseen"
    reason[is.na(reason) & !is.na(lv) & !(lv %in% as.character(kept[[f]]))] <- "singleton"
  }
  vars <- c(all.vars(as.formula(left))[-1], fes)
  miss <- Reduce(`|`, lapply(vars, function(v) is.na(new[[v]])))
  reason[is.na(reason) & miss] <- "missing"
  if (!is.null(comp))
    reason[is.na(reason) & comp(new[[fes[1]]]) != comp(new[[fes[2]]])] <- "components"
  ok <- is.na(reason)
  nd <- new[ok, ]
  p <- rep(NA_real_, nrow(new))
  p[ok] <- unname(suppressWarnings(predict(fit, nd))) # rank-deficient with components
  list(id = id, file = file, newdata = newfile, formula = paste(left, "|", paste(fes, collapse = " + ")),
       weights = if (is.null(weights)) NA else weights, fes = fes,
       fit = p, reason = reason, r_version = R.version.string)
}

## workers: employers e1-e6, e7-e12 and e13-e18 are the three components
## (gen_r_fixed_effects.R); a worker is in their employers' component. New
## rows: 8 seen pairs, 8 unseen pairs within a component (identified), 4
## pairs across components
workers <- read.csv("datasets/panels/workers.csv", stringsAsFactors = FALSE)
emp_comp <- function(e) (as.integer(sub("e", "", e)) - 1) %/% 6
worker_comp <- tapply(emp_comp(workers$employer), workers$worker, function(v) v[1])
comp_of <- function(v) ifelse(startsWith(v, "e"), emp_comp(v), worker_comp[v])
seen <- workers[sample(nrow(workers), 8), c("worker", "employer")]
ws <- sample(unique(workers$worker), 12)
within <- data.frame(worker = ws[1:8], employer = sapply(ws[1:8], function(w)
  sprintf("e%d", sample(1:6, 1) + 6 * worker_comp[[w]])))
across <- data.frame(worker = ws[9:12], employer = sapply(ws[9:12], function(w)
  sprintf("e%d", sample(1:6, 1) + 6 * ((worker_comp[[w]] + 1) %% 3))))
pairs <- rbind(seen, within, across)
wnew <- data.frame(wage = NA, exper = round(runif(20, 0.5, 3.5), 6),
                   tenure = round(runif(20, 0, 5), 6), worker = pairs$worker,
                   employer = pairs$employer, stringsAsFactors = FALSE)
write.csv(wnew, "tests/data/fe_predict_workers_new.csv", row.names = FALSE, quote = FALSE, na = "")
wnew <- read.csv("tests/data/fe_predict_workers_new.csv", stringsAsFactors = FALSE, na.strings = "")

out <- list(
  one("fe1", "y ~ x1 + x2", "firm"),
  one("fe2", "y ~ x1 + x2", c("firm", "year")),
  one("fe3", "y ~ x1 + x2", c("firm", "year", "shift")),
  one("fe2_weighted", "y ~ x1 + x2", c("firm", "year"), weights = "w"),
  one("fe3_weighted", "y ~ x1 * x2", c("shift", "firm", "year"), weights = "w"),
  one("workers_2", "wage ~ exper + tenure", c("worker", "employer"), data = workers, new = wnew,
      file = "datasets/panels/workers.csv", newfile = "tests/data/fe_predict_workers_new.csv",
      comp = comp_of)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), na = "null", pretty = TRUE),
           "tests/data/r_fe_predict.json")
