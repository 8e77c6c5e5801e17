/*
 * formula.h — R's model formulas (Wilkinson–Rogers notation), parsed against
 * the data's column names into variables and terms (internal).
 */
#ifndef LR_FORMULA_H
#define LR_FORMULA_H

/* The most terms a formula may expand to (a model has at most 4096 columns). */
#define LR_FORMULA_MAX_TERMS 4096

#include "internal.h"

/* Functions allowed on numbers. */
typedef enum lr_fn {
    LR_FN_LOG = 0, /* natural logarithm */
    LR_FN_LOG2,    /* base-2 logarithm */
    LR_FN_LOG10,   /* base-10 logarithm */
    LR_FN_EXP,     /* exponential */
    LR_FN_SQRT,    /* square root */
    LR_FN_ABS,     /* absolute value */
    LR_FN_LOG1P,   /* log(1 + a), accurate near 0 */
    LR_FN_EXPM1,   /* exp(a) − 1, accurate near 0 */
    LR_FN_SIN,     /* sine (radians) */
    LR_FN_COS,     /* cosine (radians) */
    LR_FN_TAN,     /* tangent (radians) */
    LR_FN_I,       /* I(a): the identity, kept so labels deparse as written */
    LR_FN_COUNT    /* the number of functions (not a function) */
} lr_fn;

/* The function table (formula_functions.c): R's name of fn, and fn's value at a
 * in double (R's value: NaN outside the domain, e.g. log(−1)). */
const char *lr_fn_name(lr_fn fn);
/* The function called `name` (len bytes): 1 and *fn, or 0 if none. */
int lr_fn_lookup(const char *name, size_t len, lr_fn *fn);
double lr_fn_eval(lr_fn fn, double a);
/* R's log(x, base): log10/log2 for those bases (as R's logbase does), else
 * log(x) / log(base). */
double lr_log_base(double x, double base);
/* Why fn(a) is not finite ("the logarithm of a negative value"). */
const char *lr_fn_why(lr_fn fn, double a);

/* A node of an arithmetic expression (inside I(), a function, or poly()). */
typedef enum lr_node_kind {
    LR_NODE_NUM = 0, /* a number */
    LR_NODE_COL,     /* a data column */
    LR_NODE_NEG,     /* −a */
    LR_NODE_ADD,     /* a + b */
    LR_NODE_SUB,     /* a − b */
    LR_NODE_MUL,     /* a × b */
    LR_NODE_DIV,     /* a / b */
    LR_NODE_POW,     /* a ^ b */
    LR_NODE_FN,      /* fn(a) */
    LR_NODE_PAREN,   /* (a): kept so labels deparse as written */
    LR_NODE_LOGB,    /* log(a, b): logarithm of a to base b */
    LR_NODE_LT,      /* a < b: 1 or 0 (NaN if either is NaN, as R's NA) */
    LR_NODE_LE,      /* a <= b */
    LR_NODE_GT,      /* a > b */
    LR_NODE_GE,      /* a >= b */
    LR_NODE_EQ,      /* a == b */
    LR_NODE_NE,      /* a != b */
    LR_NODE_AND,     /* a & b: R's three-valued and (FALSE & NA is FALSE) */
    LR_NODE_OR,      /* a | b: R's three-valued or (TRUE | NA is TRUE) */
    LR_NODE_NOT      /* !a */
} lr_node_kind;

/* 1 if the node's value is R's logical (a comparison, &, |, !, or one of
 * those in parentheses). */
int lr_node_is_logical(lr_node_kind kind);

/*
 * The deepest a formula may nest: levels of parentheses, calls, unary signs and
 * powers while parsing, and operators on the longest path of an expression
 * tree ("x + x + x" is three deep). The parser and everything that walks an
 * expression (deparsing, evaluation in double and MPFR, column marking)
 * recurse once per level, so this bounds their stack use for any input.
 */
#define LR_FORMULA_MAX_DEPTH 500

typedef struct lr_node {
    lr_node_kind kind; /* what the node is */
    double num;        /* LR_NODE_NUM: the value */
    const char *text;  /* LR_NODE_NUM: the number as written (for extended precision) */
    size_t col;        /* LR_NODE_COL: data column index */
    lr_fn fn;          /* LR_NODE_FN: the function */
    int named;         /* LR_NODE_LOGB: the base was written "base = b" */
    struct lr_node *a; /* first operand */
    struct lr_node *b; /* second operand (binary nodes) */
    size_t pos;        /* 1-based position in the formula text */
    size_t id;         /* 0..nnodes−1, unique in the formula: a slot for evaluators */
    size_t depth;      /* nodes on the longest path from here to a leaf (1: a leaf) */
} lr_node;

/* A variable of the model ("factor" in R's terms vocabulary). */
typedef enum lr_var_kind {
    LR_VAR_COLUMN = 0, /* a bare column: numeric, or a factor if the column holds text */
    LR_VAR_EXPR,       /* a numeric expression: I(...), log(...), ... */
    LR_VAR_FACTOR,     /* factor(col) or C(col): a categorical variable */
    LR_VAR_POLY        /* poly(expr, degree, raw = TRUE): degree columns; with a basis
                          (poly, scale, ns, bs: basis.h) its ncol columns */
} lr_var_kind;

