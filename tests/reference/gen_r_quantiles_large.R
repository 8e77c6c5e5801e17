# gen_r_quantiles_large.R -- R's residual quantiles of a fit of more rows than
# linreg keeps in memory for them (2^20): 1,100,000 rows of y and x, which
# tests/test_diagnostics.c regenerates in C (the same integer recurrence, so
# no 20 MB CSV is committed) to check what linreg prints beyond 2^20 rows:
# Min and Max exact, 1Q, Median and 3Q within the bound it states.
#
# The data: MINSTD (s <- 48271 s mod 2^31 - 1, from s = 20261207; every
# product below 2^53, so R's doubles hold it exactly), two values per row:
# X = s mod 1000, then E = (s mod 2001 - 1000) with its square over 1000
# added (a skewed error: the quantiles are not symmetric); Y = 300 + 5 X +
# E + floor(E^2 / 1000); the file holds x = X / 10 and y = Y / 100 (exact
# integers divided by a power of ten: the doubles R computes here are those
# strtod reads there).
#
# Produces tests/data/r_quantiles_large.json: n, seed, the five quantiles
# (type 7) with 17 significant digits, the five cells print.summary.lm prints
# for them ("printed"), and r_version.
#
# Run from the repository root:  Rscript tests/reference/gen_r_quantiles_large.R
# CI does not need R: the generated JSON is committed.
n <- 1100000
seed <- 20261207
v <- numeric(2 * n)
s <- seed
for (i in seq_along(v)) {
  s <- (s * 48271) %% 2147483647
  v[i] <- s
}
X <- v[seq(1, 2 * n, 2)] %% 1000
E <- v[seq(2, 2 * n, 2)] %% 2001 - 1000
Y <- 300 + 5 * X + E + floor(E^2 / 1000)
d <- data.frame(y = Y / 100, x = X / 10)
fit <- lm(y ~ x, data = d)
q <- quantile(residuals(fit), names = FALSE)
num <- function(x) sprintf("%.17g", x)
# as print.summary.lm: zapsmall to digits + 1, printed with digits = 4
cells <- capture.output(print(zapsmall(q, 5L), digits = 4L))
cells <- strsplit(trimws(sub("^\\[1\\]", "", cells)), " +")[[1]]
stopifnot(length(cells) == 5)
json <- paste0('{"n": ', n, ', "seed": ', seed,
               ', "quantiles": [', paste(num(q), collapse = ", "), ']',
               ', "printed": [', paste0('"', cells, '"', collapse = ", "), ']',
               ', "r_version": "', R.version.string, '"}\n')
writeLines(json, "tests/data/r_quantiles_large.json", sep = "")
