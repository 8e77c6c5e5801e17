# gen_r_types.R -- R's answers for how linreg reads column types, missing
# values and logical columns (tests/test_types.c).
#
# Run from the repository root:  Rscript tests/reference/gen_r_types.R
# Writes tests/data/r_types.tsv: one line per value, TAB-separated:
#   case  key  value
# where key is "n" (rows used), "levels" (the factor's levels joined with |)
# or "coef:NAME" (an estimate, 17 significant digits).
#
# Every data file is read with read.csv's defaults (na.strings = "NA"), as an
# R user reads it; lm() drops incomplete rows (na.omit).
options(stringsAsFactors = FALSE)
out <- character()
emit <- function(case, key, value) {
  out <<- c(out, sprintf("%s\t%s\t%s", case, key, value))
}
fit_case <- function(case, data, formula) {
  m <- lm(as.formula(formula), data = data)
  emit(case, "n", nobs(m))
  cf <- coef(m)
  for (nm in names(cf)) emit(case, paste0("coef:", nm), sprintf("%.17g", cf[[nm]]))
}
rd <- function(f) read.csv(file.path("tests/data", f))

# Item 3: "Na" (sodium) is a level; only "NA" is missing; NaN in a numeric
# column is a number that na.omit drops.
el <- rd("types_elements.csv")
stopifnot(is.character(el$elem), is.numeric(el$x))
fit_case("elements", el, "y ~ x + elem")

# Item 4: T/F/TRUE/false/True/... read as logical; lm names it flagTRUE.
lg <- rd("types_logical.csv")
stopifnot(is.logical(lg$flag))
fit_case("logical", lg, "y ~ x + flag")
fit_case("logical_factor", lg, "y ~ x + factor(flag)")

# Item 2: factor() of numeric codes: levels sorted numerically (9, 10, 100).
nc <- rd("types_numcodes.csv")
stopifnot(is.numeric(nc$site))
emit("numcodes", "levels", paste(levels(factor(nc$site)), collapse = "|"))
fit_case("numcodes", nc, "y ~ factor(site)")

# Item 1: a mostly numeric column with one "1_000" is character in R; as a
# factor its levels sort as text.
tc <- rd("types_textcodes.csv")
stopifnot(is.character(tc$x))
emit("textcodes", "levels", paste(levels(factor(tc$x)), collapse = "|"))
fit_case("textcodes", tc, "y ~ factor(x)")

# Item 2: numeric-looking codes for the first 250,000 rows (more than the
# first MiB linreg decides types on), then text codes. test_types.c writes
# the same file: row i (0-based) has
#   site = c("10", "9", "100")[i %% 3 + 1]          for i < 250000
#          c("10", "9", "100", "B7")[i %% 4 + 1]    after
#   y    = (7 i) %% 13 + i %% 3
n <- 260000
i <- 0:(n - 1)
site <- ifelse(i < 250000, c("10", "9", "100")[i %% 3 + 1], c("10", "9", "100", "B7")[i %% 4 + 1])
y <- (7 * i) %% 13 + i %% 3
tmp <- tempfile(fileext = ".csv")
write.csv(data.frame(site = site, y = y), tmp, row.names = FALSE, quote = FALSE)
big <- read.csv(tmp)
unlink(tmp)
stopifnot(is.character(big$site))
emit("latetext", "levels", paste(levels(factor(big$site)), collapse = "|"))
fit_case("latetext", big, "y ~ factor(site)")

writeLines(out, "tests/data/r_types.tsv")
