/*
 * formula_functions.c — the functions a formula may call on numbers, and the
 * operators of R's logical expressions, evaluated in double as R does.
 *
 * One table gives each function's R name, so the parser, the deparser and
 * the error messages agree. Out of their domain the functions give NaN, as
 * R's do (log(-1) is NaN with a warning "NaNs produced"); the model frame
 * then omits the row, as lm's na.omit does.
 */
#include <math.h>
#include <string.h>

#include "formula.h"

static const char *const fn_names[LR_FN_COUNT] = {
    [LR_FN_LOG] = "log",   [LR_FN_LOG2] = "log2", [LR_FN_LOG10] = "log10", [LR_FN_EXP] = "exp",
    [LR_FN_SQRT] = "sqrt", [LR_FN_ABS] = "abs",   [LR_FN_LOG1P] = "log1p", [LR_FN_EXPM1] = "expm1",
    [LR_FN_SIN] = "sin",   [LR_FN_COS] = "cos",   [LR_FN_TAN] = "tan",     [LR_FN_I] = "I",
};

const char *lr_fn_name(lr_fn fn)
{
    return (unsigned)fn < LR_FN_COUNT ? fn_names[fn] : "?";
}

int lr_fn_lookup(const char *name, size_t len, lr_fn *fn)
{
    for (int i = 0; i < LR_FN_COUNT; i++)
        if (len == strlen(fn_names[i]) && !memcmp(name, fn_names[i], len)) {
            *fn = (lr_fn)i;
            return 1;
        }
    return 0;
}

double lr_log_base(double x, double base)
{
    /* R's logbase() (arithmetic.c): exact library logarithms for 10 and 2 */
    if (base == 10)
        return log10(x);
    if (base == 2)
        return log2(x);
    return log(x) / log(base);
}

double lr_fn_eval(lr_fn fn, double a)
{
    switch (fn) {
    case LR_FN_LOG: return log(a);
    case LR_FN_LOG2: return log2(a);
    case LR_FN_LOG10: return log10(a);
    case LR_FN_EXP: return exp(a);
    case LR_FN_SQRT: return sqrt(a);
    case LR_FN_ABS: return fabs(a);
    case LR_FN_LOG1P: return log1p(a);
    case LR_FN_EXPM1: return expm1(a);
    case LR_FN_SIN: return sin(a);
    case LR_FN_COS: return cos(a);
    case LR_FN_TAN: return tan(a);
    case LR_FN_I: return a;
    case LR_FN_COUNT: break;
    }
    return (double)NAN;
}

const char *lr_fn_why(lr_fn fn, double a)
{
    switch (fn) {
    case LR_FN_LOG:
    case LR_FN_LOG2:
    case LR_FN_LOG10: return a == 0 ? "the logarithm of 0" : "the logarithm of a negative value";
    case LR_FN_LOG1P: return a == -1 ? "log1p of -1" : "log1p of a value below -1";
    case LR_FN_SQRT: return "the square root of a negative value";
    case LR_FN_SIN:
    case LR_FN_COS:
    case LR_FN_TAN: return isinf(a) ? "a trigonometric function of an infinite value" : "overflow";
    default: return "overflow";
    }
}

int lr_node_is_logical(lr_node_kind kind)
{
    return kind >= LR_NODE_LT && kind <= LR_NODE_NOT;
}
