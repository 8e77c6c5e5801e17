# gen_r_inference.R -- R reference values for linreg's --anova, --vif and
# --test (tests/test_inference.c).
#
# Produces tests/data/r_inference.json:
#   anova:      stats::anova(lm(...)): per row term, df, sum_sq, mean_sq, f, p
#               (the residuals' f and p are null)
#   vif:        car::vif(lm(...)): per term gvif, df, gvif_adj (GVIF^(1/(2*Df)),
#               computed as car does when some term has df > 1, else
#               sqrt(GVIF)); a one-column-per-term model gives car's plain VIFs
#   hypothesis: car::linearHypothesis(fit, h, vcov. = V) for V = vcov(fit)
#               ("classical") or sandwich::vcovHC(fit, type = "HC0".."HC3"):
#               f, df1, df2, p_f (test = "F"), chisq, p_chisq (test = "Chisq"),
#               and for the classical V the RSS of the restricted model and the
#               sum of squares of the restrictions; also under
#               sandwich::NeweyWest(fit, lag = 3, prewhite = FALSE) ("HAC", hac_lag 3)
#   hac:        sandwich::NeweyWest(fit, lag = L, prewhite = FALSE) (rows in file
#               order): the full covariance, column-major, in "vcov"
# Numbers with 15 significant digits (jsonlite digits = NA); NA is null.
#
# Run from the repository root:  Rscript tests/reference/gen_r_inference.R
# CI does not need R: the generated JSON is committed.
suppressPackageStartupMessages({
  library(jsonlite)
  library(car)
  library(sandwich)
})
options(contrasts = c("contr.treatment", "contr.poly"))

source("tests/reference/json_text.R") # fit_lm

rd <- function(file) read.csv(file.path("datasets", file))
fit_of <- function(file, formula, weights) fit_lm(formula, rd(file), weights)
nn <- function(x) if (is.null(x) || is.na(x)) NA else x

anova_cases <- list(
  list("cars_speed", "cars.csv", "dist ~ speed", NULL),
  list("warpbreaks_wool_x_tension", "warpbreaks.csv", "breaks ~ wool * tension", NULL),
  list("mtcars_wt_hp_cyl", "mtcars.csv", "mpg ~ wt + hp + factor(cyl)", NULL),
  list("mtcars_cyl_first", "mtcars.csv", "mpg ~ factor(cyl) + wt + hp", NULL),
  list("iris_petal_x_species", "iris.csv", "Sepal.Length ~ Petal.Length * Species", NULL),
  list("swiss_weighted_dot", "swiss.csv", "Fertility ~ . - province", "Catholic"),
  list("trees_weighted", "trees.csv", "Volume ~ Girth + Height", "Height"),
  list("mtcars_weighted_am", "mtcars.csv", "mpg ~ wt + hp", "am"),
  list("mtcars_noint_factor", "mtcars.csv", "mpg ~ 0 + factor(cyl) + wt", NULL),
  list("women_minus1", "women.csv", "weight ~ height - 1", NULL),
  list("mtcars_aliased_I", "mtcars.csv", "mpg ~ wt + I(2 * wt) + hp", NULL),
  list("airquality_month_factor", "airquality.csv", "Ozone ~ Temp + factor(Month)", NULL),
  list("cars_poly3", "cars.csv", "dist ~ poly(speed, 3, raw = TRUE)", NULL),
  list("toothgrowth_factor_dose", "ToothGrowth.csv", "len ~ supp * factor(dose)", NULL),
  list("stackloss_all", "stackloss.csv", "stack.loss ~ .", NULL),
  list("longley_all", "longley.csv", "Employed ~ .", NULL)
)

vif_cases <- list(
  list("mtcars_wt_hp_cyl", "mtcars.csv", "mpg ~ wt + hp + factor(cyl)", NULL),
  list("mtcars_four", "mtcars.csv", "mpg ~ wt + hp + qsec + disp", NULL),
  list("swiss_weighted_dot", "swiss.csv", "Fertility ~ . - province", "Catholic"),
  list("iris_species", "iris.csv", "Sepal.Length ~ Petal.Length + Petal.Width + Species", NULL),
  list("longley_all", "longley.csv", "Employed ~ .", NULL),
  list("mtcars_noint", "mtcars.csv", "mpg ~ 0 + wt + hp", NULL)
)

