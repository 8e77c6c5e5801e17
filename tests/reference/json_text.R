# json_text.R -- the JSON text the gen_r_*.R scripts write, shared:
# source("tests/reference/json_text.R") (the scripts run from the repository's
# root).
#
# num: one number with 17 significant digits (whole numbers print plainly,
# "50"); NULL, NA, NaN and Inf are null. nums: a JSON array of them.
num <- function(x) {
  if (is.null(x) || length(x) != 1L || !is.finite(x)) return("null")
  sprintf("%.17g", as.double(x))
}
nums <- function(x) paste0("[", paste(vapply(as.numeric(x), num, ""), collapse = ", "), "]")
# A string, quoted and escaped; NULL (or empty) is null. A line end inside it
# becomes `newline` (the JSON escape \n by default).
str_json <- function(s, newline = "\\n") {
  if (is.null(s) || length(s) == 0L) return("null")
  s <- gsub("\\", "\\\\", s, fixed = TRUE)
  s <- gsub("\"", "\\\"", s, fixed = TRUE)
  s <- gsub("\n", newline, s, fixed = TRUE)
  paste0("\"", s, "\"")
}
# "key": value (value already JSON text).
field <- function(k, v) paste0("\"", k, "\": ", v)

# lm of formula (a string) on d, weighted by the column wcol (NULL: none).
fit_lm <- function(formula, d, wcol)
  if (is.null(wcol)) lm(as.formula(formula), data = d) else
    lm(as.formula(formula), data = d, weights = d[[wcol]])
# The JSON rows of fit's estimable coefficients (coef(summary(fit)), the
# interval at level): one "  {name, estimate, std_error, t, p, ci_low,
# ci_high}" a row.
coef_rows <- function(fit, level) {
  cf <- coef(summary(fit))
  ci <- confint(fit, level = level)
  vapply(rownames(cf), function(nm) paste0("  {", paste(
      field("name", str_json(nm)), field("estimate", num(cf[nm, 1])),
      field("std_error", num(cf[nm, 2])), field("t", num(cf[nm, 3])),
      field("p", num(cf[nm, 4])), field("ci_low", num(ci[nm, 1])),
      field("ci_high", num(ci[nm, 2])), sep = ", "), "}"), "", USE.NAMES = FALSE)
}
# summary(fit)'s statistics (s = summary(fit)) and the interval level:
# sigma, r_squared, adj_r_squared, f_statistic, f_p (null without an F),
# rss, level.
summary_fields <- function(fit, s, level) {
  fs <- s$fstatistic
  paste(field("sigma", num(s$sigma)), field("r_squared", num(s$r.squared)),
        field("adj_r_squared", num(s$adj.r.squared)),
        field("f_statistic", num(if (is.null(fs)) NA else fs[[1]])),
        field("f_p", num(if (is.null(fs)) NA else
                         pf(fs[[1]], fs[[2]], fs[[3]], lower.tail = FALSE))),
        field("rss", num(deviance(fit))), field("level", num(level)), sep = ", ")
}
# predict.lm on the new data nd: fit, se_fit, confidence {lwr, upr} and
# prediction {lwr, upr} at level, and note (R's warnings while predicting,
# joined with "; ", line ends as blanks; or null), one member a line.
predict_fields <- function(fit, nd, level) {
  warns <- character(0)
  keep <- function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") }
  pr <- withCallingHandlers(predict(fit, nd, se.fit = TRUE), warning = keep)
  pc <- withCallingHandlers(predict(fit, nd, interval = "confidence", level = level),
                            warning = keep)
  pp <- withCallingHandlers(predict(fit, nd, interval = "prediction", level = level),
                            warning = keep)
  warns <- unique(warns)
  bounds <- function(p) paste0("{", field("lwr", nums(unname(p[, "lwr"]))), ", ",
                               field("upr", nums(unname(p[, "upr"]))), "}")
  paste(field("fit", nums(unname(pr$fit))), field("se_fit", nums(unname(pr$se.fit))),
        field("confidence", bounds(pc)), field("prediction", bounds(pp)),
        field("note", if (length(warns)) str_json(paste(warns, collapse = "; "), newline = " ")
                      else "null"), sep = ",\n ")
}
