/*
 * formula_terms.c — the model part of a formula: its variables (numbered in
 * order of first appearance, the response first), the term algebra (a model
 * expression denotes a set of terms, a term a set of variables, the empty
 * term the intercept), and the descent over R's model operators that builds
 * it: + - (union, removal), * / (crossing, nesting), %in%, : (interaction),
 * ^ (crossing up to an order), parentheses and '.'.
 */
#include <math.h>

#include "formula_impl.h"

/* The variable with this label, created if new. Returns its index or SIZE_MAX. */
size_t lr_formula_var(parser *p, char *label, lr_var_kind kind, lr_node *expr, size_t col,
                      int degree, size_t pos)
{
    lr_formula *f = p->f;
    for (size_t i = 0; i < f->nvars; i++)
        if (!strcmp(f->vars[i].label, label))
            return i;
    if (f->nvars == p->vcap) {
        size_t cap = p->vcap ? 2 * p->vcap : 16;
        lr_var *nv = lr_arena_alloc(&f->arena, cap * sizeof *nv);
        if (!nv) {
            p->failed = 1;
            lr_error_nomem(p->err);
            return SIZE_MAX;
        }
        if (f->vars)
            memcpy(nv, f->vars, f->nvars * sizeof *nv);
        f->vars = nv;
        p->vcap = cap;
    }
    lr_var *v = &f->vars[f->nvars];
    v->label = label;
    v->kind = kind;
    v->expr = expr;
    v->col = col;
    v->degree = degree;
    v->pos = pos;
    return f->nvars++;
}

char *lr_formula_label(parser *p, const lr_node *n, const char *prefix, const char *suffix)
{
    sbuf b = {NULL, 0, 0, &p->f->arena};
    lr_sb_str(&b, prefix);
    if (n)
        lr_deparse_node(&b, n, p->columns);
    lr_sb_str(&b, suffix);
    if (!b.s) {
        p->failed = 1;
        lr_error_nomem(p->err);
    }
    return b.s;
}

static int term_eq(const lr_term *a, const lr_term *b)
{
    return a->n == b->n && (a->n == 0 || !memcmp(a->vars, b->vars, a->n * sizeof(size_t)));
}

static int ts_has(const tset *s, const lr_term *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (term_eq(&s->t[i], t))
            return 1;
    return 0;
}

/* Add a copy of term t to s unless present. */
int lr_ts_add(parser *p, tset *s, const lr_term *t)
{
    if (ts_has(s, t))
        return LR_OK;
    /* Every term is at least one model column, and a model has at most
     * LR_FORMULA_MAX_TERMS (the term sets' linear searches stay cheap). */
    if (s->n >= LR_FORMULA_MAX_TERMS) {
        /* too wide a model is a data error (exit 1), as when the columns are
         * named by -y/-x or counted by the model frame, not a usage error */
        lr_formula_error(p, p->tok.pos,
                         "the model has more than %d terms (linreg supports at most 4096 model "
                         "columns)",
                         LR_FORMULA_MAX_TERMS);
        if (p->err)
            p->err->code = LR_ERANGE;
        return LR_ERANGE;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        lr_term *nt = lr_arena_alloc(&p->f->arena, cap * sizeof *nt);
        if (!nt)
            goto nomem;
        if (s->t)
            memcpy(nt, s->t, s->n * sizeof *nt);
        s->t = nt;
        s->cap = cap;
    }
    lr_term c = {NULL, t->n};
    if (t->n) {
        c.vars = lr_arena_alloc(&p->f->arena, t->n * sizeof(size_t));
        if (!c.vars)
            goto nomem;
        memcpy(c.vars, t->vars, t->n * sizeof(size_t));
    }
    s->t[s->n++] = c;
    return LR_OK;
nomem:
    p->failed = 1;
    return lr_error_nomem(p->err);
}

static int ts_union(parser *p, tset *dst, const tset *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (lr_ts_add(p, dst, &src->t[i]))
            return LR_ENOMEM;
    dst->zero |= src->zero;
    return LR_OK;
}

