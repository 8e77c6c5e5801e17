/*
 * fuzz_formula.c — the R formula parser (lr_formula_parse) on arbitrary text,
 * against a fixed set of column names.
 *
 * Any text must either parse or fail with LR_EUSAGE and a message that points
 * at a position ("formula:POS: ..." and a caret), without leaking. A parsed
 * formula must be well formed (labels, column and variable indices in range,
 * terms sorted by order with ascending variables, no duplicates), its
 * expressions must evaluate, and it must survive the round trip a saved model
 * makes: prediction rebuilds the model from a formula that lists every
 * variable by its label and then the terms ("0 ~ a + b - a - b + a + a:b",
 * model_file.c), so parsing that text must give the same variables, labels,
 * terms and intercept.
 */
#include <stdlib.h>
#include <string.h>

#include "basis.h"
#include "formula.h"
#include "fuzz.h"

static const char *const columns[] = {"y", "x", "z", "g", "my col", "if"};
#define NCOLS (sizeof columns / sizeof *columns)

/* Values of the columns for evaluating expressions. */
static const double values[NCOLS] = {1.5, -2.0, 0.0, 3.0, 0.25, 7.0};

/* Every node below n is well formed; returns their number. */
static size_t check_expr(const lr_node *n, size_t nnodes)
{
    size_t count = 0;
    for (; n; n = n->b) {
        count++;
        FUZZ_CHECK(n->id < nnodes);
        FUZZ_CHECK(n->kind >= LR_NODE_NUM && n->kind <= LR_NODE_NOT);
        if (n->kind == LR_NODE_COL)
            FUZZ_CHECK(n->col < NCOLS);
        if (n->kind == LR_NODE_NUM)
            FUZZ_CHECK(n->text != NULL && n->text[0] != '\0');
        /* log(a, b), comparisons and & | are binary; ! is unary */
        int binary = (n->kind >= LR_NODE_ADD && n->kind <= LR_NODE_POW) ||
                     (n->kind >= LR_NODE_LOGB && n->kind <= LR_NODE_OR);
        int unary = n->kind == LR_NODE_NEG || n->kind == LR_NODE_FN || n->kind == LR_NODE_PAREN ||
                    n->kind == LR_NODE_NOT;
        FUZZ_CHECK((n->a != NULL) == (binary || unary));
        FUZZ_CHECK((n->b != NULL) == binary);
        /* the depth every walker's recursion relies on */
        size_t below = n->a ? n->a->depth : 0;
        if (n->b && n->b->depth > below)
            below = n->b->depth;
        FUZZ_CHECK(n->depth == below + 1 && n->depth <= LR_FORMULA_MAX_DEPTH);
        count += check_expr(n->a, nnodes);
    }
    return count;
}

static void check_formula(const lr_formula *f)
{
    FUZZ_CHECK(f->text != NULL);
    FUZZ_CHECK(f->nvars >= 1);
    FUZZ_CHECK(f->intercept == 0 || f->intercept == 1);
    for (size_t v = 0; v < f->nvars; v++) {
        const lr_var *var = &f->vars[v];
        FUZZ_CHECK(var->label != NULL && var->label[0] != '\0');
        FUZZ_CHECK(var->pos >= 1 && var->pos <= strlen(f->text));
        for (size_t u = 0; u < v; u++)
            FUZZ_CHECK(strcmp(f->vars[u].label, var->label) != 0);
        switch (var->kind) {
        case LR_VAR_COLUMN:
            FUZZ_CHECK(var->col < NCOLS);
            FUZZ_CHECK(var->expr != NULL && var->expr->kind == LR_NODE_COL &&
                       var->expr->col == var->col);
            break;
        case LR_VAR_FACTOR: FUZZ_CHECK(var->col < NCOLS); break;
        case LR_VAR_EXPR: FUZZ_CHECK(var->expr != NULL); break;
        case LR_VAR_POLY:
            /* degree: raw powers' degree, or a basis's columns (ns/bs: knots + order − 1) */
            FUZZ_CHECK(var->expr != NULL && var->degree >= 1 &&
                       var->degree <= (var->basis ? LR_BASIS_MAX_KNOTS + LR_BASIS_MAX_DEGREE
                                                  : LR_BASIS_MAX_DEGREE));
            break;
        default: FUZZ_CHECK(0);
        }
        if (var->expr) {
            check_expr(var->expr, f->nnodes);
            (void)lr_node_eval(var->expr, values); /* any value, NaN included; no crash */
        }
    }
    size_t order = 1;
    for (size_t t = 0; t < f->nterms; t++) {
        const lr_term *term = &f->terms[t];
        FUZZ_CHECK(term->n >= 1 && term->n >= order);
        order = term->n;
        for (size_t i = 0; i < term->n; i++) {
            FUZZ_CHECK(term->vars[i] < f->nvars);
            if (i)
                FUZZ_CHECK(term->vars[i - 1] < term->vars[i]);
        }
        for (size_t u = 0; u < t; u++)
            FUZZ_CHECK(f->terms[u].n != term->n ||
                       memcmp(f->terms[u].vars, term->vars, term->n * sizeof(size_t)) != 0);
        /* the response alone is never a predictor */
        FUZZ_CHECK(!(term->n == 1 && term->vars[0] == 0));
    }
}