hyp_cases <- list(
  list("mtcars_three", "mtcars.csv", "mpg ~ wt + hp + qsec", NULL,
       c("wt = 2*hp", "wt + hp = -3", "qsec = 1")),
  list("mtcars_one", "mtcars.csv", "mpg ~ wt + hp + qsec", NULL, c("wt = 2*hp")),
  list("mtcars_intercept", "mtcars.csv", "mpg ~ wt + hp + qsec", NULL,
       c("(Intercept) = 20", "qsec")),
  list("warpbreaks_interaction", "warpbreaks.csv", "breaks ~ wool * tension", NULL,
       c("woolB:tensionL = woolB:tensionM", "woolB:tensionL = 0")),
  list("iris_slopes", "iris.csv", "Sepal.Length ~ Petal.Length * Species", NULL,
       c("Petal.Length:Speciesversicolor = Petal.Length:Speciesvirginica")),
  list("mtcars_cyl", "mtcars.csv", "mpg ~ wt + factor(cyl)", NULL,
       c("factor(cyl)6 = factor(cyl)8", "-0.5*factor(cyl)6 + 2 = wt")),
  list("swiss_weighted", "swiss.csv", "Fertility ~ . - province", "Catholic",
       c("Agriculture = Examination", "Education = -1"))
)

anova_out <- lapply(anova_cases, function(c) {
  a <- anova(fit_of(c[[2]], c[[3]], c[[4]]))
  rows <- lapply(seq_len(nrow(a)), function(i) list(
    term = rownames(a)[i], df = a$Df[i], sum_sq = a$`Sum Sq`[i],
    mean_sq = a$`Mean Sq`[i], f = nn(a$`F value`[i]), p = nn(a$`Pr(>F)`[i])))
  list(id = c[[1]], file = c[[2]], formula = c[[3]], weights = nn(c[[4]]), rows = rows)
})

vif_out <- lapply(vif_cases, function(c) {
  v <- suppressWarnings(suppressMessages(vif(fit_of(c[[2]], c[[3]], c[[4]]))))
  if (is.null(dim(v))) v <- cbind(v, 1, sqrt(v))
  rows <- lapply(seq_len(nrow(v)), function(i) list(
    term = rownames(v)[i], gvif = v[i, 1], df = v[i, 2], gvif_adj = v[i, 3]))
  list(id = c[[1]], file = c[[2]], formula = c[[3]], weights = nn(c[[4]]), rows = rows)
})

hyp_out <- list()
for (c in hyp_cases) {
  fit <- fit_of(c[[2]], c[[3]], c[[4]])
  vcs <- if (is.null(c[[4]])) c("classical", "HC0", "HC1", "HC2", "HC3", "HAC") else "classical"
  for (vc in vcs) {
    V <- if (vc == "classical") vcov(fit)
         else if (vc == "HAC") NeweyWest(fit, lag = 3, prewhite = FALSE)
         else vcovHC(fit, type = vc)
    hf <- linearHypothesis(fit, c[[5]], vcov. = if (vc == "classical") NULL else V)
    hc <- linearHypothesis(fit, c[[5]], vcov. = V, test = "Chisq")
    classical <- vc == "classical"
    hyp_out[[length(hyp_out) + 1]] <- list(
      id = paste0(c[[1]], "_", vc), file = c[[2]], formula = c[[3]],
      weights = nn(c[[4]]), vcov = vc, hac_lag = if (vc == "HAC") 3 else NA,
      hypothesis = paste(c[[5]], collapse = "; "),
      f = hf$F[2], df1 = hf$Df[2], df2 = hf$Res.Df[2], p_f = hf$`Pr(>F)`[2],
      chisq = hc$Chisq[2], p_chisq = hc$`Pr(>Chisq)`[2],
      rss_restricted = if (classical) hf$RSS[1] else NA,
      sum_sq = if (classical) hf$`Sum of Sq`[2] else NA)
  }
}

hac_cases <- list(
  list("longley_gnp_pop", "longley.csv", "Employed ~ GNP + Population", NULL, c(0, 1, 2, 5)),
  list("longley_all", "longley.csv", "Employed ~ .", NULL, c(3)),
  list("airquality_na", "airquality.csv", "Ozone ~ Temp + Wind", NULL, c(1, 4, 12)),
  list("mtcars_cyl", "mtcars.csv", "mpg ~ wt + factor(cyl)", NULL, c(2)),
  list("trees_weighted", "trees.csv", "Volume ~ Girth + Height", "Height", c(0, 3)),
  list("warpbreaks_wool_x_tension", "warpbreaks.csv", "breaks ~ wool * tension", NULL, c(6))
)
hac_out <- list()
for (c in hac_cases) {
  fit <- fit_of(c[[2]], c[[3]], c[[4]])
  for (L in c[[5]]) {
    V <- NeweyWest(fit, lag = L, prewhite = FALSE)
    hac_out[[length(hac_out) + 1]] <- list(
      id = paste0(c[[1]], "_lag", L), file = c[[2]], formula = c[[3]],
      weights = nn(c[[4]]), lag = L, p = ncol(V), vcov = as.vector(V))
  }
}

out <- list(r_version = R.version.string,
            car_version = as.character(packageVersion("car")),
            sandwich_version = as.character(packageVersion("sandwich")),
            anova = anova_out, vif = vif_out, hypothesis = hyp_out, hac = hac_out)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null",
                  pretty = TRUE),
           "tests/data/r_inference.json")