/* The term a ∪ b (sorted merge). */
static int term_union(parser *p, const lr_term *a, const lr_term *b, lr_term *out)
{
    size_t *v = lr_arena_alloc(&p->f->arena, (a->n + b->n + 1) * sizeof(size_t));
    if (!v) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    size_t i = 0, j = 0, n = 0;
    while (i < a->n || j < b->n) {
        if (j == b->n || (i < a->n && a->vars[i] < b->vars[j]))
            v[n++] = a->vars[i++];
        else if (i == a->n || b->vars[j] < a->vars[i])
            v[n++] = b->vars[j++];
        else {
            v[n++] = a->vars[i++];
            j++;
        }
    }
    out->vars = v;
    out->n = n;
    return LR_OK;
}

/* A:B = { a ∪ b }. */
static int ts_interact(parser *p, const tset *a, const tset *b, tset *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; j < b->n; j++) {
            lr_term u;
            if (term_union(p, &a->t[i], &b->t[j], &u) || lr_ts_add(p, out, &u))
                return LR_ENOMEM;
        }
    return LR_OK;
}

/* R's logical: a comparison or logical operator, possibly in parentheses. */
static int expr_is_logical(const lr_node *n)
{
    while (n->kind == LR_NODE_PAREN)
        n = n->a;
    return lr_node_is_logical(n->kind);
}

int lr_ts_single_var(parser *p, size_t v, tset *out)
{
    memset(out, 0, sizeof *out);
    if (v == SIZE_MAX)
        return LR_EUSAGE;
    lr_term t = {&v, 1};
    return lr_ts_add(p, out, &t);
}

/* '.': every column not used by the response. */
static int parse_dot(parser *p, tset *out)
{
    size_t pos = p->tok.pos;
    memset(out, 0, sizeof *out);
    if (p->in_lhs)
        return lr_formula_error(p, pos, "'.' cannot be used in the response");
    lr_lex_next(p);
    for (size_t j = 0; j < p->ncols; j++) {
        int used = 0;
        /* Variables of the response: R's all.vars(lhs). */
        for (size_t v = 0; v < p->lhs_nvars && !used; v++) {
            /* Depth-first: each node on the path down leaves at most one
             * sibling waiting, so depth + 1 entries always suffice. */
            const lr_node *stack[LR_FORMULA_MAX_DEPTH + 1];
            size_t sp = 0;
            if (p->f->vars[v].expr)
                stack[sp++] = p->f->vars[v].expr;
            else if (p->f->vars[v].col == j)
                used = 1;
            while (sp && !used) {
                const lr_node *n = stack[--sp];
                if (n->kind == LR_NODE_COL && n->col == j)
                    used = 1;
                if (n->a)
                    stack[sp++] = n->a;
                if (n->b)
                    stack[sp++] = n->b;
            }
        }
        if (used)
            continue;
        lr_node *cn = lr_formula_node(p, LR_NODE_COL, pos);
        if (!cn)
            return LR_ENOMEM;
        cn->col = j;
        char *label = lr_formula_label(p, cn, "", "");
        if (!label)
            return LR_ENOMEM;
        size_t v = lr_formula_var(p, label, LR_VAR_COLUMN, cn, j, 0, pos);
        if (v == SIZE_MAX)
            return LR_ENOMEM;
        lr_term t = {&v, 1};
        if (lr_ts_add(p, out, &t))
            return LR_ENOMEM;
    }
    return LR_OK;
}

