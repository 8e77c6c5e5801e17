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
