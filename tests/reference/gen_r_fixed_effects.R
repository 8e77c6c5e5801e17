# gen_r_fixed_effects.R -- R reference values for absorbed fixed effects.
#
# Writes two small panels, datasets/panels/firms.csv and
# datasets/panels/workers.csv (fixed seed), and tests/data/r_fixed_effects.json:
# one object per fit with the slopes of lm() with factor dummies
# (y ~ x1 + x2 + factor(firm) + factor(year) ...), which is what
# `linreg fit -f 'y ~ x1 + x2 | firm + year'` must reproduce.
#
# Singletons: linreg drops them (iteratively, as fixest and reghdfe); the
# reference fits lm on the rows left after the same iterative removal, done
# here in R, and records how many went ("singletons").
# For each fit: id, file, formula (linreg's), weights, vcov ("classical" or
# "HC1": sandwich::vcovHC(fit, type = "HC1") on the dummies' lm), n,
# singletons, rank (lm's, with the dummies), df_residual, sigma, r_squared,
# adj_r_squared, f_statistic (classical only), coefficients [{name, estimate,
# std_error, t, p, aliased}] for the left-hand terms only; with one factor,
# effects {level: value}: lm's coefficients of y ~ 0 + factor(firm) + ...,
# which `--fe-out` must write.
#
# Run from the repository root:  Rscript tests/reference/gen_r_fixed_effects.R
# CI does not need R: the panels and the JSON are committed.
library(jsonlite)
library(sandwich)

set.seed(20261206)

## firms: 90 firms over 12 years, unbalanced, 3 regions (each firm in one:
## region is nested in firm), a shift a-d drawn per row; 4 firms seen once
## (singletons), weights, x3 constant within firm (collinear with the firm
## effects).
nf <- 90; ny <- 12
fa <- rnorm(nf, sd = 2); ya <- rnorm(ny); ra <- rnorm(3)
firm_region <- sample(1:3, nf, replace = TRUE)
rows <- do.call(rbind, lapply(1:nf, function(f) {
  yrs <- sort(sample(1:ny, sample(3:ny, 1)))
  data.frame(f = f, t = yrs)
}))
single <- data.frame(f = nf + 1:4, t = sample(1:ny, 4, replace = TRUE))
firm_region <- c(firm_region, sample(1:3, 4, replace = TRUE))
fa <- c(fa, rnorm(4, sd = 2))
rows <- rbind(rows, single)
rows <- rows[sample(nrow(rows)), ]
n <- nrow(rows)
firm <- sprintf("F%03d", rows$f)
year <- 2000 + rows$t
region <- c("north", "south", "west")[firm_region[rows$f]]
x1 <- rnorm(n) + 0.5 * fa[rows$f]
x2 <- runif(n, -1, 1) + 0.1 * rows$t
x3 <- round(fa[rows$f] * 10) / 10
w <- round(runif(n, 0.5, 3), 2)
y <- 2 + 0.7 * x1 - 1.3 * x2 + fa[rows$f] + ya[rows$t] + ra[firm_region[rows$f]] +
  rnorm(n, sd = 0.8 + 0.4 * abs(x1))
shift <- sample(c("a", "b", "c", "d"), n, replace = TRUE)
y <- y + c(a = 0, b = 0.3, c = -0.2, d = 0.5)[shift]
firms <- data.frame(y = round(y, 6), x1 = round(x1, 6), x2 = round(x2, 6), x3 = x3, w = w,
                    firm = firm, year = year, region = region, shift = shift)
write.csv(firms, "datasets/panels/firms.csv", row.names = FALSE, quote = FALSE)

## workers: a worker x employer graph in three connected components (movers
## only within a component), so two-way df depend on the components.
nw <- 150
comp <- sample(1:3, nw, replace = TRUE)
emp_of <- function(c) sample(((c - 1) * 6 + 1):(c * 6), 1)
wr <- do.call(rbind, lapply(1:nw, function(i)
  data.frame(worker = i, employer = replicate(3, emp_of(comp[i])), spell = 1:3)))
nwr <- nrow(wr)
ea <- rnorm(18); wa <- rnorm(nw)
exper <- wr$spell + rnorm(nwr, sd = 0.3)
tenure <- runif(nwr, 0, 5)
wage <- 1 + 0.05 * exper + 0.02 * tenure + wa[wr$worker] + ea[wr$employer] + rnorm(nwr, sd = 0.2)
workers <- data.frame(wage = round(wage, 6), exper = round(exper, 6), tenure = round(tenure, 6),
                      worker = sprintf("w%d", wr$worker), employer = sprintf("e%d", wr$employer))
