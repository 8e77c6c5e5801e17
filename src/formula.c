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
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basis.h"
#include "formula.h"

/* ------------------------------------------------------------------------ */
/* Lexer                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum tok_kind {
    T_END = 0, /* end of text */
    T_NAME,    /* identifier or backquoted name */
    T_NUM,     /* number */
    T_DOT,     /* . */
    T_STR,     /* a string in double or single quotes (start/len: its bytes, no
                  escapes: a backslash is refused) */
    T_OP       /* one of ~ + - * / : ^ ( ) , = < > ! & |, or a two-character
                  operator coded as OP_LE, OP_GE, OP_EQ, OP_NE */
} tok_kind;

/* Two-character operators, as token op codes (no single character uses them). */
#define OP_LE 'L' /* <= */
#define OP_GE 'G' /* >= */
#define OP_EQ 'E' /* == */
#define OP_NE 'N' /* != */
#define OP_IN 'I' /* %in% */

typedef struct token {
    tok_kind kind;     /* what it is */
    char op;           /* T_OP: the character */
    const char *start; /* first byte in the text */
    size_t len;        /* bytes */
    int quoted;        /* T_NAME: was backquoted (start/len exclude the quotes) */
    double num;        /* T_NUM: the value */
    size_t pos;        /* 1-based position */
} token;

typedef struct parser {
    const char *text;            /* the formula */
    size_t off;                  /* next byte to lex */
    token tok;                   /* current token */
    const char *const *columns;  /* data column names */
    size_t ncols;                /* their number */
    lr_formula *f;               /* the result being built */
    size_t vcap;                 /* capacity of f->vars */
    lr_error *err;               /* where errors go */
    int failed;                  /* an error was recorded */
    size_t lhs_nvars;            /* variables of the response (excluded from '.') */
    int in_lhs;                  /* parsing the left-hand side */
    size_t depth;                /* nesting of the recursive descent (see nest()) */
} parser;

static int is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c >= 0x80;
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

int lr_name_is_syntactic(const char *s)
{
    static const char *const reserved[] = {"if", "else", "repeat", "while", "function", "for",
                                           "next", "break", "TRUE", "FALSE", "NULL", "Inf",
                                           "NaN", "NA", "in"};
    if (!is_name_start((unsigned char)s[0]))
        return 0;
    if (s[0] == '.' && s[1] >= '0' && s[1] <= '9')
        return 0;
    for (const char *c = s; *c; c++)
        if (!is_name_char((unsigned char)*c))
            return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (!strcmp(s, reserved[i]))
            return 0;
    return 1;
}

/* Record a formula error at 1-based position pos: the message, then the
 * formula and a caret under pos. Returns LR_EUSAGE. */
static int perror_at(parser *p, size_t pos, const char *fmt, ...) LR_PRINTF(3, 4);
static int perror_at(parser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return LR_EUSAGE;
    p->failed = 1;
    if (!p->err)
        return LR_EUSAGE;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t tlen = strlen(p->text);
    if (pos < 1)
        pos = 1;
    if (pos > tlen + 1)
        pos = tlen + 1;
    char caret[LR_ERROR_MAX];
    size_t c = 0;
    for (size_t i = 1; i < pos && c + 2 < sizeof caret; i++)
        caret[c++] = p->text[i - 1] == '\t' ? '\t' : ' ';
    caret[c++] = '^';
    caret[c] = '\0';
    lr_error_set(p->err, LR_EUSAGE, "formula:%zu: %s\n  %s\n  %s", pos, msg, p->text, caret);
    p->err->col = pos;
    return LR_EUSAGE;
}

