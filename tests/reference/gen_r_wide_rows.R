# gen_r_wide_rows.R -- R's fit of a data set of wide rows: 3,000 rows of y and
# 300 predictors x1..x300, which tests/test_wide_rows.c regenerates in C (the
# same integer recurrence, so no 5 MB CSV is committed) to check that the
# streaming QR, whose rows are gathered into blocks across chunks, agrees with
# R and gives the same bits on 1, 2 and 4 threads.
#
# The data: MINSTD (s <- 48271 s mod 2^31 - 1, from s = 20261206; every
# product below 2^53, so R's doubles hold it exactly), one value per cell in
# row order, x1..x300 then the noise; X = s mod 2001 - 1000, E likewise;
# Y = 500 + sum_j c_j X_j + 10 E with c_j = (j mod 7) - 3; the file holds
# y = Y / 100 and x_j = X_j / 100 with two decimals (exact integers divided
# by 100: the doubles R computes here are those strtod reads there). The model
# y ~ . is R's lm of the known model: intercept 5, slopes c_j, noise.
#
# Produces tests/data/r_wide_rows.json: n, p, seed, df_residual, sigma,
# r_squared and the coefficients [{name, estimate, std_error, t}] with 17
# significant digits, and r_version.
#
# Run from the repository root:  Rscript tests/reference/gen_r_wide_rows.R
# CI does not need R: the generated JSON is committed.
n <- 3000
p <- 300
seed <- 20261206
v <- numeric(n * (p + 1))
s <- seed
for (i in seq_along(v)) {
  s <- (s * 48271) %% 2147483647
  v[i] <- s %% 2001 - 1000
}
m <- matrix(v, nrow = n, ncol = p + 1, byrow = TRUE)
X <- m[, 1:p]
E <- m[, p + 1]
cj <- (1:p %% 7) - 3
Y <- 500 + as.vector(X %*% cj) + 10 * E
stopifnot(all(abs(Y) < 2^52), all(Y == round(Y)))
d <- data.frame(y = Y / 100, X / 100)
names(d) <- c("y", paste0("x", 1:p))
fit <- lm(y ~ ., data = d)
sm <- summary(fit)
cf <- sm$coefficients
num <- function(x) sprintf("%.17g", x)
coefs <- vapply(seq_len(nrow(cf)), function(j)
  sprintf('{"name": "%s", "estimate": %s, "std_error": %s, "t": %s}', rownames(cf)[j],
          num(cf[j, 1]), num(cf[j, 2]), num(cf[j, 3])), "")
json <- paste0('{"n": ', n, ', "p": ', p, ', "seed": ', seed,
               ', "df_residual": ', fit$df.residual,
               ', "sigma": ', num(sm$sigma), ', "r_squared": ', num(sm$r.squared),
               ', "r_version": "', R.version.string, '",\n "coefficients": [\n  ',
               paste(coefs, collapse = ",\n  "), "\n]}\n")
writeLines(json, "tests/data/r_wide_rows.json", sep = "")
cat("wrote tests/data/r_wide_rows.json\n")
