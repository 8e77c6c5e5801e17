/*
 * formula_arith.c — the arithmetic inside a formula's calls and I(): R's
 * operators and precedence (^ above unary minus, then * /, + -, the
 * comparisons, !, &, |), the expression tree it builds, and its evaluation
 * in double as R evaluates it.
 */
#include <math.h>

#include "formula_impl.h"

lr_node *lr_formula_node(parser *p, lr_node_kind kind, size_t pos)
{
    lr_node *n = lr_arena_alloc(&p->f->arena, sizeof *n);
    if (!n) {
        if (!p->failed) {
            p->failed = 1;
            lr_error_nomem(p->err);
        }
        return NULL;
    }
    n->kind = kind;
    n->pos = pos;
    n->id = p->f->nnodes++;
    n->depth = 1;
    return n;
}

static int too_deep(parser *p, size_t pos)
{
    return lr_formula_error(p, pos, "formula nested too deeply (more than %d levels)",
                            LR_FORMULA_MAX_DEPTH);
}

/* An operator node over a (and b, for binary operators). Refused when the
 * tree would be deeper than LR_FORMULA_MAX_DEPTH: a long chain "x + x + ..."
 * is parsed by a loop, but everything that walks the tree recurses. */
static lr_node *new_op(parser *p, lr_node_kind kind, size_t pos, lr_node *a, lr_node *b)
{
    size_t depth = 1 + (b && b->depth > a->depth ? b->depth : a->depth);
    if (depth > LR_FORMULA_MAX_DEPTH) {
        /* Not "nested": a flat chain gets here as well (x + x + ... is one
         * level of the tree per operator, evaluated left to right as R does,
         * so it cannot be rebalanced without changing the result's bits). */
        lr_formula_error(p, pos,
                         "expression too long: more than %d operators on one path of its tree "
                         "(a chain such as x1 + x2 + ... counts each operator); split it, e.g. "
                         "I(x1 + ... + x400) + I(x401 + ...)",
                         LR_FORMULA_MAX_DEPTH);
        return NULL;
    }
    lr_node *n = lr_formula_node(p, kind, pos);
    if (n) {
        n->a = a;
        n->b = b;
        n->depth = depth;
    }
    return n;
}

/* Enter one level of the recursive descent (an operand of an arithmetic
 * expression, or a parenthesised model term); the caller leaves it with
 * p->depth--. Fails beyond LR_FORMULA_MAX_DEPTH, before the stack does:
 * "((((x))))" and "+ + + x" recurse without making a node. */
int lr_formula_nest(parser *p)
{
    if (p->depth >= LR_FORMULA_MAX_DEPTH)
        return too_deep(p, p->tok.pos);
    p->depth++;
    return LR_OK;
}

/* Resolve a name token against the data's columns. */
int lr_formula_column(parser *p, const token *t, size_t *col)
{
    for (size_t j = 0; j < p->ncols; j++)
        if (strlen(p->columns[j]) == t->len && !memcmp(p->columns[j], t->start, t->len)) {
            *col = j;
            return LR_OK;
        }
    size_t bj = lr_suggest_name(t->start, t->len, p->columns, p->ncols);
    if (bj < p->ncols)
        return lr_formula_error(p, t->pos, "no column named '%.*s' (did you mean '%s'?)",
                                (int)t->len, t->start, p->columns[bj]);
    return lr_formula_error(p, t->pos, "no column named '%.*s'", (int)t->len, t->start);
}

int lr_formula_fn_of(const token *t, lr_fn *fn)
{
    return !t->quoted && lr_fn_lookup(t->start, t->len, fn);
}

/* The rest of a call fn(arg ...) after its argument: ')' or, for log, a base
 * ", b" or ", base = b" (R's log(x, base)). */
lr_node *lr_formula_finish_call(parser *p, const token *t, lr_fn fn, lr_node *arg)
{
    if (fn == LR_FN_LOG && is_op(p, ',')) {
        lr_lex_next(p);
        int named = 0;
        /* "base =" names the argument; a lone "base" is a column */
        const char *after = p->text + p->off;
        while (*after == ' ' || *after == '\t')
            after++;
        if (tok_is(p, "base") && after[0] == '=' && after[1] != '=') {
            lr_lex_next(p);
            if (!is_op(p, '='))
                return lr_formula_error(p, p->tok.pos, "expected '=' after base"), NULL;
            lr_lex_next(p);
            named = 1;
        }
        lr_node *base = lr_arith_expr(p);
        if (!base)
            return NULL;
        if (!is_op(p, ')'))
            return lr_formula_error(p, p->tok.pos, "expected ')' to close log("), NULL;
        lr_lex_next(p);
        lr_node *n = new_op(p, LR_NODE_LOGB, t->pos, arg, base);
        if (n)
            n->named = named;
        return n;
    }
    if (!is_op(p, ')')) {
        lr_formula_error(p, p->tok.pos, "expected ')' to close %s(", lr_fn_name(fn));
        return NULL;
    }
    lr_lex_next(p);
    lr_node *n = new_op(p, LR_NODE_FN, t->pos, arg, NULL);
    if (n)
        n->fn = fn;
    return n;
}