/* Append s to the growing string *buf (length *len, capacity *cap). */
static int put(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return 0;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
    return 1;
}

/* The formula a saved model rebuilds its frame from, as model_file.c writes it. */
static char *rebuild_text(const lr_formula *f)
{
    char *b = NULL;
    size_t n = 0, cap = 0;
    int ok = put(&b, &n, &cap, "0 ~ "), any = 0;
    for (size_t v = 1; v < f->nvars; v++)
        ok &= put(&b, &n, &cap, any++ ? " + " : "") && put(&b, &n, &cap, f->vars[v].label);
    for (size_t v = 1; v < f->nvars; v++)
        ok &= put(&b, &n, &cap, " - ") && put(&b, &n, &cap, f->vars[v].label);
    for (size_t t = 0; t < f->nterms; t++) {
        ok &= put(&b, &n, &cap, any++ ? " + " : "");
        for (size_t i = 0; i < f->terms[t].n; i++)
            ok &= put(&b, &n, &cap, i ? ":" : "") &&
                  put(&b, &n, &cap, f->vars[f->terms[t].vars[i]].label);
    }
    if (!any)
        ok &= put(&b, &n, &cap, "1");
    if (!f->intercept)
        ok &= put(&b, &n, &cap, " - 1");
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

/* Parsing the rebuilt formula gives the same model (the response aside). */
static void check_round_trip(const lr_formula *f)
{
    /* A term with the response in it (y ~ x:y) cannot be rebuilt without the
     * response; R's predict needs it in the new data too. */
    for (size_t t = 0; t < f->nterms; t++)
        if (f->terms[t].vars[0] == 0)
            return;
    char *text = rebuild_text(f);
    if (!text)
        return;
    lr_formula *g = NULL;
    lr_error err;
    int rc = lr_formula_parse(text, columns, NCOLS, &g, &err);
    if (rc != LR_OK)
        fprintf(stderr, "rebuilt formula fails: %s\n", err.message);
    FUZZ_CHECK(rc == LR_OK || rc == LR_ENOMEM);
    if (rc == LR_OK) {
        FUZZ_CHECK(g->nvars == f->nvars);
        for (size_t v = 1; v < f->nvars; v++) {
            FUZZ_CHECK(strcmp(g->vars[v].label, f->vars[v].label) == 0);
            FUZZ_CHECK(g->vars[v].kind == f->vars[v].kind);
            FUZZ_CHECK(g->vars[v].degree == f->vars[v].degree);
        }
        FUZZ_CHECK(g->nterms == f->nterms);
        for (size_t t = 0; t < f->nterms; t++) {
            FUZZ_CHECK(g->terms[t].n == f->terms[t].n);
            FUZZ_CHECK(memcmp(g->terms[t].vars, f->terms[t].vars, f->terms[t].n * sizeof(size_t)) ==
                       0);
        }
        FUZZ_CHECK(g->intercept == f->intercept);
    }
    lr_formula_free(g);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The API takes a C string: the text ends at the first NUL. */
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *text = malloc(n + 1);
    if (!text)
        return 0;
    memcpy(text, data, n);
    text[n] = '\0';

    lr_formula *f = NULL;
    lr_error err;
    memset(&err, 0, sizeof err);
    int rc = lr_formula_parse(text, columns, NCOLS, &f, &err);
    if (rc == LR_OK) {
        FUZZ_CHECK(f != NULL);
        FUZZ_CHECK(strcmp(f->text, text) == 0);
        check_formula(f);
        check_round_trip(f);
    } else {
        FUZZ_CHECK(f == NULL);
        FUZZ_CHECK(rc == LR_EUSAGE || rc == LR_ENOMEM);
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
        if (rc == LR_EUSAGE) {
            FUZZ_CHECK(strncmp(err.message, "formula:", 8) == 0);
            FUZZ_CHECK(err.col >= 1 && err.col <= n + 1);
            /* the caret line, unless a long formula filled the message */
            if (strlen(err.message) + 1 < LR_ERROR_MAX)
                FUZZ_CHECK(strchr(err.message, '^') != NULL);
        }
    }
    lr_formula_free(f);
    free(text);
    return 0;
}