/* The contrasts of C(x, contr): R's contrast matrices (stats::contr.*). */
typedef enum lr_contrast {
    LR_CONTR_DEFAULT = 0,  /* treatment, columns named by level: factor(x), C(x), and
                              C(x, treatment) (R passes the name, so the levels name them) */
    LR_CONTR_TREATMENT_FN, /* C(x, contr.treatment): treatment, R calls the function
                              with the level count, so columns are named 2, 3, ... */
    LR_CONTR_SUM,          /* C(x, sum) or C(x, contr.sum): level i − last level */
    LR_CONTR_HELMERT       /* C(x, helmert) or C(x, contr.helmert): level j + 1 against
                              the mean of levels 1..j, scaled (column j: −1 ... −1, j) */
} lr_contrast;

typedef struct lr_var {
    char *label;      /* as R deparses it: "log(d)", "I(x^2)", "`my x`", "factor(cyl)" */
    lr_var_kind kind; /* see lr_var_kind */
    lr_node *expr; /* LR_VAR_EXPR and LR_VAR_POLY: the expression; LR_VAR_COLUMN: the column node */
    size_t col;    /* LR_VAR_COLUMN and LR_VAR_FACTOR: the data column */
    int degree;    /* LR_VAR_POLY: the degree (with a basis: its columns) */
    struct lr_basis *basis; /* LR_VAR_POLY: a data-dependent basis (basis.h), NULL: raw powers */
    int logical;            /* LR_VAR_EXPR: R's logical (I(x > 5)): coded as R codes a
                               logical, a factor with levels FALSE, TRUE, so its one
                               column is named label + "TRUE" */
    size_t pos;             /* 1-based position of its first appearance in the formula */
    char **levels;          /* LR_VAR_FACTOR from factor(x, levels = c(...)): the levels in
                               the order given (a value not among them is NA); else NULL */
    size_t nlevels;         /* their number */
    char *ref;              /* LR_VAR_FACTOR from relevel(x, ref = "b"): the reference
                               level, put first; else NULL */
    lr_contrast contrast;   /* LR_VAR_FACTOR from C(x, contr): how it is coded where R
                               codes it by contrasts (LR_CONTR_DEFAULT otherwise) */
    size_t coded;           /* C(x, sum or helmert) once its levels are known: the variable
                               (LR_VAR_POLY, appended) holding its contrast-coded columns,
                               which replaces it in the terms that code it by contrasts
                               (model_frame_coded.c); 0: none */
    size_t codes;           /* that appended variable: the factor variable it codes; 0: none */
    const size_t *icols;    /* LR_VAR_FACTOR from interaction(a, b, ...): the columns whose
                               levels combine (col is icols[0]); else NULL */
    size_t nicols;          /* their number (at least 2) */
    const char *isep;       /* interaction(): sep, between the parts of a level's name (".") */
    int lex_order;          /* interaction(lex.order = TRUE): the first part varies slowest */
} lr_var;

/* A term: a set of variables (indices into lr_formula.vars, ascending). */
typedef struct lr_term {
    size_t *vars; /* the variables, ascending */
    size_t n;     /* their number (the term's order) */
} lr_term;

typedef struct lr_formula {
    char *text;     /* the formula as given */
    lr_var *vars;   /* variables in order of first appearance; vars[0] is the response */
    size_t nvars;   /* their number */
    lr_term *terms; /* right-hand-side terms, sorted by order (stable), no duplicates */
    size_t nterms;  /* their number */
    int intercept;  /* 1 if the model has an intercept */
    size_t offset;  /* the variable of offset(expr), in no term (0: none, as
                       variable 0 is the response): lm fits y − offset */
    size_t nnodes;  /* expression nodes created (their ids are 0..nnodes−1) */
    lr_arena arena; /* owns everything above */
} lr_formula;

/*
 * Parse `text` against the data's column names (columns[0..ncols), used to
 * resolve names and to expand "."). Errors are LR_EUSAGE with a message
 * "formula:POS: what is wrong" followed by the formula and a caret under POS
 * on two further lines; unknown columns suggest the closest name.
 */
int lr_formula_parse(const char *text, const char *const *columns, size_t ncols, lr_formula **out,
                     lr_error *err);

/* The formula for -y NAME [-x A,B,...] [--no-intercept]: features NULL means
 * every other column. Names are backquoted where R would need it. */
int lr_formula_from_columns(const char *target, const char *const *features, size_t nfeatures,
                            int intercept, const char *const *columns, size_t ncols,
                            lr_formula **out, lr_error *err);

/* Evaluate an expression for one row: vals[col] holds the row's numeric value
 * of each data column (only the columns the expression uses are read). */
double lr_node_eval(const lr_node *n, const double *vals);

/* 1 if the name is syntactic in R (needs no backquotes). */
int lr_name_is_syntactic(const char *name);

void lr_formula_free(lr_formula *f);

#endif
