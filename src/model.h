/*
 * model.h — a saved model as a plain C value (internal; linreg.h's lr_model).
 *
 * A fit made with keep_model holds one (model_build.c makes it from the
 * frame, the fit's results and the statistics); lr_model_load returns one
 * (model_io.c reads it from the file); model_io.c writes one as the JSON of
 * a model file; predict.c predicts from one. JSON exists only in model_io.c
 * (and in the parts it delegates to: model_check.c, basis_json.c,
 * fe_model.c): nothing here is a jansson value.
 *
 * Every field is owned by the model and freed by lr_model_free.
 */
#ifndef LR_MODEL_H
#define LR_MODEL_H

#include "basis.h"
#include "fe_model.h"
#include "model_frame.h"

/* The file format this build writes and reads. */
#define LR_MODEL_FORMAT "linreg-model"
#define LR_MODEL_FORMAT_VERSION 1
#define LR_MODEL_MAX_NA_STRINGS 128 /* missing-value spellings a prediction reads */

/* A string of the data: bytes that need not be UTF-8 nor free of NUL. */
typedef struct lr_model_text {
    char *s;  /* the bytes, NUL-terminated (owned) */
    size_t n; /* their number */
} lr_model_text;

/* What a factor variable's levels are, as loaded: prediction refuses a
 * model whose levels are not of its column's type. */
typedef enum lr_level_kind {
    LR_LEVELS_TEXT = 0, /* strings (level) */
    LR_LEVELS_NUMBER,   /* numbers (level_x) */
    LR_LEVELS_MIXED,    /* of both or other types (a damaged file) */
    LR_LEVELS_ABSENT    /* no "levels" array (a damaged file) */
} lr_level_kind;

/* A formula variable after the response. */
typedef struct lr_model_var {
    lr_model_text label;  /* as R's terms() print it */
    int factor;           /* categorical */
    int numeric_levels;   /* factor: its levels are numbers (as the file says) */
    lr_level_kind kind;   /* factor: what its levels are */
    size_t nlevels;       /* factor: its levels, in R's order */
    lr_model_text *level; /* factor with text levels: nlevels entries, else NULL */
    double *level_x;      /* factor with numeric levels: nlevels entries, else NULL */
    lr_basis *basis;      /* poly, scale, ns, bs: the fitted basis, else NULL */
} lr_model_var;

/* A list of strings (column names, missing-value spellings). */
typedef struct lr_model_list {
    lr_model_text *s; /* n entries */
    size_t n;         /* their number */
    size_t cap;       /* entries allocated in s */
} lr_model_list;

struct lr_model {
    char *path;                /* loaded: the file's name for messages; NULL for a fit's */
    lr_model_text formula;     /* the model as given (R's formula) */
    lr_model_text prediction;  /* the formula prediction rebuilds the frame from
                                  (predict.c's header comment) */
    lr_model_text response;    /* the response's label */
    int intercept;             /* the model has an intercept */
    lr_model_text weights;     /* the weights column (s NULL: none) */
    char *method;              /* the method's name (lr_method_name) */
    uint64_t n;                /* observations (rows with nonzero weight) */
    size_t rank;               /* rank, with absorbed fixed effects' dummies */
    double df;                 /* residual degrees of freedom */
    double sigma;              /* residual standard error (NaN: none) */
    uint64_t rows_used;        /* the rows the fit used */
    lr_model_text fingerprint; /* their fingerprint, 16 hex digits (row_fingerprint.c);
                                  s NULL: not known (a file of an older linreg) */
    lr_model_list logical;     /* the logical columns */
    lr_model_list predictors;  /* the columns the predictors read */
    size_t nvars;              /* variables after the response */
    lr_model_var *vars;        /* nvars entries */
    lr_model_list categorical; /* the columns read as text */
    lr_model_list na_strings;  /* extra missing-value spellings (the fit's, then added) */
    size_t p;                  /* coefficients */
    lr_model_text *names;      /* their names, p entries */
    double *beta;              /* estimates, p (NaN where aliased) */
    unsigned char *aliased;    /* p flags */
    size_t nkept;              /* coefficients not aliased */
    double *xtx_inv;           /* (XᵀX)⁻¹, p × p, ld p */
    /* the accumulated statistics (a later version can update or merge the fit) */
    int stats_factor;  /* 1: the triangle is the QR factor R, 0: the centred
                          cross products */
    size_t k;          /* accumulator columns */
    double weight_sum; /* Σ w */
    uint64_t nobs;     /* rows accumulated */
    double *mean;      /* k means */
    double *tri;       /* k × k, ld k: the upper triangle (the rest unset) */
    /* the factor of the kept columns' cross products, for predictions'
     * standard errors (model_se_factor.c); se_tri NULL: none (fixed effects,
     * ridge, a file written before it) */
    size_t se_n;     /* kept model columns besides the intercept */
    double *se_mean; /* se_n: their means (with an intercept), else zeros */
    double *se_tri;  /* se_n × se_n, ld se_n: upper triangular T, TᵀT = their
                        centred cross products (raw without an intercept) */
    lr_fe_model *fe; /* absorbed fixed effects (fe_model.c), or NULL */
    size_t max_line; /* the longest row of new data read (0: the default) */
};