static int model_primary(parser *p, tset *out)
{
    token t = p->tok;
    memset(out, 0, sizeof *out);
    if (p->failed)
        return LR_EUSAGE;
    if (t.kind == T_DOT)
        return parse_dot(p, out);
    if (t.kind == T_NUM) {
        lr_lex_next(p);
        if (t.num == 1) {
            lr_term e = {NULL, 0};
            return lr_ts_add(p, out, &e);
        }
        if (t.num == 0) {
            out->zero = 1;
            return LR_OK;
        }
        return lr_formula_error(p, t.pos,
                                "a number in a formula must be 0 or 1 (use I() for "
                                "arithmetic)");
    }
    if (is_op(&*p, '(')) {
        /* a parenthesised model term: the model descent's only cycle */
        if (lr_formula_nest(p))
            return LR_EUSAGE;
        lr_lex_next(p);
        int rc = lr_terms_sum(p, out);
        p->depth--;
        if (rc)
            return rc;
        if (!is_op(p, ')'))
            return lr_formula_error(p, p->tok.pos, "expected ')'");
        lr_lex_next(p);
        return LR_OK;
    }
    if (t.kind == T_NAME) {
        lr_lex_next(p);
        if (is_op(p, '(')) {
            lr_fn fn;
            if (!t.quoted && t.len == 1 && t.start[0] == 'I') {
                size_t open = p->tok.pos;
                lr_lex_next(p);
                lr_node *x = lr_arith_expr(p);
                if (!x)
                    return LR_EUSAGE;
                if (!is_op(p, ')'))
                    return lr_formula_error(p, p->tok.pos, "expected ')' to close I( at %zu", open);
                lr_lex_next(p);
                char *label = lr_formula_label(p, x, "I(", ")");
                if (!label)
                    return LR_ENOMEM;
                size_t v = lr_formula_var(p, label, LR_VAR_EXPR, x, 0, 0, t.pos);
                if (v != SIZE_MAX)
                    p->f->vars[v].logical = expr_is_logical(x);
                return lr_ts_single_var(p, v, out);
            }
            if (!t.quoted && t.len == 11 && !memcmp(t.start, "interaction", 11))
                return lr_call_interaction(p, &t, out);
            if (!t.quoted && ((t.len == 6 && !memcmp(t.start, "factor", 6)) ||
                              (t.len == 7 && !memcmp(t.start, "relevel", 7)) ||
                              (t.len == 1 && t.start[0] == 'C')))
                return lr_call_factor(p, &t, out);
            if (!t.quoted &&
                ((t.len == 4 && !memcmp(t.start, "poly", 4)) ||
                 (t.len == 5 && !memcmp(t.start, "scale", 5)) ||
                 (t.len == 2 && (!memcmp(t.start, "ns", 2) || !memcmp(t.start, "bs", 2)))))
                return lr_call_basis(p, &t, out);
            if (!t.quoted && t.len == 6 && !memcmp(t.start, "offset", 6))
                return lr_call_offset(p, &t);
            if (lr_formula_fn_of(&t, &fn)) {
                lr_lex_next(p);
                lr_node *x = lr_arith_expr(p);
                if (!x)
                    return LR_EUSAGE;
                lr_node *n = lr_formula_finish_call(p, &t, fn, x);
                if (!n)
                    return LR_EUSAGE; /* too deep, or out of memory: err says which */
                char *label = lr_formula_label(p, n, "", "");
                if (!label)
                    return LR_ENOMEM;
                return lr_ts_single_var(p, lr_formula_var(p, label, LR_VAR_EXPR, n, 0, 0, t.pos),
                                        out);
            }
            return lr_formula_error(
                p, t.pos,
                "unknown function '%.*s' (known: I, log, log2, log10, log1p, exp, "
                "expm1, sqrt, abs, sin, cos, tan, poly, scale, ns, bs, factor, "
                "relevel, C)",
                (int)t.len, t.start);
        }
        size_t col;
        if (lr_formula_column(p, &t, &col))
            return LR_EUSAGE;
        lr_node *cn = lr_formula_node(p, LR_NODE_COL, t.pos);
        if (!cn)
            return LR_ENOMEM;
        cn->col = col;
        char *label = lr_formula_label(p, cn, "", "");
        if (!label)
            return LR_ENOMEM;
        return lr_ts_single_var(p, lr_formula_var(p, label, LR_VAR_COLUMN, cn, col, 0, t.pos), out);
    }
    if (t.kind == T_END)
        return lr_formula_error(p, t.pos, "unexpected end of formula");
    return lr_formula_error(p, t.pos, "unexpected '%.*s'", (int)t.len, t.start);
}

static int model_power(parser *p, tset *out)
{
    int rc = model_primary(p, out);
    if (rc || !is_op(p, '^'))
        return rc;
    lr_lex_next(p);
    if (p->tok.kind != T_NUM || p->tok.num < 1 || p->tok.num != floor(p->tok.num) ||
        p->tok.num > 64)
        return lr_formula_error(p, p->tok.pos,
                                "the power of a term must be a positive whole number "
                                "(use I(x^2) for arithmetic)");
    int k = (int)p->tok.num;
    lr_lex_next(p);
    /* A^k = A * A * ... * A: every interaction of up to k terms of A. */
    tset acc = *out;
    for (int i = 1; i < k; i++) {
        tset inter;
        if (ts_interact(p, &acc, out, &inter))
            return LR_ENOMEM;
        tset next_acc = {0};
        if (ts_union(p, &next_acc, &acc) || ts_union(p, &next_acc, out) ||
            ts_union(p, &next_acc, &inter))
            return LR_ENOMEM;
        acc = next_acc;
    }
    *out = acc;
    return LR_OK;
}

