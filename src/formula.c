/*
 * formula.c — R's model formulas parsed into variables and terms.
 *
 * The language is R's (Wilkinson & Rogers 1973; Chambers & Hastie 1992):
 *
 *   formula  := expr '~' rhs
 *   rhs      := ['+'|'-'] prod (('+'|'-') prod)*       union, removal
 *   prod     := inter (('*'|'/') inter)*              a*b = a + b + a:b, a/b = a + a:b
 *   inter    := power (':' power)*                     interaction
 *   power    := primary ['^' integer]                  (a + b)^2: crossing up to order 2
 *   primary  := name | `name` | '.' | 0 | 1 | '(' rhs ')' | call
 *   call     := I(arith) | log(arith) | log2 | log10 | exp | sqrt | abs
 *             | poly(arith, k [, raw = TRUE]) | scale(arith, ...) | ns(arith, ...)
 *             | bs(arith, ...) | factor(name) | C(name)
 *   arith    := the usual + - * / ^, unary minus, numbers, names, calls, parentheses
 *
 * Term algebra: a model expression denotes a set of terms; a term is a set of
 * variables, the empty term being the intercept. Variables are numbered in
 * order of first appearance (the response first), terms are sorted by order
 * (the number of variables), stably — which is what R's terms() does, so the
 * coefficients come out in R's order. A variable's label is the expression
 * deparsed as R deparses it (spaces around + - *, none around / ^ :, numbers
 * with up to 15 significant digits, parentheses as written).
 *
 * This file holds the entry points; the lexer, the deparser, the arithmetic,
 * the term algebra and the calls are in formula_*.c (formula_impl.h).
 */
#include "formula_impl.h"

void lr_formula_free(lr_formula *f)
{
    if (!f)
        return;
    lr_arena arena = f->arena;
    lr_arena_free(&arena);
    lr_mem_free(f, sizeof *f);
}

static int finish(parser *p, tset *rhs)
{
    lr_formula *f = p->f;
    /* The intercept is present unless the last word on it was 0 or −1; an
     * explicit "1" is the intercept, not a term. */
    int intercept = !rhs->zero;
    size_t n = 0;
    for (size_t i = 0; i < rhs->n; i++)
        n += rhs->t[i].n > 0;
    f->intercept = intercept;
    f->terms = lr_arena_alloc(&f->arena, (n ? n : 1) * sizeof(lr_term));
    if (!f->terms) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    /* Sort by order, stably (R's keep.order = FALSE). */
    size_t maxo = 0;
    for (size_t i = 0; i < rhs->n; i++)
        if (rhs->t[i].n > maxo)
            maxo = rhs->t[i].n;
    for (size_t o = 1; o <= maxo; o++)
        for (size_t i = 0; i < rhs->n; i++)
            if (rhs->t[i].n == o)
                f->terms[f->nterms++] = rhs->t[i];
    return LR_OK;
}

int lr_formula_parse(const char *text, const char *const *columns, size_t ncols, lr_formula **out,
                     lr_error *err)
{
    *out = NULL;
    lr_formula *f = lr_mem_calloc(1, sizeof *f);
    if (!f)
        return lr_error_nomem(err);
    parser p = {0};
    p.text = text;
    p.columns = columns;
    p.ncols = ncols;
    p.f = f;
    p.err = err;
    f->text = lr_arena_strndup(&f->arena, text, strlen(text));
    if (!f->text) {
        lr_formula_free(f);
        return lr_error_nomem(err);
    }
    p.text = f->text;
    lr_lex_next(&p);

    /* The response: one arithmetic expression (a column or a transformation). */
    if (is_op(&p, '~')) {
        lr_formula_error(&p, p.tok.pos, "the formula needs a response on the left of '~'");
        goto fail;
    }
    p.in_lhs = 1;
    {
        token first = p.tok;
        lr_node *y = lr_arith_expr(&p);
        if (!y)
            goto fail;
        char *label = lr_formula_label(&p, y, "", "");
        if (!label)
            goto fail;
        lr_var_kind kind = y->kind == LR_NODE_COL ? LR_VAR_COLUMN : LR_VAR_EXPR;
        if (lr_formula_var(&p, label, kind, y, y->kind == LR_NODE_COL ? y->col : 0, 0, first.pos) ==
            SIZE_MAX)
            goto fail;
    }
    p.in_lhs = 0;
    p.lhs_nvars = f->nvars;
    if (!is_op(&p, '~')) {
        if (p.tok.kind == T_END)
            lr_formula_error(&p, p.tok.pos, "expected '~' after the response");
        else
            lr_formula_error(&p, p.tok.pos, "unexpected '%.*s' (expected '~')", (int)p.tok.len,
                             p.tok.start);
        goto fail;
    }
    lr_lex_next(&p);
    tset rhs;
    if (lr_terms_sum(&p, &rhs))
        goto fail;
    if (p.tok.kind != T_END) {
        lr_formula_error(&p, p.tok.pos, "unexpected '%.*s'", (int)p.tok.len, p.tok.start);
        goto fail;
    }
    /* The response must not also be a term. */
    for (size_t i = 0; i < rhs.n; i++)
        if (rhs.t[i].n == 1 && rhs.t[i].vars[0] == 0) {
            lr_formula_error(&p, f->vars[0].pos, "the response '%s' is also a predictor",
                             f->vars[0].label);
            goto fail;
        }
    if (finish(&p, &rhs))
        goto fail;
    if (p.failed)
        goto fail;
    *out = f;
    return LR_OK;
fail:
    if (!p.failed)
        lr_error_nomem(err);
    lr_formula_free(f);
    return err ? err->code : LR_EUSAGE;
}

int lr_formula_from_columns(const char *target, const char *const *features, size_t nfeatures,
                            int intercept, const char *const *columns, size_t ncols,
                            lr_formula **out, lr_error *err)
{
    /* Build the text R users would write, then parse it: one path for both. */
    lr_arena tmp = {NULL};
    sbuf b = {NULL, 0, 0, &tmp};
    const char *y = target ? target : (ncols ? columns[0] : "");
    lr_deparse_name(&b, y);
    lr_sb_str(&b, " ~ ");
    if (!intercept)
        lr_sb_str(&b, "0 + ");
    size_t nf = 0;
    if (features) {
        for (size_t i = 0; i < nfeatures; i++) {
            if (nf++)
                lr_sb_str(&b, " + ");
            lr_deparse_name(&b, features[i]);
        }
    } else {
        for (size_t j = 0; j < ncols; j++) {
            if (!strcmp(columns[j], y))
                continue;
            if (nf++)
                lr_sb_str(&b, " + ");
            lr_deparse_name(&b, columns[j]);
        }
    }
    if (nf == 0)
        lr_sb_str(&b, intercept ? "1" : "0");
    if (!b.s) {
        lr_arena_free(&tmp);
        return lr_error_nomem(err);
    }
    int rc = lr_formula_parse(b.s, columns, ncols, out, err);
    lr_arena_free(&tmp);
    return rc;
}
