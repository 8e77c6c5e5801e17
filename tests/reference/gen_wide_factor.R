# gen_wide_factor.R -- writes datasets/wide_factor.csv: a 300-level factor in
# 1,500 rows whose levels L001..L100 (the reference level among them) appear
# only in the last 500 rows, so the fit meets them late, after the
# accumulator has seen 200 other levels; x and z numeric, y = 1 + 2 x - z +
# a level effect + noise.  Deterministic (set.seed); the CSV is committed and
# R's fit of it is an entry of tests/data/r_formula.json (gen_r_formula.R).
#
# Run from the repository root:  Rscript tests/reference/gen_wide_factor.R
set.seed(20261206)
n <- 1500
labels <- sprintf("L%03d", 1:300)
g <- c(sample(labels[101:300], 1000, replace = TRUE),
       sample(c(labels[1:100], sample(labels, 400, replace = TRUE))))
x <- round(runif(n, -1, 1), 6)
z <- round(rnorm(n, 10, 3), 6)
effect <- setNames(round(rnorm(300, 0, 2), 3), labels)
y <- round(1 + 2 * x - z + effect[g] + rnorm(n, 0, 0.5), 6)
write.csv(data.frame(y = y, x = x, z = z, g = g), "datasets/wide_factor.csv",
          row.names = FALSE, quote = FALSE)
cat("wrote datasets/wide_factor.csv (", n, " rows, ", length(unique(g)), " levels)\n", sep = "")