/* operand (op operand)*, each op the interaction of its two sides. */
static int interaction_chain(parser *p, tset *out, int (*operand)(parser *, tset *), char op)
{
    int rc = operand(p, out);
    while (!rc && is_op(p, op)) {
        lr_lex_next(p);
        tset b, c;
        if ((rc = operand(p, &b)))
            return rc;
        if ((rc = ts_interact(p, out, &b, &c)))
            return rc;
        *out = c;
    }
    return rc;
}

static int model_inter(parser *p, tset *out)
{
    return interaction_chain(p, out, model_power, ':');
}

/* a %in% b: R's terms() reads it as a:b (the terms of a, each with b's),
 * binding less tightly than ':' and more than '*' and '/' (R's precedence
 * of %op% operators): a*b %in% c is a + b:c + a:b:c. */
static int model_in(parser *p, tset *out)
{
    return interaction_chain(p, out, model_inter, OP_IN);
}

static int model_prod(parser *p, tset *out)
{
    int rc = model_in(p, out);
    while (!rc && (is_op(p, '*') || is_op(p, '/'))) {
        int nest = is_op(p, '/');
        lr_lex_next(p);
        tset b, c, r = {0};
        if ((rc = model_in(p, &b)))
            return rc;
        if (nest) {
            /* a/b = a + (all variables of a):b */
            lr_term all = {NULL, 0};
            for (size_t i = 0; i < out->n; i++)
                if (term_union(p, &all, &out->t[i], &all))
                    return LR_ENOMEM;
            tset whole = {0};
            if (lr_ts_add(p, &whole, &all) || ts_interact(p, &whole, &b, &c))
                return LR_ENOMEM;
            if (ts_union(p, &r, out) || ts_union(p, &r, &c))
                return LR_ENOMEM;
        } else {
            if (ts_interact(p, out, &b, &c) || ts_union(p, &r, out) || ts_union(p, &r, &b) ||
                ts_union(p, &r, &c))
                return LR_ENOMEM;
        }
        *out = r;
    }
    return rc;
}

/* The intercept bookkeeping of a sum: +1 / -1 / +0 / -0 as R reads them. */
typedef struct sum_state {
    int intercept; /* -1: not said, 0: removed, 1: added */
} sum_state;

int lr_terms_sum(parser *p, tset *out)
{
    memset(out, 0, sizeof *out);
    int sign = 1;
    if (is_op(p, '-')) {
        sign = -1;
        lr_lex_next(p);
    } else if (is_op(p, '+')) {
        lr_lex_next(p);
    }
    int rc;
    for (;;) {
        tset b;
        if ((rc = model_prod(p, &b)))
            return rc;
        lr_term empty = {NULL, 0};
        if (sign > 0) {
            /* "+ 0" removes the intercept, "+ 1" restores it; the last word wins. */
            if (b.zero) {
                for (size_t j = 0; j < out->n; j++)
                    if (out->t[j].n == 0) {
                        memmove(&out->t[j], &out->t[j + 1], (out->n - j - 1) * sizeof(lr_term));
                        out->n--;
                        break;
                    }
                out->zero = 1;
            }
            for (size_t i = 0; i < b.n; i++)
                if ((rc = lr_ts_add(p, out, &b.t[i])))
                    return rc;
            if (ts_has(&b, &empty))
                out->zero = 0;
        } else {
            /* "− term" removes it; "− 1" removes the intercept, "− 0" restores it. */
            for (size_t i = 0; i < b.n; i++) {
                for (size_t j = 0; j < out->n; j++)
                    if (term_eq(&out->t[j], &b.t[i])) {
                        memmove(&out->t[j], &out->t[j + 1], (out->n - j - 1) * sizeof(lr_term));
                        out->n--;
                        break;
                    }
                if (b.t[i].n == 0)
                    out->zero = 1;
            }
            if (b.zero) {
                out->zero = 0;
                if ((rc = lr_ts_add(p, out, &empty)))
                    return rc;
            }
        }
        if (is_op(p, '+'))
            sign = 1;
        else if (is_op(p, '-'))
            sign = -1;
        else
            break;
        lr_lex_next(p);
    }
    return LR_OK;
}