static lr_node *arith_primary(parser *p)
{
    token t = p->tok;
    if (p->failed)
        return NULL;
    if (t.kind == T_NUM) {
        lr_lex_next(p);
        lr_node *n = lr_formula_node(p, LR_NODE_NUM, t.pos);
        if (n) {
            n->num = t.num;
            n->text = lr_arena_strndup(&p->f->arena, t.start, t.len);
            if (!n->text) {
                p->failed = 1;
                lr_error_nomem(p->err);
                return NULL;
            }
        }
        return n;
    }
    if (is_op(p, '(')) {
        lr_lex_next(p);
        lr_node *inner = lr_arith_expr(p);
        if (!inner)
            return NULL;
        if (!is_op(p, ')')) {
            lr_formula_error(p, p->tok.pos, "expected ')'");
            return NULL;
        }
        lr_lex_next(p);
        return new_op(p, LR_NODE_PAREN, t.pos, inner, NULL);
    }
    if (t.kind == T_NAME) {
        lr_lex_next(p);
        lr_fn fn;
        if (is_op(p, '(')) {
            if (!lr_formula_fn_of(&t, &fn)) {
                lr_formula_error(p, t.pos,
                                 "unknown function '%.*s' (inside I() and functions: I, "
                                 "log, log2, log10, log1p, exp, expm1, sqrt, abs, sin, cos, tan)",
                                 (int)t.len, t.start);
                return NULL;
            }
            lr_lex_next(p);
            lr_node *arg = lr_arith_expr(p);
            if (!arg)
                return NULL;
            return lr_formula_finish_call(p, &t, fn, arg);
        }
        size_t col;
        if (lr_formula_column(p, &t, &col))
            return NULL;
        lr_node *n = lr_formula_node(p, LR_NODE_COL, t.pos);
        if (n)
            n->col = col;
        return n;
    }
    if (t.kind == T_END)
        lr_formula_error(p, t.pos, "unexpected end of formula");
    else
        lr_formula_error(p, t.pos, "unexpected '%.*s'", (int)t.len, t.start);
    return NULL;
}

/* R: ^ binds tighter than unary minus, and is right-associative; 2^-x is allowed. */
static lr_node *arith_unary(parser *p);

static lr_node *arith_power(parser *p)
{
    lr_node *a = arith_primary(p);
    if (!a)
        return NULL;
    if (is_op(p, '^')) {
        size_t pos = p->tok.pos;
        lr_lex_next(p);
        lr_node *b = arith_unary(p);
        if (!b)
            return NULL;
        return new_op(p, LR_NODE_POW, pos, a, b);
    }
    return a;
}

/* Every cycle of the arithmetic descent (parentheses, calls, signs, powers)
 * passes through here: the one place that counts the nesting. */
static lr_node *arith_unary(parser *p)
{
    if (lr_formula_nest(p))
        return NULL;
    lr_node *n;
    if (is_op(p, '-') || is_op(p, '+')) {
        int neg = is_op(p, '-');
        size_t pos = p->tok.pos;
        lr_lex_next(p);
        n = arith_unary(p);
        if (n && neg)
            n = new_op(p, LR_NODE_NEG, pos, n, NULL);
    } else {
        n = arith_power(p);
    }
    p->depth--;
    return n;
}

/* A left-associative chain operand (op operand)*, where ops[i] makes a
 * node of kinds[i]: R's * /, + -, & and |. */
static lr_node *left_chain(parser *p, lr_node *(*operand)(parser *), const char *ops,
                           const lr_node_kind *kinds)
{
    lr_node *a = operand(p);
    for (;;) {
        size_t i = 0;
        while (ops[i] && !is_op(p, ops[i]))
            i++;
        if (!a || !ops[i])
            return a;
        size_t pos = p->tok.pos;
        lr_lex_next(p);
        lr_node *b = operand(p);
        if (!b)
            return NULL;
        a = new_op(p, kinds[i], pos, a, b);
    }
}

static lr_node *arith_prod(parser *p)
{
    static const lr_node_kind kinds[] = {LR_NODE_MUL, LR_NODE_DIV};
    return left_chain(p, arith_unary, "*/", kinds);
}

lr_node *lr_arith_sum(parser *p)
{
    static const lr_node_kind kinds[] = {LR_NODE_ADD, LR_NODE_SUB};
    return left_chain(p, arith_prod, "+-", kinds);
}

