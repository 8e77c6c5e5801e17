/*
 * formula_deparse.c — labels as R prints them: a variable's label is its
 * expression deparsed as R deparses it (spaces around + - *, none around
 * / ^ :, numbers with up to 15 significant digits, parentheses as written,
 * names backquoted unless syntactic).
 */
#include "factor_levels.h"
#include "formula_impl.h"

void lr_sb_put(sbuf *b, const char *s, size_t n)
{
    if (!b->s && b->cap)
        return; /* failed earlier */
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        char *ns = lr_arena_alloc(b->arena, cap);
        if (!ns) {
            b->s = NULL;
            b->cap = 1;
            return;
        }
        if (b->s)
            memcpy(ns, b->s, b->n);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void lr_sb_str(sbuf *b, const char *s)
{
    lr_sb_put(b, s, strlen(s));
}

/* R's deparse of a double: up to 15 significant digits, fixed or scientific
 * whichever is narrower (R's formatReal), e.g. 1e+05, 123456, 1e-04, 0.5:
 * lr_format_r_number, whose longest answer ("-1.23456789012345e-300") fits. */
void lr_deparse_number(sbuf *b, double x)
{
    char num[64];
    lr_format_r_number(x, num, sizeof num);
    lr_sb_str(b, num);
}

void lr_deparse_name(sbuf *b, const char *name)
{
    if (lr_name_is_syntactic(name)) {
        lr_sb_str(b, name);
    } else {
        lr_sb_str(b, "`");
        lr_sb_str(b, name);
        lr_sb_str(b, "`");
    }
}

void lr_deparse_node(sbuf *b, const lr_node *n, const char *const *columns)
{
    switch (n->kind) {
    case LR_NODE_NUM: lr_deparse_number(b, n->num); break;
    case LR_NODE_COL: lr_deparse_name(b, columns[n->col]); break;
    case LR_NODE_NEG:
        lr_sb_str(b, "-");
        lr_deparse_node(b, n->a, columns);
        break;
    case LR_NODE_PAREN:
        lr_sb_str(b, "(");
        lr_deparse_node(b, n->a, columns);
        lr_sb_str(b, ")");
        break;
    case LR_NODE_FN:
        lr_sb_str(b, lr_fn_name(n->fn));
        lr_sb_str(b, "(");
        lr_deparse_node(b, n->a, columns);
        lr_sb_str(b, ")");
        break;
    case LR_NODE_LOGB:
        lr_sb_str(b, "log(");
        lr_deparse_node(b, n->a, columns);
        lr_sb_str(b, n->named ? ", base = " : ", ");
        lr_deparse_node(b, n->b, columns);
        lr_sb_str(b, ")");
        break;
    case LR_NODE_NOT:
        lr_sb_str(b, "!");
        lr_deparse_node(b, n->a, columns);
        break;
    default: {
        /* R's deparse: spaces around + - * and comparisons and & |, none around / ^ */
        static const char *const ops[] = {
            [LR_NODE_ADD] = " + ", [LR_NODE_SUB] = " - ", [LR_NODE_MUL] = " * ",
            [LR_NODE_DIV] = "/",   [LR_NODE_POW] = "^",   [LR_NODE_LT] = " < ",
            [LR_NODE_LE] = " <= ", [LR_NODE_GT] = " > ",  [LR_NODE_GE] = " >= ",
            [LR_NODE_EQ] = " == ", [LR_NODE_NE] = " != ", [LR_NODE_AND] = " & ",
            [LR_NODE_OR] = " | "};
        lr_deparse_node(b, n->a, columns);
        lr_sb_str(b, ops[n->kind]);
        lr_deparse_node(b, n->b, columns);
        break;
    }
    }
}
