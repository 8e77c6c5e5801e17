/*
 * formula_calls.c — the calls of a model formula that make variables of
 * their own: poly(), scale(), ns() and bs() (data-dependent bases, basis.h),
 * factor(), C() and relevel() (categorical coding), interaction() and
 * offset().
 */
#include <math.h>
#include <stdio.h>

#include "basis.h"
#include "formula_impl.h"

/* A number argument, possibly signed; its text as R deparses it appended to b. */
static int basis_number(parser *p, double *x, char *b, size_t bn)
{
    int neg = 0;
    if (is_op(p, '-')) {
        neg = 1;
        lr_lex_next(p);
    }
    if (p->tok.kind != T_NUM)
        return lr_formula_error(p, p->tok.pos, "expected a number");
    *x = neg ? -p->tok.num : p->tok.num;
    sbuf t = {NULL, 0, 0, &p->f->arena};
    lr_deparse_number(&t, *x);
    if (!t.s)
        return (p->failed = 1, lr_error_nomem(p->err));
    strncat(b, t.s, bn - strlen(b) - 1);
    lr_lex_next(p);
    return LR_OK;
}

/* NUM or c(NUM, ...): up to max numbers into x[0..*n). */
static int basis_numbers(parser *p, double *x, size_t max, size_t *n, char *b, size_t bn)
{
    *n = 0;
    if (!tok_is(p, "c"))
        return (*n = 1, basis_number(p, x, b, bn));
    lr_lex_next(p);
    if (!is_op(p, '('))
        return lr_formula_error(p, p->tok.pos, "expected '(' after c");
    lr_lex_next(p);
    strncat(b, "c(", bn - strlen(b) - 1);
    for (;;) {
        if (*n == max)
            return lr_formula_error(p, p->tok.pos, "at most %zu values here", max);
        if (basis_number(p, &x[(*n)++], b, bn))
            return LR_EUSAGE;
        if (!is_op(p, ','))
            break;
        strncat(b, ", ", bn - strlen(b) - 1);
        lr_lex_next(p);
    }
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close c(");
    lr_lex_next(p);
    strncat(b, ")", bn - strlen(b) - 1);
    return LR_OK;
}

/* TRUE/T/FALSE/F, as written into b. */
static int basis_flag(parser *p, int *v, char *b, size_t bn)
{
    static const char *const w[] = {"TRUE", "T", "FALSE", "F"};
    for (int i = 0; i < 4; i++)
        if (tok_is(p, w[i])) {
            *v = i < 2;
            strncat(b, w[i], bn - strlen(b) - 1);
            lr_lex_next(p);
            return LR_OK;
        }
    return lr_formula_error(p, p->tok.pos, "expected TRUE or FALSE");
}

/*
 * poly(arith, d [, raw = TRUE|FALSE]), scale(arith [, center =] [, scale =]),
 * ns(arith [, df =] [, knots =] [, Boundary.knots =]) and bs(... [, degree =]):
 * raw poly is powers; the others a data-dependent basis (basis.h). The label
 * is the call as R deparses it.
 */
int lr_call_basis(parser *p, const token *fn_tok, tset *out)
{
    const char *fn = fn_tok->start;
    lr_basis *b = lr_arena_alloc(&p->f->arena, sizeof *b);
    if (!b)
        return (p->failed = 1, lr_error_nomem(p->err));
    b->kind = *fn == 'p'   ? LR_BASIS_POLY
              : *fn == 's' ? LR_BASIS_SCALE
              : *fn == 'n' ? LR_BASIS_NS
                           : LR_BASIS_BS;
    b->degree = b->kind == LR_BASIS_BS ? 3 : 0;
    b->center = b->scale = 1;
    int raw = 0;
    char args[512] = "";
    lr_lex_next(p); /* ( */
    lr_node *x = lr_arith_sum(p);
    if (!x)
        return LR_EUSAGE;
    for (int argi = 1; is_op(p, ','); argi++) {
        lr_lex_next(p);
        strncat(args, ", ", sizeof args - strlen(args) - 1);
        double v = 0;
        size_t n, at = p->tok.pos;
        if (b->kind == LR_BASIS_POLY && argi == 1) {
            if (basis_number(p, &v, args, sizeof args))
                return LR_EUSAGE;
            if (v < 1 || v > LR_BASIS_MAX_DEGREE || v != floor(v))
                return lr_formula_error(p, at,
                                        "the degree of poly() must be a whole number "
                                        "from 1 to %d",
                                        LR_BASIS_MAX_DEGREE);
            b->degree = (int)v;
            continue;
        }
        static const char *const names[] = {"raw",   "center",         "scale",  "df",
                                            "knots", "Boundary.knots", "degree", "intercept"};
        /* which names each function takes: bit i for names[i] */
        unsigned ok = b->kind == LR_BASIS_POLY    ? 1u
                      : b->kind == LR_BASIS_SCALE ? 6u
                      : b->kind == LR_BASIS_NS    ? 184u
                                                  : 248u;
        int a = -1;
        for (int i = 0; i < 8; i++)
            if ((ok >> i & 1) && tok_is(p, names[i]))
                a = i;
        if (a < 0)
            return lr_formula_error(p, p->tok.pos, "%.*s() takes %s here", (int)fn_tok->len, fn,
                                    b->kind == LR_BASIS_POLY    ? "the degree, then raw ="
                                    : b->kind == LR_BASIS_SCALE ? "center = and scale ="
                                    : b->kind == LR_BASIS_NS    ? "df =, knots =, intercept = and "
                                                                  "Boundary.knots ="
                                                                : "df =, knots =, degree =, "
                                                                  "intercept = and Boundary.knots =");
        strncat(args, names[a], sizeof args - strlen(args) - 1);
        strncat(args, " = ", sizeof args - strlen(args) - 1);
        lr_lex_next(p);
        if (!is_op(p, '='))
            return lr_formula_error(p, p->tok.pos, "expected '=' after %s", names[a]);
        lr_lex_next(p);
        at = p->tok.pos;
        int rc = a == 0   ? basis_flag(p, &raw, args, sizeof args)
                 : a == 1 ? basis_flag(p, &b->center, args, sizeof args)
                 : a == 2 ? basis_flag(p, &b->scale, args, sizeof args)
                 : a == 7 ? basis_flag(p, &b->intercept, args, sizeof args)
                 : a == 4
                     ? basis_numbers(p, b->knots, LR_BASIS_MAX_KNOTS, &b->nknots, args, sizeof args)
                 : a == 5 ? basis_numbers(p, b->boundary, 2, &n, args, sizeof args)
                          : basis_number(p, &v, args, sizeof args);
        if (rc)
            return rc;
        if (a == 4)
            b->knots_given = 1;
        if (a == 5 && (n != 2 || b->boundary[0] == b->boundary[1]))
            return lr_formula_error(p, at, "Boundary.knots needs two different values");
        if (a == 5) {
            b->boundary_given = 1;
            if (b->boundary[0] > b->boundary[1]) {
                double t = b->boundary[0];
                b->boundary[0] = b->boundary[1];
                b->boundary[1] = t;
            }
        }
        if ((a == 3 || a == 6) && (v != floor(v) || v < 1 || v > LR_BASIS_MAX_DEGREE))
            return lr_formula_error(p, at, "%s must be a whole number from 1 to %d", names[a],
                                    LR_BASIS_MAX_DEGREE);
        if (a == 3)
            b->df = (int)v;
        if (a == 6)
            b->degree = (int)v;
    }
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close %.*s(", (int)fn_tok->len, fn);
    lr_lex_next(p);
    if (b->kind == LR_BASIS_POLY && b->degree == 0)
        return lr_formula_error(p, fn_tok->pos, "poly() needs a degree: poly(x, 3)");
    /* columns: poly d; scale 1; ns knots + 1; bs knots + degree, one more with
     * intercept = TRUE, where df (without knots) makes df − 1 (ns) or df − degree
     * (bs) interior knots, one fewer with intercept = TRUE, at least 0 (R's
     * nIknots) */
    int ord = b->kind == LR_BASIS_NS ? 4 : b->degree + 1;
    if ((b->kind == LR_BASIS_NS || b->kind == LR_BASIS_BS) && !b->knots_given && b->df) {
        int m = (b->kind == LR_BASIS_NS ? b->df - 1 : b->df - b->degree) - b->intercept;
        b->nknots = m > 0 ? (size_t)m : 0;
        if (m > LR_BASIS_MAX_KNOTS)
            return lr_formula_error(p, fn_tok->pos, "df makes more than %d knots",
                                    LR_BASIS_MAX_KNOTS);
    }
    b->ncol = b->kind == LR_BASIS_POLY    ? b->degree
              : b->kind == LR_BASIS_SCALE ? 1
              : b->kind == LR_BASIS_NS    ? (int)b->nknots + 1 + b->intercept
                                          : (int)b->nknots + ord - 1 + b->intercept;
    if (b->kind == LR_BASIS_SCALE && !b->center && !b->scale)
        b->ready = 1, b->scale_v = 1; /* scale(x, FALSE, FALSE) is x */
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.*s(", (int)fn_tok->len, fn);
    strncat(args, ")", sizeof args - strlen(args) - 1);
    char *label = lr_formula_label(p, x, prefix, args);
    if (!label)
        return LR_ENOMEM;
    size_t v = lr_formula_var(p, label, LR_VAR_POLY, x, 0, b->ncol, fn_tok->pos);
    if (v != SIZE_MAX && !raw && !p->f->vars[v].basis)
        p->f->vars[v].basis = b;
    return lr_ts_single_var(p, v, out);
}

/* A string argument: its bytes, copied into the arena; sb gets it deparsed
 * as R does ("..."). */
static char *string_arg(parser *p, sbuf *sb)
{
    if (p->tok.kind != T_STR) {
        lr_formula_error(p, p->tok.pos, "expected a string in quotes");
        return NULL;
    }
    char *s = lr_arena_strndup(&p->f->arena, p->tok.start, p->tok.len);
    if (!s) {
        p->failed = 1;
        lr_error_nomem(p->err);
        return NULL;
    }
    if (memchr(s, '"', p->tok.len)) {
        lr_formula_error(p, p->tok.pos, "a level with a double quote is not supported");
        return NULL;
    }
    lr_sb_str(sb, "\"");
    lr_sb_str(sb, s);
    lr_sb_str(sb, "\"");
    lr_lex_next(p);
    return s;
}

/* "name =" ahead (a named argument), the name not consumed. */
static int named_arg(parser *p, const char *name)
{
    const char *after = p->text + p->off;
    while (*after == ' ' || *after == '\t')
        after++;
    return tok_is(p, name) && after[0] == '=' && after[1] != '=';
}

/* C(x, contr): R's contrasts by the function's name, with or without "contr."
 * (R deparses it as written). */
static int contrast_option(parser *p, sbuf *b, lr_var *v)
{
    static const struct {
        const char *name;
        lr_contrast kind;
    } known[] = {{"treatment", LR_CONTR_DEFAULT}, {"contr.treatment", LR_CONTR_TREATMENT_FN},
                 {"sum", LR_CONTR_SUM},           {"contr.sum", LR_CONTR_SUM},
                 {"helmert", LR_CONTR_HELMERT},   {"contr.helmert", LR_CONTR_HELMERT}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (tok_is(p, known[i].name)) {
            v->contrast = known[i].kind;
            lr_sb_str(b, known[i].name);
            lr_lex_next(p);
            if (is_op(p, ','))
                return lr_formula_error(p, p->tok.pos,
                                        "C() takes a factor and its contrasts only "
                                        "(how.many is not supported)");
            return LR_OK;
        }
    return lr_formula_error(p, p->tok.pos,
                            "C() takes contr.treatment, contr.sum or contr.helmert "
                            "(or treatment, sum, helmert): other contrasts are not "
                            "supported");
}

/* The rest of factor(x, levels = c("a", ...)) or relevel(x, ref = "a")
 * after x: the options into v, their deparse into b (R's). */
static int factor_options(parser *p, const token *fn_tok, sbuf *b, lr_var *v)
{
    int relevel = fn_tok->len == 7;
    if (!is_op(p, ','))
        return relevel ? lr_formula_error(p, p->tok.pos, "relevel() needs ref = \"level\"") : LR_OK;
    lr_lex_next(p);
    lr_sb_str(b, ", ");
    if (fn_tok->len == 1)
        return contrast_option(p, b, v);
    if (relevel) {
        if (named_arg(p, "ref")) {
            lr_lex_next(p);
            lr_lex_next(p);
            lr_sb_str(b, "ref = ");
        }
        v->ref = string_arg(p, b);
        return v->ref ? LR_OK : LR_EUSAGE;
    }
    if (!named_arg(p, "levels"))
        return lr_formula_error(p, p->tok.pos, "factor() takes levels = c(\"a\", \"b\", ...)");
    lr_lex_next(p);
    lr_lex_next(p);
    lr_sb_str(b, "levels = c(");
    if (!tok_is(p, "c"))
        return lr_formula_error(p, p->tok.pos, "expected c(\"a\", \"b\", ...)");
    lr_lex_next(p);
    if (!is_op(p, '('))
        return lr_formula_error(p, p->tok.pos, "expected '(' after c");
    lr_lex_next(p);
    size_t cap = 0;
    for (;;) {
        if (v->nlevels == cap) {
            cap = cap ? 2 * cap : 8;
            char **nl = lr_arena_alloc(&p->f->arena, cap * sizeof *nl);
            if (!nl) {
                p->failed = 1;
                return lr_error_nomem(p->err);
            }
            if (v->nlevels)
                memcpy(nl, v->levels, v->nlevels * sizeof *nl);
            v->levels = nl;
        }
        if (v->nlevels)
            lr_sb_str(b, ", ");
        size_t pos = p->tok.pos;
        char *s = string_arg(p, b);
        if (!s)
            return LR_EUSAGE;
        for (size_t i = 0; i < v->nlevels; i++)
            if (!strcmp(v->levels[i], s))
                return lr_formula_error(p, pos, "level \"%s\" is given twice", s);
        v->levels[v->nlevels++] = s;
        if (!is_op(p, ','))
            break;
        lr_lex_next(p);
    }
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close c(");
    lr_lex_next(p);
    lr_sb_str(b, ")");
    return LR_OK;
}

/* factor(name), C(name), factor(name, levels = c(...)), relevel(name, ref = "a") */
int lr_call_factor(parser *p, const token *fn_tok, tset *out)
{
    lr_lex_next(p); /* ( */
    /* relevel(factor(x), ...): as R users write for a numeric column */
    int inner = fn_tok->len == 7 && tok_is(p, "factor");
    if (inner) {
        lr_lex_next(p);
        if (!is_op(p, '('))
            return lr_formula_error(p, p->tok.pos, "expected '(' after factor");
        lr_lex_next(p);
    }
    token t = p->tok;
    if (t.kind != T_NAME)
        return lr_formula_error(p, t.pos, "%.*s() takes a column name", (int)fn_tok->len,
                                fn_tok->start);
    size_t col;
    if (lr_formula_column(p, &t, &col))
        return LR_EUSAGE;
    lr_lex_next(p);
    if (inner) {
        if (!is_op(p, ')'))
            return lr_formula_error(p, p->tok.pos, "expected ')' to close factor(");
        lr_lex_next(p);
    }
    sbuf b = {NULL, 0, 0, &p->f->arena};
    lr_sb_put(&b, fn_tok->start, fn_tok->len);
    lr_sb_str(&b, inner ? "(factor(" : "(");
    lr_deparse_name(&b, p->columns[col]);
    if (inner)
        lr_sb_str(&b, ")");
    lr_var opts = {0};
    if (factor_options(p, fn_tok, &b, &opts))
        return LR_EUSAGE;
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close %.*s(", (int)fn_tok->len,
                                fn_tok->start);
    lr_lex_next(p);
    lr_sb_str(&b, ")");
    if (!b.s) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    size_t v = lr_formula_var(p, b.s, LR_VAR_FACTOR, NULL, col, 0, fn_tok->pos);
    if (v != SIZE_MAX) {
        p->f->vars[v].levels = opts.levels;
        p->f->vars[v].nlevels = opts.nlevels;
        p->f->vars[v].ref = opts.ref;
        p->f->vars[v].contrast = opts.contrast;
    }
    return lr_ts_single_var(p, v, out);
}

/* interaction(a, b, ... [, drop = ] [, sep = "."] [, lex.order = ]): one factor
 * whose levels are the combinations seen (lm drops unused levels, so drop =
 * changes nothing but the label), ordered with a varying fastest. */
int lr_call_interaction(parser *p, const token *fn_tok, tset *out)
{
    sbuf b = {NULL, 0, 0, &p->f->arena};
    lr_sb_str(&b, "interaction(");
    lr_lex_next(p); /* ( */
    size_t cols[64], n = 0;
    int flag = 0, lex = 0;
    const char *sep = ".";
    for (;;) {
        token t = p->tok;
        if (named_arg(p, "drop") || named_arg(p, "lex.order") || named_arg(p, "sep")) {
            int is_sep = tok_is(p, "sep"), is_lex = tok_is(p, "lex.order");
            lr_sb_str(&b, is_sep ? ", sep = " : is_lex ? ", lex.order = " : ", drop = ");
            lr_lex_next(p);
            lr_lex_next(p);
            if (is_sep) {
                size_t at = p->tok.pos;
                if (!(sep = string_arg(p, &b)))
                    return LR_EUSAGE;
                if (strchr(sep, '\x1f'))
                    return lr_formula_error(p, at, "sep cannot hold the byte 0x1f");
            } else {
                char word[8] = ""; /* as written: R deparses T as T */
                if (basis_flag(p, is_lex ? &lex : &flag, word, sizeof word))
                    return LR_EUSAGE;
                lr_sb_str(&b, word);
            }
        } else {
            if (t.kind != T_NAME)
                return lr_formula_error(p, t.pos, "interaction() takes column names");
            if (n == 64)
                return lr_formula_error(p, t.pos, "interaction() of more than 64 columns");
            if (lr_formula_column(p, &t, &cols[n]))
                return LR_EUSAGE;
            if (n)
                lr_sb_str(&b, ", ");
            lr_deparse_name(&b, p->columns[cols[n++]]);
            lr_lex_next(p);
        }
        if (!is_op(p, ','))
            break;
        lr_lex_next(p);
    }
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close interaction(");
    if (n < 2)
        return lr_formula_error(p, fn_tok->pos, "interaction() needs two columns or more");
    lr_lex_next(p);
    lr_sb_str(&b, ")");
    size_t *ic = lr_arena_alloc(&p->f->arena, n * sizeof *ic);
    if (!b.s || !ic) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    memcpy(ic, cols, n * sizeof *ic);
    size_t v = lr_formula_var(p, b.s, LR_VAR_FACTOR, NULL, cols[0], 0, fn_tok->pos);
    if (v != SIZE_MAX) {
        p->f->vars[v].icols = ic;
        p->f->vars[v].nicols = n;
        p->f->vars[v].isep = sep;
        p->f->vars[v].lex_order = lex;
    }
    return lr_ts_single_var(p, v, out);
}

/* offset(expr): a variable in no term (R's terms() keeps it aside, in its
 * "offset" attribute); the term set it adds is empty. */
int lr_call_offset(parser *p, const token *fn_tok)
{
    lr_lex_next(p); /* ( */
    if (p->in_lhs)
        return lr_formula_error(p, fn_tok->pos, "offset() belongs on the right of '~'");
    lr_node *x = lr_arith_expr(p);
    if (!x)
        return LR_EUSAGE;
    if (!is_op(p, ')'))
        return lr_formula_error(p, p->tok.pos, "expected ')' to close offset(");
    lr_lex_next(p);
    char *label = lr_formula_label(p, x, "offset(", ")");
    if (!label)
        return LR_ENOMEM;
    size_t v = lr_formula_var(p, label, LR_VAR_EXPR, x, 0, 0, fn_tok->pos);
    if (v == SIZE_MAX)
        return LR_ENOMEM;
    if (p->f->offset && p->f->offset != v)
        return lr_formula_error(p, fn_tok->pos,
                                "linreg supports one offset() (add them in one: "
                                "offset(a + b))");
    p->f->offset = v;
    return LR_OK;
}