static void next(parser *p)
{
    const char *t = p->text;
    size_t i = p->off;
    while (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')
        i++;
    token *k = &p->tok;
    memset(k, 0, sizeof *k);
    k->pos = i + 1;
    k->start = t + i;
    unsigned char c = (unsigned char)t[i];
    if (c == '\0') {
        k->kind = T_END;
        p->off = i;
        return;
    }
    if (c == '"' || c == '\'') {
        size_t j = i + 1;
        while (t[j] && t[j] != (char)c && t[j] != '\\')
            j++;
        if (t[j] != (char)c) {
            perror_at(p, j + 1, t[j] ? "escapes in strings are not supported"
                                     : "unterminated string");
            k->kind = T_END;
            p->off = j;
            return;
        }
        k->kind = T_STR;
        k->start = t + i + 1;
        k->len = j - i - 1;
        p->off = j + 1;
        return;
    }
    if (c == '`') {
        size_t j = i + 1;
        while (t[j] && t[j] != '`')
            j++;
        if (!t[j]) {
            perror_at(p, i + 1, "unterminated backquoted name");
            k->kind = T_END;
            p->off = j;
            return;
        }
        k->kind = T_NAME;
        k->quoted = 1;
        k->start = t + i + 1;
        k->len = j - i - 1;
        p->off = j + 1;
        return;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && t[i + 1] >= '0' && t[i + 1] <= '9')) {
        char *end;
        k->kind = T_NUM;
        k->num = strtod(t + i, &end);
        /* R's grammar: no hex, no inf; strtod would accept "0x10" and "1e" partially. */
        size_t j = i;
        while ((t[j] >= '0' && t[j] <= '9') || t[j] == '.')
            j++;
        if (t[j] == 'e' || t[j] == 'E') {
            size_t e = j + 1;
            if (t[e] == '+' || t[e] == '-')
                e++;
            if (t[e] >= '0' && t[e] <= '9') {
                while (t[e] >= '0' && t[e] <= '9')
                    e++;
                j = e;
            }
        }
        if ((size_t)(end - t) != j || is_name_char((unsigned char)t[j])) {
            perror_at(p, i + 1, "malformed number");
            k->kind = T_END;
            p->off = j;
            return;
        }
        /* R reads 1e999 as Inf, but a label cannot spell an infinite constant
         * (deparse_number needs a finite one, and a saved model parses its
         * labels again); as in the data, beyond a double's range is an error. */
        if (isinf(k->num)) {
            perror_at(p, i + 1, "%.*s is out of the range of a double", (int)(j - i), t + i);
            k->kind = T_END;
            p->off = j;
            return;
        }
        k->len = j - i;
        p->off = j;
        return;
    }
    if (is_name_start(c)) {
        size_t j = i;
        while (is_name_char((unsigned char)t[j]))
            j++;
        k->len = j - i;
        k->kind = (k->len == 1 && c == '.') ? T_DOT : T_NAME;
        p->off = j;
        return;
    }
    if (t[i + 1] == '=' && strchr("<>=!", (int)c)) {
        k->kind = T_OP;
        k->op = c == '<' ? OP_LE : c == '>' ? OP_GE : c == '=' ? OP_EQ : OP_NE;
        k->len = 2;
        p->off = i + 2;
        return;
    }
    if (c == '%') {
        /* R's %op% operators: %in% is nesting in a model formula */
        size_t j = i + 1;
        while (t[j] && t[j] != '%')
            j++;
        if (t[j] != '%' || j - i - 1 != 2 || memcmp(t + i + 1, "in", 2)) {
            perror_at(p, i + 1, "unsupported operator '%.*s' (of R's %%op%% operators, "
                      "formulas take %%in%%)", t[j] ? (int)(j - i + 1) : (int)(j - i), t + i);
            k->kind = T_END;
            p->off = j;
            return;
        }
        k->kind = T_OP;
        k->op = OP_IN;
        k->len = 4;
        p->off = j + 1;
        return;
    }
    if ((c == '&' || c == '|') && t[i + 1] == (char)c) {
        /* R's && and || take one value, not a column */
        perror_at(p, i + 1, "'%c%c' compares single values; use '%c' in a formula", c, c, c);
        k->kind = T_END;
        p->off = i + 2;
        return;
    }
    if (strchr("~+-*/:^(),=<>!&|", (int)c)) {
        k->kind = T_OP;
        k->op = (char)c;
        k->len = 1;
        p->off = i + 1;
        return;
    }
    perror_at(p, i + 1, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
    k->kind = T_END;
    p->off = i + 1;
}

static int is_op(const parser *p, char op)
{
    return p->tok.kind == T_OP && p->tok.op == op;
}

static int tok_is(const parser *p, const char *name)
{
    return p->tok.kind == T_NAME && !p->tok.quoted && p->tok.len == strlen(name) &&
           !memcmp(p->tok.start, name, p->tok.len);
}

/* ------------------------------------------------------------------------ */
/* Deparsing: labels as R prints them                                      */
/* ------------------------------------------------------------------------ */

/* A growable string in the arena (rebuilt by copying; labels are short). */
typedef struct sbuf {
    char *s;    /* NUL-terminated contents (NULL after an allocation failure) */
    size_t n;   /* length */
    size_t cap; /* capacity */
    lr_arena *arena; /* where storage comes from */
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
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

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* R's deparse of a double: up to 15 significant digits, fixed or scientific
 * whichever is narrower (R's formatReal), e.g. 1e+05, 123456, 1e-04, 0.5. */
static void deparse_number(sbuf *b, double x)
{
    char e[64], f[64];
    int sig = 15;
    snprintf(e, sizeof e, "%.*e", sig - 1, x);
    /* drop trailing zeros of the mantissa */
    char *ep = strchr(e, 'e');
    char *m = ep - 1;
    while (*m == '0')
        m--;
    if (*m == '.')
        m--;
    int nsig = 0;
    for (char *q = e; q <= m; q++)
        nsig += *q >= '0' && *q <= '9';
    int kp = atoi(ep + 1);
    char sci[64];
    snprintf(sci, sizeof sci, "%.*e", nsig > 0 ? nsig - 1 : 0, x);
    /* R writes two-digit exponents as e+05 (C does too). */
    int rgt = nsig - kp - 1;
    if (rgt < 0)
        rgt = 0;
    snprintf(f, sizeof f, "%.*f", rgt, x);
    sb_str(b, strlen(f) <= strlen(sci) ? f : sci);
}

static void deparse_name(sbuf *b, const char *name)
{
    if (lr_name_is_syntactic(name)) {
        sb_str(b, name);
    } else {
        sb_str(b, "`");
        sb_str(b, name);
        sb_str(b, "`");
    }
}

static const char *fn_name(lr_fn fn)
{
    return lr_fn_name(fn);
}

static void deparse_node(sbuf *b, const lr_node *n, const char *const *columns)
{
    switch (n->kind) {
    case LR_NODE_NUM: deparse_number(b, n->num); break;
    case LR_NODE_COL: deparse_name(b, columns[n->col]); break;
    case LR_NODE_NEG:
        sb_str(b, "-");
        deparse_node(b, n->a, columns);
        break;
    case LR_NODE_PAREN:
        sb_str(b, "(");
        deparse_node(b, n->a, columns);
        sb_str(b, ")");
        break;
    case LR_NODE_FN:
        sb_str(b, fn_name(n->fn));
        sb_str(b, "(");
        deparse_node(b, n->a, columns);
        sb_str(b, ")");
        break;
    case LR_NODE_LOGB:
        sb_str(b, "log(");
        deparse_node(b, n->a, columns);
        sb_str(b, n->named ? ", base = " : ", ");
        deparse_node(b, n->b, columns);
        sb_str(b, ")");
        break;
    case LR_NODE_NOT:
        sb_str(b, "!");
        deparse_node(b, n->a, columns);
        break;
    default: {
        /* R's deparse: spaces around + - * and comparisons and & |, none around / ^ */
        static const char *const ops[] = {
            [LR_NODE_ADD] = " + ", [LR_NODE_SUB] = " - ", [LR_NODE_MUL] = " * ",
            [LR_NODE_DIV] = "/",   [LR_NODE_POW] = "^",   [LR_NODE_LT] = " < ",
            [LR_NODE_LE] = " <= ", [LR_NODE_GT] = " > ",  [LR_NODE_GE] = " >= ",
            [LR_NODE_EQ] = " == ", [LR_NODE_NE] = " != ", [LR_NODE_AND] = " & ",
            [LR_NODE_OR] = " | "};
        deparse_node(b, n->a, columns);
        sb_str(b, ops[n->kind]);
        deparse_node(b, n->b, columns);
        break;
    }
    }
}

/* ------------------------------------------------------------------------ */
/* Arithmetic expressions                                                   */
/* ------------------------------------------------------------------------ */

static lr_node *new_node(parser *p, lr_node_kind kind, size_t pos)
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
    return perror_at(p, pos, "formula nested too deeply (more than %d levels)",
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
        perror_at(p, pos,
                  "expression too long: more than %d operators on one path of its tree "
                  "(a chain such as x1 + x2 + ... counts each operator); split it, e.g. "
                  "I(x1 + ... + x400) + I(x401 + ...)",
                  LR_FORMULA_MAX_DEPTH);
        return NULL;
    }
    lr_node *n = new_node(p, kind, pos);
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
static int nest(parser *p)
{
    if (p->depth >= LR_FORMULA_MAX_DEPTH)
        return too_deep(p, p->tok.pos);
    p->depth++;
    return LR_OK;
}

/* Resolve a name token against the data's columns. */
static int find_col(parser *p, const token *t, size_t *col)
{
    for (size_t j = 0; j < p->ncols; j++)
        if (strlen(p->columns[j]) == t->len && !memcmp(p->columns[j], t->start, t->len)) {
            *col = j;
            return LR_OK;
        }
    size_t bj = lr_suggest_name(t->start, t->len, p->columns, p->ncols);
    if (bj < p->ncols)
        return perror_at(p, t->pos, "no column named '%.*s' (did you mean '%s'?)", (int)t->len,
                         t->start, p->columns[bj]);
    return perror_at(p, t->pos, "no column named '%.*s'", (int)t->len, t->start);
}

static lr_node *arith_sum(parser *p);
static lr_node *arith_expr(parser *p);

static int fn_of(const token *t, lr_fn *fn)
{
    return !t->quoted && lr_fn_lookup(t->start, t->len, fn);
}

/* The rest of a call fn(arg ...) after its argument: ')' or, for log, a base
 * ", b" or ", base = b" (R's log(x, base)). */
static lr_node *finish_call(parser *p, const token *t, lr_fn fn, lr_node *arg)
{
    if (fn == LR_FN_LOG && is_op(p, ',')) {
        next(p);
        int named = 0;
        /* "base =" names the argument; a lone "base" is a column */
        const char *after = p->text + p->off;
        while (*after == ' ' || *after == '\t')
            after++;
        if (tok_is(p, "base") && after[0] == '=' && after[1] != '=') {
            next(p);
            if (!is_op(p, '='))
                return perror_at(p, p->tok.pos, "expected '=' after base"), NULL;
            next(p);
            named = 1;
        }
        lr_node *base = arith_expr(p);
        if (!base)
            return NULL;
        if (!is_op(p, ')'))
            return perror_at(p, p->tok.pos, "expected ')' to close log("), NULL;
        next(p);
        lr_node *n = new_op(p, LR_NODE_LOGB, t->pos, arg, base);
        if (n)
            n->named = named;
        return n;
    }
    if (!is_op(p, ')')) {
        perror_at(p, p->tok.pos, "expected ')' to close %s(", fn_name(fn));
        return NULL;
    }
    next(p);
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
        next(p);
        lr_node *n = new_node(p, LR_NODE_NUM, t.pos);
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
        next(p);
        lr_node *inner = arith_expr(p);
        if (!inner)
            return NULL;
        if (!is_op(p, ')')) {
            perror_at(p, p->tok.pos, "expected ')'");
            return NULL;
        }
        next(p);
        return new_op(p, LR_NODE_PAREN, t.pos, inner, NULL);
    }
    if (t.kind == T_NAME) {
        next(p);
        lr_fn fn;
        if (is_op(p, '(')) {
            if (!fn_of(&t, &fn)) {
                perror_at(p, t.pos, "unknown function '%.*s' (inside I() and functions: I, "
                          "log, log2, log10, log1p, exp, expm1, sqrt, abs, sin, cos, tan)",
                          (int)t.len, t.start);
                return NULL;
            }
            next(p);
            lr_node *arg = arith_expr(p);
            if (!arg)
                return NULL;
            return finish_call(p, &t, fn, arg);
        }
        size_t col;
        if (find_col(p, &t, &col))
            return NULL;
        lr_node *n = new_node(p, LR_NODE_COL, t.pos);
        if (n)
            n->col = col;
        return n;
    }
    if (t.kind == T_END)
        perror_at(p, t.pos, "unexpected end of formula");
    else
        perror_at(p, t.pos, "unexpected '%.*s'", (int)t.len, t.start);
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
        next(p);
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
    if (nest(p))
        return NULL;
    lr_node *n;
    if (is_op(p, '-') || is_op(p, '+')) {
        int neg = is_op(p, '-');
        size_t pos = p->tok.pos;
        next(p);
        n = arith_unary(p);
        if (n && neg)
            n = new_op(p, LR_NODE_NEG, pos, n, NULL);
    } else {
        n = arith_power(p);
    }
    p->depth--;
    return n;
}

static lr_node *arith_prod(parser *p)
{
    lr_node *a = arith_unary(p);
    while (a && (is_op(p, '*') || is_op(p, '/'))) {
        lr_node_kind k = is_op(p, '*') ? LR_NODE_MUL : LR_NODE_DIV;
        size_t pos = p->tok.pos;
        next(p);
        lr_node *b = arith_unary(p);
        if (!b)
            return NULL;
        a = new_op(p, k, pos, a, b);
    }
    return a;
}

static lr_node *arith_sum(parser *p)
{
    lr_node *a = arith_prod(p);
    while (a && (is_op(p, '+') || is_op(p, '-'))) {
        lr_node_kind k = is_op(p, '+') ? LR_NODE_ADD : LR_NODE_SUB;
        size_t pos = p->tok.pos;
        next(p);
        lr_node *b = arith_prod(p);
        if (!b)
            return NULL;
        a = new_op(p, k, pos, a, b);
    }
    return a;
}

/* R's precedence below + and -: comparisons (not associative: a < b < c is
 * an error in R), then !, then &, then |. */
static lr_node *arith_cmp(parser *p)
{
    lr_node *a = arith_sum(p);
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
    next(p);
    lr_node *b = arith_sum(p);
    if (!b)
        return NULL;
    lr_node *n = new_op(p, k, pos, a, b);
    if (n && p->tok.kind == T_OP && strchr("<>LGEN", p->tok.op)) {
        perror_at(p, p->tok.pos, "comparisons do not chain in R: write (a < b) & (b < c)");
        return NULL;
    }
    return n;
}

static lr_node *arith_not(parser *p)
{
    if (!is_op(p, '!'))
        return arith_cmp(p);
    if (nest(p))
        return NULL;
    size_t pos = p->tok.pos;
    next(p);
    lr_node *a = arith_not(p);
    p->depth--;
    return a ? new_op(p, LR_NODE_NOT, pos, a, NULL) : NULL;
}

static lr_node *arith_and(parser *p)
{
    lr_node *a = arith_not(p);
    while (a && is_op(p, '&')) {
        size_t pos = p->tok.pos;
        next(p);
        lr_node *b = arith_not(p);
        if (!b)
            return NULL;
        a = new_op(p, LR_NODE_AND, pos, a, b);
    }
    return a;
}

/* An expression inside a call or parentheses: R's full precedence. */
static lr_node *arith_expr(parser *p)
{
    lr_node *a = arith_and(p);
    while (a && is_op(p, '|')) {
        size_t pos = p->tok.pos;
        next(p);
        lr_node *b = arith_and(p);
        if (!b)
            return NULL;
        a = new_op(p, LR_NODE_OR, pos, a, b);
    }
    return a;
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

/* ------------------------------------------------------------------------ */
/* Variables                                                                */
/* ------------------------------------------------------------------------ */

/* The variable with this label, created if new. Returns its index or SIZE_MAX. */
static size_t intern_var(parser *p, char *label, lr_var_kind kind, lr_node *expr,
                         size_t col, int degree, size_t pos)
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

static char *label_of(parser *p, const lr_node *n, const char *prefix, const char *suffix)
{
    sbuf b = {NULL, 0, 0, &p->f->arena};
    sb_str(&b, prefix);
    if (n)
        deparse_node(&b, n, p->columns);
    sb_str(&b, suffix);
    if (!b.s) {
        p->failed = 1;
        lr_error_nomem(p->err);
    }
    return b.s;
}

/* ------------------------------------------------------------------------ */
/* Term sets                                                                */
/* ------------------------------------------------------------------------ */

/* A set of terms; each term a sorted array of variable indices. `noint` and
 * `yesint` record an explicit 0 / 1 in a sum. */
typedef struct tset {
    lr_term *t;  /* the terms */
    size_t n;    /* their number */
    size_t cap;  /* capacity */
    int zero;    /* contains the "0" marker (no intercept) */
} tset;

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
static int ts_add(parser *p, tset *s, const lr_term *t)
{
    if (ts_has(s, t))
        return LR_OK;
    /* Every term is at least one model column, and a model has at most
     * LR_FORMULA_MAX_TERMS (the term sets' linear searches stay cheap). */
    if (s->n >= LR_FORMULA_MAX_TERMS) {
        /* too wide a model is a data error (exit 1), as when the columns are
         * named by -y/-x or counted by the model frame, not a usage error */
        perror_at(p, p->tok.pos,
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
        if (ts_add(p, dst, &src->t[i]))
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
            if (term_union(p, &a->t[i], &b->t[j], &u) || ts_add(p, out, &u))
                return LR_ENOMEM;
        }
    return LR_OK;
}

static int model_sum(parser *p, tset *out);

/* R's logical: a comparison or logical operator, possibly in parentheses. */
static int expr_is_logical(const lr_node *n)
{
    while (n->kind == LR_NODE_PAREN)
        n = n->a;
    return lr_node_is_logical(n->kind);
}

static int single_var(parser *p, size_t v, tset *out)
{
    memset(out, 0, sizeof *out);
    if (v == SIZE_MAX)
        return LR_EUSAGE;
    lr_term t = {&v, 1};
    return ts_add(p, out, &t);
}

/* A number argument, possibly signed; its text as R deparses it appended to b. */
static int basis_number(parser *p, double *x, char *b, size_t bn)
{
    int neg = 0;
    if (is_op(p, '-')) {
        neg = 1;
        next(p);
    }
    if (p->tok.kind != T_NUM)
        return perror_at(p, p->tok.pos, "expected a number");
    *x = neg ? -p->tok.num : p->tok.num;
    sbuf t = {NULL, 0, 0, &p->f->arena};
    deparse_number(&t, *x);
    if (!t.s)
        return (p->failed = 1, lr_error_nomem(p->err));
    strncat(b, t.s, bn - strlen(b) - 1);
    next(p);
    return LR_OK;
}

/* NUM or c(NUM, ...): up to max numbers into x[0..*n). */
static int basis_numbers(parser *p, double *x, size_t max, size_t *n, char *b, size_t bn)
{
    *n = 0;
    if (!tok_is(p, "c"))
        return (*n = 1, basis_number(p, x, b, bn));
    next(p);
    if (!is_op(p, '('))
        return perror_at(p, p->tok.pos, "expected '(' after c");
    next(p);
    strncat(b, "c(", bn - strlen(b) - 1);
    for (;;) {
        if (*n == max)
            return perror_at(p, p->tok.pos, "at most %zu values here", max);
        if (basis_number(p, &x[(*n)++], b, bn))
            return LR_EUSAGE;
        if (!is_op(p, ','))
            break;
        strncat(b, ", ", bn - strlen(b) - 1);
        next(p);
    }
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close c(");
    next(p);
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
            next(p);
            return LR_OK;
        }
    return perror_at(p, p->tok.pos, "expected TRUE or FALSE");
}

/*
 * poly(arith, d [, raw = TRUE|FALSE]), scale(arith [, center =] [, scale =]),
 * ns(arith [, df =] [, knots =] [, Boundary.knots =]) and bs(... [, degree =]):
 * raw poly is powers; the others a data-dependent basis (basis.h). The label
 * is the call as R deparses it.
 */
static int parse_basis(parser *p, const token *fn_tok, tset *out)
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
    next(p); /* ( */
    lr_node *x = arith_sum(p);
    if (!x)
        return LR_EUSAGE;
    for (int argi = 1; is_op(p, ','); argi++) {
        next(p);
        strncat(args, ", ", sizeof args - strlen(args) - 1);
        double v = 0;
        size_t n, at = p->tok.pos;
        if (b->kind == LR_BASIS_POLY && argi == 1) {
            if (basis_number(p, &v, args, sizeof args))
                return LR_EUSAGE;
            if (v < 1 || v > LR_BASIS_MAX_DEGREE || v != floor(v))
                return perror_at(p, at,
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
            return perror_at(p, p->tok.pos, "%.*s() takes %s here", (int)fn_tok->len, fn,
                             b->kind == LR_BASIS_POLY    ? "the degree, then raw ="
                             : b->kind == LR_BASIS_SCALE ? "center = and scale ="
                             : b->kind == LR_BASIS_NS    ? "df =, knots =, intercept = and "
                                                           "Boundary.knots ="
                                                         : "df =, knots =, degree =, "
                                                           "intercept = and Boundary.knots =");
        strncat(args, names[a], sizeof args - strlen(args) - 1);
        strncat(args, " = ", sizeof args - strlen(args) - 1);
        next(p);
        if (!is_op(p, '='))
            return perror_at(p, p->tok.pos, "expected '=' after %s", names[a]);
        next(p);
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
            return perror_at(p, at, "Boundary.knots needs two different values");
        if (a == 5) {
            b->boundary_given = 1;
            if (b->boundary[0] > b->boundary[1]) {
                double t = b->boundary[0];
                b->boundary[0] = b->boundary[1];
                b->boundary[1] = t;
            }
        }
        if ((a == 3 || a == 6) && (v != floor(v) || v < 1 || v > LR_BASIS_MAX_DEGREE))
            return perror_at(p, at, "%s must be a whole number from 1 to %d", names[a],
                             LR_BASIS_MAX_DEGREE);
        if (a == 3)
            b->df = (int)v;
        if (a == 6)
            b->degree = (int)v;
    }
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close %.*s(", (int)fn_tok->len, fn);
    next(p);
    if (b->kind == LR_BASIS_POLY && b->degree == 0)
        return perror_at(p, fn_tok->pos, "poly() needs a degree: poly(x, 3)");
    /* columns: poly d; scale 1; ns knots + 1; bs knots + degree, one more with
     * intercept = TRUE, where df (without knots) makes df − 1 (ns) or df − degree
     * (bs) interior knots, one fewer with intercept = TRUE, at least 0 (R's
     * nIknots) */
    int ord = b->kind == LR_BASIS_NS ? 4 : b->degree + 1;
    if ((b->kind == LR_BASIS_NS || b->kind == LR_BASIS_BS) && !b->knots_given && b->df) {
        int m = (b->kind == LR_BASIS_NS ? b->df - 1 : b->df - b->degree) - b->intercept;
        b->nknots = m > 0 ? (size_t)m : 0;
        if (m > LR_BASIS_MAX_KNOTS)
            return perror_at(p, fn_tok->pos, "df makes more than %d knots", LR_BASIS_MAX_KNOTS);
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
    char *label = label_of(p, x, prefix, args);
    if (!label)
        return LR_ENOMEM;
    size_t v = intern_var(p, label, LR_VAR_POLY, x, 0, b->ncol, fn_tok->pos);
    if (v != SIZE_MAX && !raw && !p->f->vars[v].basis)
        p->f->vars[v].basis = b;
    return single_var(p, v, out);
}

/* A string argument: its bytes, copied into the arena; sb gets it deparsed
 * as R does ("..."). */
static char *string_arg(parser *p, sbuf *sb)
{
    if (p->tok.kind != T_STR) {
        perror_at(p, p->tok.pos, "expected a string in quotes");
        return NULL;
    }
    char *s = lr_arena_strndup(&p->f->arena, p->tok.start, p->tok.len);
    if (!s) {
        p->failed = 1;
        lr_error_nomem(p->err);
        return NULL;
    }
    if (memchr(s, '"', p->tok.len)) {
        perror_at(p, p->tok.pos, "a level with a double quote is not supported");
        return NULL;
    }
    sb_str(sb, "\"");
    sb_str(sb, s);
    sb_str(sb, "\"");
    next(p);
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
            sb_str(b, known[i].name);
            next(p);
            if (is_op(p, ','))
                return perror_at(p, p->tok.pos, "C() takes a factor and its contrasts only "
                                                "(how.many is not supported)");
            return LR_OK;
        }
    return perror_at(p, p->tok.pos, "C() takes contr.treatment, contr.sum or contr.helmert "
                                    "(or treatment, sum, helmert): other contrasts are not "
                                    "supported");
}

/* The rest of factor(x, levels = c("a", ...)) or relevel(x, ref = "a")
 * after x: the options into v, their deparse into b (R's). */
static int factor_options(parser *p, const token *fn_tok, sbuf *b, lr_var *v)
{
    int relevel = fn_tok->len == 7;
    if (!is_op(p, ','))
        return relevel ? perror_at(p, p->tok.pos, "relevel() needs ref = \"level\"") : LR_OK;
    next(p);
    sb_str(b, ", ");
    if (fn_tok->len == 1)
        return contrast_option(p, b, v);
    if (relevel) {
        if (named_arg(p, "ref")) {
            next(p);
            next(p);
            sb_str(b, "ref = ");
        }
        v->ref = string_arg(p, b);
        return v->ref ? LR_OK : LR_EUSAGE;
    }
    if (!named_arg(p, "levels"))
        return perror_at(p, p->tok.pos, "factor() takes levels = c(\"a\", \"b\", ...)");
    next(p);
    next(p);
    sb_str(b, "levels = c(");
    if (!tok_is(p, "c"))
        return perror_at(p, p->tok.pos, "expected c(\"a\", \"b\", ...)");
    next(p);
    if (!is_op(p, '('))
        return perror_at(p, p->tok.pos, "expected '(' after c");
    next(p);
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
            sb_str(b, ", ");
        size_t pos = p->tok.pos;
        char *s = string_arg(p, b);
        if (!s)
            return LR_EUSAGE;
        for (size_t i = 0; i < v->nlevels; i++)
            if (!strcmp(v->levels[i], s))
                return perror_at(p, pos, "level \"%s\" is given twice", s);
        v->levels[v->nlevels++] = s;
        if (!is_op(p, ','))
            break;
        next(p);
    }
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close c(");
    next(p);
    sb_str(b, ")");
    return LR_OK;
}

/* factor(name), C(name), factor(name, levels = c(...)), relevel(name, ref = "a") */
static int parse_factor(parser *p, const token *fn_tok, tset *out)
{
    next(p); /* ( */
    /* relevel(factor(x), ...): as R users write for a numeric column */
    int inner = fn_tok->len == 7 && tok_is(p, "factor");
    if (inner) {
        next(p);
        if (!is_op(p, '('))
            return perror_at(p, p->tok.pos, "expected '(' after factor");
        next(p);
    }
    token t = p->tok;
    if (t.kind != T_NAME)
        return perror_at(p, t.pos, "%.*s() takes a column name", (int)fn_tok->len,
                         fn_tok->start);
    size_t col;
    if (find_col(p, &t, &col))
        return LR_EUSAGE;
    next(p);
    if (inner) {
        if (!is_op(p, ')'))
            return perror_at(p, p->tok.pos, "expected ')' to close factor(");
        next(p);
    }
    sbuf b = {NULL, 0, 0, &p->f->arena};
    sb_put(&b, fn_tok->start, fn_tok->len);
    sb_str(&b, inner ? "(factor(" : "(");
    deparse_name(&b, p->columns[col]);
    if (inner)
        sb_str(&b, ")");
    lr_var opts = {0};
    if (factor_options(p, fn_tok, &b, &opts))
        return LR_EUSAGE;
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close %.*s(", (int)fn_tok->len,
                         fn_tok->start);
    next(p);
    sb_str(&b, ")");
    if (!b.s) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    size_t v = intern_var(p, b.s, LR_VAR_FACTOR, NULL, col, 0, fn_tok->pos);
    if (v != SIZE_MAX) {
        p->f->vars[v].levels = opts.levels;
        p->f->vars[v].nlevels = opts.nlevels;
        p->f->vars[v].ref = opts.ref;
        p->f->vars[v].contrast = opts.contrast;
    }
    return single_var(p, v, out);
}

/* interaction(a, b, ... [, drop = ] [, sep = "."] [, lex.order = ]): one factor
 * whose levels are the combinations seen (lm drops unused levels, so drop =
 * changes nothing but the label), ordered with a varying fastest. */
static int parse_interaction(parser *p, const token *fn_tok, tset *out)
{
    sbuf b = {NULL, 0, 0, &p->f->arena};
    sb_str(&b, "interaction(");
    next(p); /* ( */
    size_t cols[64], n = 0;
    int flag = 0, lex = 0;
    const char *sep = ".";
    for (;;) {
        token t = p->tok;
        if (named_arg(p, "drop") || named_arg(p, "lex.order") || named_arg(p, "sep")) {
            int is_sep = tok_is(p, "sep"), is_lex = tok_is(p, "lex.order");
            sb_str(&b, is_sep ? ", sep = " : is_lex ? ", lex.order = " : ", drop = ");
            next(p);
            next(p);
            if (is_sep) {
                size_t at = p->tok.pos;
                if (!(sep = string_arg(p, &b)))
                    return LR_EUSAGE;
                if (strchr(sep, '\x1f'))
                    return perror_at(p, at, "sep cannot hold the byte 0x1f");
            } else {
                char word[8] = ""; /* as written: R deparses T as T */
                if (basis_flag(p, is_lex ? &lex : &flag, word, sizeof word))
                    return LR_EUSAGE;
                sb_str(&b, word);
            }
        } else {
            if (t.kind != T_NAME)
                return perror_at(p, t.pos, "interaction() takes column names");
            if (n == 64)
                return perror_at(p, t.pos, "interaction() of more than 64 columns");
            if (find_col(p, &t, &cols[n]))
                return LR_EUSAGE;
            if (n)
                sb_str(&b, ", ");
            deparse_name(&b, p->columns[cols[n++]]);
            next(p);
        }
        if (!is_op(p, ','))
            break;
        next(p);
    }
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close interaction(");
    if (n < 2)
        return perror_at(p, fn_tok->pos, "interaction() needs two columns or more");
    next(p);
    sb_str(&b, ")");
    size_t *ic = lr_arena_alloc(&p->f->arena, n * sizeof *ic);
    if (!b.s || !ic) {
        p->failed = 1;
        return lr_error_nomem(p->err);
    }
    memcpy(ic, cols, n * sizeof *ic);
    size_t v = intern_var(p, b.s, LR_VAR_FACTOR, NULL, cols[0], 0, fn_tok->pos);
    if (v != SIZE_MAX) {
        p->f->vars[v].icols = ic;
        p->f->vars[v].nicols = n;
        p->f->vars[v].isep = sep;
        p->f->vars[v].lex_order = lex;
    }
    return single_var(p, v, out);
}

/* offset(expr): a variable in no term (R's terms() keeps it aside, in its
 * "offset" attribute); the term set it adds is empty. */
static int parse_offset(parser *p, const token *fn_tok)
{
    next(p); /* ( */
    if (p->in_lhs)
        return perror_at(p, fn_tok->pos, "offset() belongs on the right of '~'");
    lr_node *x = arith_expr(p);
    if (!x)
        return LR_EUSAGE;
    if (!is_op(p, ')'))
        return perror_at(p, p->tok.pos, "expected ')' to close offset(");
    next(p);
    char *label = label_of(p, x, "offset(", ")");
    if (!label)
        return LR_ENOMEM;
    size_t v = intern_var(p, label, LR_VAR_EXPR, x, 0, 0, fn_tok->pos);
    if (v == SIZE_MAX)
        return LR_ENOMEM;
    if (p->f->offset && p->f->offset != v)
        return perror_at(p, fn_tok->pos, "linreg supports one offset() (add them in one: "
                                         "offset(a + b))");
    p->f->offset = v;
    return LR_OK;
}

/* '.': every column not used by the response. */
static int parse_dot(parser *p, tset *out)
{
    size_t pos = p->tok.pos;
    memset(out, 0, sizeof *out);
    if (p->in_lhs)
        return perror_at(p, pos, "'.' cannot be used in the response");
    next(p);
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
        lr_node *cn = new_node(p, LR_NODE_COL, pos);
        if (!cn)
            return LR_ENOMEM;
        cn->col = j;
        char *label = label_of(p, cn, "", "");
        if (!label)
            return LR_ENOMEM;
        size_t v = intern_var(p, label, LR_VAR_COLUMN, cn, j, 0, pos);
        if (v == SIZE_MAX)
            return LR_ENOMEM;
        lr_term t = {&v, 1};
        if (ts_add(p, out, &t))
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
        next(p);
        if (t.num == 1) {
            lr_term e = {NULL, 0};
            return ts_add(p, out, &e);
        }
        if (t.num == 0) {
            out->zero = 1;
            return LR_OK;
        }
        return perror_at(p, t.pos, "a number in a formula must be 0 or 1 (use I() for "
                                   "arithmetic)");
    }
    if (is_op(&*p, '(')) {
        /* a parenthesised model term: the model descent's only cycle */
        if (nest(p))
            return LR_EUSAGE;
        next(p);
        int rc = model_sum(p, out);
        p->depth--;
        if (rc)
            return rc;
        if (!is_op(p, ')'))
            return perror_at(p, p->tok.pos, "expected ')'");
        next(p);
        return LR_OK;
    }
    if (t.kind == T_NAME) {
        next(p);
        if (is_op(p, '(')) {
            lr_fn fn;
            if (!t.quoted && t.len == 1 && t.start[0] == 'I') {
                size_t open = p->tok.pos;
                next(p);
                lr_node *x = arith_expr(p);
                if (!x)
                    return LR_EUSAGE;
                if (!is_op(p, ')'))
                    return perror_at(p, p->tok.pos, "expected ')' to close I( at %zu", open);
                next(p);
                char *label = label_of(p, x, "I(", ")");
                if (!label)
                    return LR_ENOMEM;
                size_t v = intern_var(p, label, LR_VAR_EXPR, x, 0, 0, t.pos);
                if (v != SIZE_MAX)
                    p->f->vars[v].logical = expr_is_logical(x);
                return single_var(p, v, out);
            }
            if (!t.quoted && t.len == 11 && !memcmp(t.start, "interaction", 11))
                return parse_interaction(p, &t, out);
            if (!t.quoted && ((t.len == 6 && !memcmp(t.start, "factor", 6)) ||
                              (t.len == 7 && !memcmp(t.start, "relevel", 7)) ||
                              (t.len == 1 && t.start[0] == 'C')))
                return parse_factor(p, &t, out);
            if (!t.quoted &&
                ((t.len == 4 && !memcmp(t.start, "poly", 4)) ||
                 (t.len == 5 && !memcmp(t.start, "scale", 5)) ||
                 (t.len == 2 && (!memcmp(t.start, "ns", 2) || !memcmp(t.start, "bs", 2)))))
                return parse_basis(p, &t, out);
            if (!t.quoted && t.len == 6 && !memcmp(t.start, "offset", 6))
                return parse_offset(p, &t);
            if (fn_of(&t, &fn)) {
                next(p);
                lr_node *x = arith_expr(p);
                if (!x)
                    return LR_EUSAGE;
                lr_node *n = finish_call(p, &t, fn, x);
                if (!n)
                    return LR_EUSAGE; /* too deep, or out of memory: err says which */
                char *label = label_of(p, n, "", "");
                if (!label)
                    return LR_ENOMEM;
                return single_var(p, intern_var(p, label, LR_VAR_EXPR, n, 0, 0, t.pos), out);
            }
            return perror_at(p, t.pos,
                             "unknown function '%.*s' (known: I, log, log2, log10, log1p, exp, "
                             "expm1, sqrt, abs, sin, cos, tan, poly, scale, ns, bs, factor, "
                             "relevel, C)",
                             (int)t.len, t.start);
        }
        size_t col;
        if (find_col(p, &t, &col))
            return LR_EUSAGE;
        lr_node *cn = new_node(p, LR_NODE_COL, t.pos);
        if (!cn)
            return LR_ENOMEM;
        cn->col = col;
        char *label = label_of(p, cn, "", "");
        if (!label)
            return LR_ENOMEM;
        return single_var(p, intern_var(p, label, LR_VAR_COLUMN, cn, col, 0, t.pos), out);
    }
    if (t.kind == T_END)
        return perror_at(p, t.pos, "unexpected end of formula");
    return perror_at(p, t.pos, "unexpected '%.*s'", (int)t.len, t.start);
}

static int model_power(parser *p, tset *out)
{
    int rc = model_primary(p, out);
    if (rc || !is_op(p, '^'))
        return rc;
    next(p);
    if (p->tok.kind != T_NUM || p->tok.num < 1 || p->tok.num != floor(p->tok.num) ||
        p->tok.num > 64)
        return perror_at(p, p->tok.pos, "the power of a term must be a positive whole number "
                                        "(use I(x^2) for arithmetic)");
    int k = (int)p->tok.num;
    next(p);
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

static int model_inter(parser *p, tset *out)
{
    int rc = model_power(p, out);
    while (!rc && is_op(p, ':')) {
        next(p);
        tset b, c;
        if ((rc = model_power(p, &b)))
            return rc;
        if ((rc = ts_interact(p, out, &b, &c)))
            return rc;
        *out = c;
    }
    return rc;
}

/* a %in% b: R's terms() reads it as a:b (the terms of a, each with b's),
 * binding less tightly than ':' and more than '*' and '/' (R's precedence
 * of %op% operators): a*b %in% c is a + b:c + a:b:c. */
static int model_in(parser *p, tset *out)
{
    int rc = model_inter(p, out);
    while (!rc && is_op(p, OP_IN)) {
        next(p);
        tset b, c;
        if ((rc = model_inter(p, &b)))
            return rc;
        if ((rc = ts_interact(p, out, &b, &c)))
            return rc;
        *out = c;
    }
    return rc;
}

static int model_prod(parser *p, tset *out)
{
    int rc = model_in(p, out);
    while (!rc && (is_op(p, '*') || is_op(p, '/'))) {
        int nest = is_op(p, '/');
        next(p);
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
            if (ts_add(p, &whole, &all) || ts_interact(p, &whole, &b, &c))
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

static int model_sum(parser *p, tset *out)
{
    memset(out, 0, sizeof *out);
    int sign = 1;
    if (is_op(p, '-')) {
        sign = -1;
        next(p);
    } else if (is_op(p, '+')) {
        next(p);
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
                if ((rc = ts_add(p, out, &b.t[i])))
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
                if ((rc = ts_add(p, out, &empty)))
                    return rc;
            }
        }
        if (is_op(p, '+'))
            sign = 1;
        else if (is_op(p, '-'))
            sign = -1;
        else
            break;
        next(p);
    }
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */
/* ------------------------------------------------------------------------ */

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
    next(&p);

    /* The response: one arithmetic expression (a column or a transformation). */
    if (is_op(&p, '~')) {
        perror_at(&p, p.tok.pos, "the formula needs a response on the left of '~'");
        goto fail;
    }
    p.in_lhs = 1;
    {
        token first = p.tok;
        lr_node *y = arith_expr(&p);
        if (!y)
            goto fail;
        char *label = label_of(&p, y, "", "");
        if (!label)
            goto fail;
        lr_var_kind kind = y->kind == LR_NODE_COL ? LR_VAR_COLUMN : LR_VAR_EXPR;
        if (intern_var(&p, label, kind, y, y->kind == LR_NODE_COL ? y->col : 0, 0, first.pos) ==
            SIZE_MAX)
            goto fail;
    }
    p.in_lhs = 0;
    p.lhs_nvars = f->nvars;
    if (!is_op(&p, '~')) {
        if (p.tok.kind == T_END)
            perror_at(&p, p.tok.pos, "expected '~' after the response");
        else
            perror_at(&p, p.tok.pos, "unexpected '%.*s' (expected '~')", (int)p.tok.len,
                      p.tok.start);
        goto fail;
    }
    next(&p);
    tset rhs;
    if (model_sum(&p, &rhs))
        goto fail;
    if (p.tok.kind != T_END) {
        perror_at(&p, p.tok.pos, "unexpected '%.*s'", (int)p.tok.len, p.tok.start);
        goto fail;
    }
    /* The response must not also be a term. */
    for (size_t i = 0; i < rhs.n; i++)
        if (rhs.t[i].n == 1 && rhs.t[i].vars[0] == 0) {
            perror_at(&p, f->vars[0].pos, "the response '%s' is also a predictor",
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
    deparse_name(&b, y);
    sb_str(&b, " ~ ");
    if (!intercept)
        sb_str(&b, "0 + ");
    size_t nf = 0;
    if (features) {
        for (size_t i = 0; i < nfeatures; i++) {
            if (nf++)
                sb_str(&b, " + ");
            deparse_name(&b, features[i]);
        }
    } else {
        for (size_t j = 0; j < ncols; j++) {
            if (!strcmp(columns[j], y))
                continue;
            if (nf++)
                sb_str(&b, " + ");
            deparse_name(&b, columns[j]);
        }
    }
    if (nf == 0)
        sb_str(&b, intercept ? "1" : "0");
    if (!b.s) {
        lr_arena_free(&tmp);
        return lr_error_nomem(err);
    }
    int rc = lr_formula_parse(b.s, columns, ncols, out, err);
    lr_arena_free(&tmp);
    return rc;
}
