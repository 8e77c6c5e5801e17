/*
 * basis.h — data-dependent bases of formula variables (internal): R's
 * orthogonal poly(), scale(), and the splines package's ns() and bs().
 *
 * Their columns depend on statistics of the variable over the model frame's
 * rows (after na.omit): poly's recurrence coefficients alpha and norm2,
 * scale's centre and standard deviation, the splines' knots at quantiles of
 * x and their boundary knots at its range. The frame collects the variable's
 * values in a first pass (model_frame_basis.c), lr_basis_fit computes these, and
 * the second pass, the model file and prediction evaluate the basis from
 * them (as R's makepredictcall does).
 */
#ifndef LR_BASIS_H
#define LR_BASIS_H

#include "internal.h"

/* Interior knots a spline may have (explicit or from df). */
#define LR_BASIS_MAX_KNOTS 64
/* The highest degree of poly() and bs(). */
#define LR_BASIS_MAX_DEGREE 30

typedef enum lr_basis_kind {
    LR_BASIS_POLY = 0, /* poly(x, degree): orthogonal polynomials */
    LR_BASIS_SCALE,    /* scale(x): (x − centre) / scale */
    LR_BASIS_NS,       /* splines::ns(x, ...): natural cubic splines */
    LR_BASIS_BS        /* splines::bs(x, ...): B-splines of a degree */
} lr_basis_kind;

typedef struct lr_basis {
    lr_basis_kind kind; /* which basis */
    int ncol;           /* columns it makes */
    int ready;          /* the parameters below are known */
    uint64_t serial;    /* unique per lr_basis_prepare (lr_basis_column's cache key) */
    /* as written in the formula */
    int degree;         /* poly: the degree; bs: the spline's degree (3) */
    int df;             /* ns/bs: df = (0: not given) */
    int center;         /* scale: centre (scale(x, center = FALSE) clears it) */
    int scale;          /* scale: divide by the sd (scale = FALSE clears it) */
    int knots_given;    /* ns/bs: knots = c(...) given */
    int boundary_given; /* ns/bs: Boundary.knots = c(a, b) given */
    int intercept;      /* ns/bs: intercept = TRUE: the first B-spline is kept (one
                           column more, one knot fewer from df) */
    /* from the data (or as given) */
    size_t nknots;                         /* ns/bs: interior knots */
    double knots[LR_BASIS_MAX_KNOTS];      /* ns/bs: interior knots, ascending */
    double boundary[2];                    /* ns/bs: boundary knots */
    double alpha[LR_BASIS_MAX_DEGREE];     /* poly: alpha[0..degree) */
    double norm2[LR_BASIS_MAX_DEGREE + 2]; /* poly: norm2[0..degree+2), norm2[0] = 1 */
    double center_v;                       /* scale: the centre (0 without centring) */
    double scale_v;                        /* scale: the divisor (1 without scaling) */
    /* derived (lr_basis_prepare): ns's projection off the second derivatives at
     * the boundary knots, the Householder QR of t(const) as LINPACK dqrdc2 */
    double qr[2 * (LR_BASIS_MAX_KNOTS + 8)]; /* ns: nb × 2, column-major (nb = knots + 3) */
    double qraux[2];                         /* ns: LINPACK's qraux */
} lr_basis;

/* The parameters from the variable's values x[0..n) (stride `stride`), R's
 * way; LR_EDATA naming `label` when the data cannot make the basis (too few
 * distinct values for the degree, zero standard deviation). */
int lr_basis_fit(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                 lr_error *err);

/* Derived state from the parameters (after lr_basis_fit or loading them);
 * LR_EDATA when they are inconsistent (knots not ascending, degenerate). */
int lr_basis_prepare(lr_basis *b, const char *label, lr_error *err);

/* The basis at x: out[0..ncol). Before the basis is ready, zeros. */
void lr_basis_eval(const lr_basis *b, double x, double *out);

/* Column j (1-based) of the basis at x. */
double lr_basis_column(const lr_basis *b, double x, unsigned j);

/* ---- the parts (basis_poly.c, basis_spline.c) ---- */
int lr_basis_fit_poly(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                      lr_error *err);
int lr_basis_fit_scale(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                       lr_error *err);
void lr_basis_eval_poly(const lr_basis *b, double x, double *out);
int lr_basis_fit_spline(lr_basis *b, const double *x, size_t n, size_t stride, const char *label,
                        lr_error *err);
int lr_basis_prepare_spline(lr_basis *b, const char *label, lr_error *err);
void lr_basis_eval_spline(const lr_basis *b, double x, double *out);

#endif
