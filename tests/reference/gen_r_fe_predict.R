# gen_r_fe_predict.R -- R reference predictions of fixed-effects models.
#
# Writes tests/data/fe_predict_new.csv (new rows for datasets/panels/firms.csv,
# fixed seed) and tests/data/r_fe_predict.json: for each model, the
# predictions of R's lm(y ~ x1 + x2 + factor(firm) + factor(year) ...) --
# the dummies' model fitted on ALL the rows, singletons included -- on the
# new rows. That is what `linreg fit -f 'y ~ x1 + x2 | firm + year' -o M` and
# `linreg predict -m M fe_predict_new.csv` must give: x'b + the row's
# effects. Dropping singletons does not change lm's predictions for the other
# levels (a singleton's own dummy fits it exactly), so the two agree wherever
# linreg predicts.
#
# Each entry: id, formula (linreg's), weights (column or null), fes, fit
# (one per new row; null where linreg must give NA) and reason (per row:
# null, "unseen" -- a level not in the data, "singleton" -- a level whose
# rows were all dropped as singletons, lm predicts there but fixest and
# linreg do not, or "missing" -- an empty cell in a model column).
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
new <- read.csv("tests/data/fe_predict_new.csv", stringsAsFactors = FALSE, na.strings = "")

one <- function(id, left, fes, weights = NULL) {
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
  ok <- is.na(reason)
  nd <- new[ok, ]
  p <- rep(NA_real_, nrow(new))
  p[ok] <- unname(predict(fit, nd))
  list(id = id, formula = paste(left, "|", paste(fes, collapse = " + ")),
       weights = if (is.null(weights)) NA else weights, fes = fes,
       fit = p, reason = reason, r_version = R.version.string)
}

out <- list(
  one("fe1", "y ~ x1 + x2", "firm"),
  one("fe2", "y ~ x1 + x2", c("firm", "year")),
  one("fe3", "y ~ x1 + x2", c("firm", "year", "shift")),
  one("fe2_weighted", "y ~ x1 + x2", c("firm", "year"), weights = "w"),
  one("fe3_weighted", "y ~ x1 * x2", c("shift", "firm", "year"), weights = "w")
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), na = "null", pretty = TRUE),
           "tests/data/r_fe_predict.json")