write.csv(workers, "datasets/panels/workers.csv", row.names = FALSE, quote = FALSE)

source("tests/reference/fe_singletons.R") # drop_singletons(d, fes)

num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NA else unname(x)

## one factor: its effects are the coefficients of lm without an intercept
## (what --fe-out writes), named by level
effects_of <- function(d, left, fe, weights) {
  fml <- as.formula(paste(sub(" ~.*", "", left), "~ 0 + factor(", fe, ") +", sub(".*~ ", "", left)))
  fit <- if (is.null(weights)) lm(fml, d) else lm(fml, d, weights = d[[weights]])
  cf <- coef(fit)
  cf <- cf[startsWith(names(cf), "factor(")]
  as.list(setNames(unname(cf), sub("^factor\\([^)]*\\)", "", names(cf))))
}

one <- function(id, file, data, left, fes, weights = NULL, vcov = "classical") {
  d <- drop_singletons(data, fes)
  # the dummies first, so that a left-hand column in their span is the one
  # lm aliases (as fixest removes it), not one of the dummies
  resp <- sub(" ~.*", "", left)
  fml <- as.formula(paste(resp, "~", paste(sprintf("factor(%s)", fes), collapse = " + "), "+",
                          sub(".*~ ", "", left)))
  fit <- if (is.null(weights)) lm(fml, d) else lm(fml, d, weights = d[[weights]])
  s <- summary(fit)
  cf <- coef(fit)
  terms_left <- names(cf)[!grepl("^factor\\(|^\\(Intercept\\)$", names(cf))]
  V <- if (vcov == "HC1") vcovHC(fit, type = "HC1") else NULL
  coefs <- lapply(terms_left, function(nm) {
    est <- cf[[nm]]
    if (is.na(est)) return(list(name = nm, estimate = NA, std_error = NA, t = NA, p = NA,
                               aliased = TRUE))
    se <- if (is.null(V)) s$coefficients[nm, 2] else sqrt(V[nm, nm])
    tv <- est / se
    list(name = nm, estimate = est, std_error = se, t = tv,
         p = 2 * pt(abs(tv), fit$df.residual, lower.tail = FALSE), aliased = FALSE)
  })
  list(id = id, file = file,
       formula = paste(sub("^(.*) ~ ", "\\1 ~ ", left), "|", paste(fes, collapse = " + ")),
       weights = if (is.null(weights)) NA else weights, vcov = vcov,
       n = nobs(fit), singletons = nrow(data) - nrow(d), rank = fit$rank,
       df_residual = fit$df.residual, sigma = s$sigma, r_squared = s$r.squared,
       adj_r_squared = s$adj.r.squared,
       f_statistic = if (vcov == "classical") num(s$fstatistic["value"]) else NA,
       coefficients = coefs,
       effects = if (length(fes) == 1) effects_of(d, left, fes, weights) else NULL,
       r_version = R.version.string)
}

fp <- "datasets/panels/firms.csv"; wp <- "datasets/panels/workers.csv"
out <- list(
  one("firms_1", fp, firms, "y ~ x1 + x2", "firm"),
  one("firms_2", fp, firms, "y ~ x1 + x2", c("firm", "year")),
  one("firms_3", fp, firms, "y ~ x1 + x2", c("firm", "year", "shift")),
  one("firms_3_weighted_hc1", fp, firms, "y ~ x1 + x2", c("firm", "shift", "year"),
      weights = "w", vcov = "HC1"),
  one("firms_3_nested", fp, firms, "y ~ x1 + x2", c("firm", "year", "region")),
  one("firms_2_weighted", fp, firms, "y ~ x1 + x2", c("firm", "year"), weights = "w"),
  one("firms_2_hc1", fp, firms, "y ~ x1 + x2", c("firm", "year"), vcov = "HC1"),
  one("firms_2_weighted_hc1", fp, firms, "y ~ x1 + x2", c("firm", "year"), weights = "w",
      vcov = "HC1"),
  one("firms_1_hc1", fp, firms, "y ~ x1 + x2", "firm", vcov = "HC1"),
  one("firms_interaction", fp, firms, "y ~ x1 * x2 + log(w)", c("firm", "year")),
  one("firms_collinear", fp, firms, "y ~ x1 + x3 + x2", c("firm", "year")),
  one("workers_2", wp, workers, "wage ~ exper + tenure", c("worker", "employer")),
  one("workers_2_hc1", wp, workers, "wage ~ exper + tenure", c("worker", "employer"),
      vcov = "HC1")
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(17), na = "null", pretty = TRUE),
           "tests/data/r_fixed_effects.json")