/* R's precedence below + and -: comparisons (not associative: a < b < c is
 * an error in R), then !, then &, then |. */
static lr_node *arith_cmp(parser *p)
{
    lr_node *a = lr_arith_sum(p);
    if (!a || p->tok.kind != T_OP)
        return a;
    lr_node_kind k;
    switch (p->tok.op) {
    case '<': k = LR_NODE_LT; break;
    case OP_LE: k = LR_NODE_LE; break;
    case '>': k = LR_NODE_GT; break;
    case OP_GE: k = LR_NODE_GE; break;
    case OP_EQ: k = LR_NODE_EQ; break;
    case OP_NE: k = LR_NODE_NE; break;
    default: return a;
    }
    size_t pos = p->tok.pos;
    lr_lex_next(p);
    lr_node *b = lr_arith_sum(p);
    if (!b)
        return NULL;
    lr_node *n = new_op(p, k, pos, a, b);
    if (n && p->tok.kind == T_OP && strchr("<>LGEN", p->tok.op)) {
        lr_formula_error(p, p->tok.pos, "comparisons do not chain in R: write (a < b) & (b < c)");
        return NULL;
    }
    return n;
}

static lr_node *arith_not(parser *p)
{
    if (!is_op(p, '!'))
        return arith_cmp(p);
    if (lr_formula_nest(p))
        return NULL;
    size_t pos = p->tok.pos;
    lr_lex_next(p);
    lr_node *a = arith_not(p);
    p->depth--;
    return a ? new_op(p, LR_NODE_NOT, pos, a, NULL) : NULL;
}

static lr_node *arith_and(parser *p)
{
    static const lr_node_kind kinds[] = {LR_NODE_AND};
    return left_chain(p, arith_not, "&", kinds);
}

/* An expression inside a call or parentheses: R's full precedence. */
lr_node *lr_arith_expr(parser *p)
{
    static const lr_node_kind kinds[] = {LR_NODE_OR};
    return left_chain(p, arith_and, "|", kinds);
}

/* R's logical as a double: 1 TRUE, 0 FALSE, NaN NA. */
static double lgl(int v, double a, double b)
{
    return isnan(a) || isnan(b) ? (double)NAN : (v ? 1.0 : 0.0);
}

double lr_node_eval(const lr_node *n, const double *vals)
{
    switch (n->kind) {
    case LR_NODE_NUM: return n->num;
    case LR_NODE_COL: return vals[n->col];
    case LR_NODE_NEG: return -lr_node_eval(n->a, vals);
    case LR_NODE_PAREN: return lr_node_eval(n->a, vals);
    case LR_NODE_ADD: return lr_node_eval(n->a, vals) + lr_node_eval(n->b, vals);
    case LR_NODE_SUB: return lr_node_eval(n->a, vals) - lr_node_eval(n->b, vals);
    case LR_NODE_MUL: return lr_node_eval(n->a, vals) * lr_node_eval(n->b, vals);
    case LR_NODE_DIV: return lr_node_eval(n->a, vals) / lr_node_eval(n->b, vals);
    case LR_NODE_POW: {
        double b = lr_node_eval(n->b, vals);
        double a = lr_node_eval(n->a, vals);
        return pow(a, b);
    }
    case LR_NODE_FN: return lr_fn_eval(n->fn, lr_node_eval(n->a, vals));
    case LR_NODE_LOGB: return lr_log_base(lr_node_eval(n->a, vals), lr_node_eval(n->b, vals));
    case LR_NODE_NOT: {
        double a = lr_node_eval(n->a, vals);
        return lgl(a == 0, a, 0);
    }
    case LR_NODE_AND: {
        /* three-valued: FALSE & NA is FALSE */
        double a = lr_node_eval(n->a, vals), b = lr_node_eval(n->b, vals);
        if (a == 0 || b == 0)
            return 0;
        return lgl(1, a, b);
    }
    case LR_NODE_OR: {
        double a = lr_node_eval(n->a, vals), b = lr_node_eval(n->b, vals);
        if ((!isnan(a) && a != 0) || (!isnan(b) && b != 0))
            return 1;
        return lgl(0, a, b);
    }
    default: {
        double a = lr_node_eval(n->a, vals), b = lr_node_eval(n->b, vals);
        switch (n->kind) {
        case LR_NODE_LT: return lgl(a < b, a, b);
        case LR_NODE_LE: return lgl(a <= b, a, b);
        case LR_NODE_GT: return lgl(a > b, a, b);
        case LR_NODE_GE: return lgl(a >= b, a, b);
        case LR_NODE_EQ: return lgl(a == b, a, b);
        case LR_NODE_NE: return lgl(a != b, a, b);
        default: break;
        }
        return (double)NAN;
    }
    }
    return (double)NAN;
}