/* A finished fit's results, as fit_result.c hands them to lr_model_create. */
typedef struct lr_model_result {
    const char *formula;   /* the model as given */
    const char *response;  /* the response's label */
    int intercept;         /* 1 with an intercept */
    const char *weights;   /* weights column, or NULL */
    lr_method method;      /* the method asked for */
    uint64_t n;            /* observations */
    size_t rank;           /* rank */
    double df;             /* residual degrees of freedom */
    double sigma;          /* residual standard error */
    size_t p;              /* coefficients */
    const lr_coef *coefs;  /* p entries */
    const double *xtx_inv; /* (XᵀX)⁻¹, p × p */
    size_t ld;             /* its leading dimension */
} lr_model_result;

/* The model of a fit (model_build.c): its variables, levels, columns and
 * bases from the frame (after lr_frame_model), the results r, the
 * statistics acc. *out freed with lr_model_free. LR_ENOMEM. */
int lr_model_create(const lr_frame *f, const lr_model_result *r, const lr_accum *acc,
                    lr_model **out, lr_error *err);

/* m's se_* (model_se_factor.c) from the statistics acc, whose columns
 * acc_col[0..q) are the model's columns besides the intercept (lr_frame_model's
 * order). With no usable factor (a Gram matrix not positive definite) they
 * stay unset and predictions fall back to (XᵀX)⁻¹. LR_ENOMEM. */
int lr_model_se_factor_make(lr_model *m, const lr_accum *acc, const size_t *acc_col, size_t q,
                            lr_error *err);
/* x'(XᵀX)⁻¹x for the model row xf[0..p) (the intercept's 1 first, if any)
 * from se_tri, as ‖T⁻ᵀ(x − μ)‖² + 1/W, a sum of squares that cannot cancel;
 * work holds se_n doubles. NaN when m has no se_tri. */
double lr_model_se_quad(const lr_model *m, const double *xf, double *work);
void lr_model_se_factor_free(lr_model *m);

/* A copy of n bytes into t (a NUL after them). 0, or -1 out of memory. */
int lr_model_text_set(lr_model_text *t, const char *s, size_t n);

/* The model file's JSON written to an open output (model_io.c; not
 * committed), or to path through lr_output (the old file stays whole until
 * the new one is complete on disk). */
int lr_model_write(const lr_model *m, lr_output *o, lr_error *err);
int lr_model_save(const lr_model *m, const char *path, lr_error *err);

/* lr_model_load on the bytes data[0..len) of a model file (borrowed; need not
 * be NUL-terminated), `name` standing for the file in messages: the same
 * checks and messages. Caller frees *out with lr_model_free. */
int lr_model_load_buffer(const char *data, size_t len, const char *name, lr_model **out,
                         lr_error *err);

#endif
