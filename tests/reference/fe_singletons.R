# fe_singletons.R -- iterative singleton removal, as linreg does it (a level
# seen once in any factor drops its row, until none is left), for the
# gen_r_fe*.R and gen_r_cluster.R scripts:
# source("tests/reference/fe_singletons.R").
drop_singletons <- function(d, fes) {
  repeat {
    keep <- rep(TRUE, nrow(d))
    for (f in fes) {
      tab <- table(d[[f]])
      keep <- keep & !(d[[f]] %in% names(tab)[tab == 1])
    }
    if (all(keep)) return(d)
    d <- d[keep, ]
  }
}
