/*
 * formula_impl.h — the formula parser's state, shared by the formula's own
 * files: formula_lexer.c (tokens, errors with a caret), formula_deparse.c
 * (labels as R prints them), formula_arith.c (arithmetic expressions),
 * formula_terms.c (variables, term sets and the model's descent),
 * formula_calls.c (poly/scale/ns/bs, factor/C/relevel, interaction,
 * offset) and formula.c (the entry points). No other file includes it
 * (scripts/include_graph.sh checks).
 */
#ifndef LR_FORMULA_IMPL_H
#define LR_FORMULA_IMPL_H

#include <string.h>

#include "formula.h"

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
    const char *text;           /* the formula */
    size_t off;                 /* next byte to lex */
    token tok;                  /* current token */
    const char *const *columns; /* data column names */
    size_t ncols;               /* their number */
    lr_formula *f;              /* the result being built */
    size_t vcap;                /* capacity of f->vars */
    lr_error *err;              /* where errors go */
    int failed;                 /* an error was recorded */
    size_t lhs_nvars;           /* variables of the response (excluded from '.') */
    int in_lhs;                 /* parsing the left-hand side */
    size_t depth;               /* nesting of the recursive descent (see nest()) */
} parser;

/* The current token is the operator op. */
static inline int is_op(const parser *p, char op)
{
    return p->tok.kind == T_OP && p->tok.op == op;
}

/* The current token is the unquoted name `name`. */
static inline int tok_is(const parser *p, const char *name)
{
    return p->tok.kind == T_NAME && !p->tok.quoted && p->tok.len == strlen(name) &&
           !memcmp(p->tok.start, name, p->tok.len);
}

/* A growable string in the arena (rebuilt by copying; labels are short). */
typedef struct sbuf {
    char *s;         /* NUL-terminated contents (NULL after an allocation failure) */
    size_t n;        /* length */
    size_t cap;      /* capacity */
    lr_arena *arena; /* where storage comes from */
} sbuf;

/* A set of terms; each term a sorted array of variable indices. `noint` and
 * `yesint` record an explicit 0 / 1 in a sum. */
typedef struct tset {
    lr_term *t; /* the terms */
    size_t n;   /* their number */
    size_t cap; /* capacity */
    int zero;   /* contains the "0" marker (no intercept) */
} tset;

/* formula_lexer.c */
/* Record a formula error at 1-based position pos: the message, then the
 * formula and a caret under pos (the first error only). Returns LR_EUSAGE. */
int lr_formula_error(parser *p, size_t pos, const char *fmt, ...) LR_PRINTF(3, 4);
/* The next token into p->tok (T_END at the end; an error is recorded). */
void lr_lex_next(parser *p);

/* formula_deparse.c: sb's storage comes from its arena; after an allocation
 * failure b->s is NULL and further appends do nothing. */
void lr_sb_put(sbuf *b, const char *s, size_t n);
void lr_sb_str(sbuf *b, const char *s);
/* x as R deparses a double (lr_format_r_number), appended to b. */
void lr_deparse_number(sbuf *b, double x);
/* A column name as R deparses it: backquoted unless syntactic. */
void lr_deparse_name(sbuf *b, const char *name);
/* An expression as R deparses it (its label), columns naming its columns. */
void lr_deparse_node(sbuf *b, const lr_node *n, const char *const *columns);

/* formula_arith.c */
/* A new node of p's formula (NULL, and the error recorded, when out of memory). */
lr_node *lr_formula_node(parser *p, lr_node_kind kind, size_t pos);
/* Enter one level of the recursive descent; the caller leaves it with
 * p->depth--. LR_OK, or LR_EUSAGE beyond LR_FORMULA_MAX_DEPTH. */
int lr_formula_nest(parser *p);
/* The data column of name token t into *col; an error if none. */
int lr_formula_column(parser *p, const token *t, size_t *col);
/* Whether name token t is a function of lr_fn (and which, in *fn). */
int lr_formula_fn_of(const token *t, lr_fn *fn);
/* The rest of the call fn(arg ...) named by t, after its argument. */
lr_node *lr_formula_finish_call(parser *p, const token *t, lr_fn fn, lr_node *arg);
/* An arithmetic sum (a + b - c, no comparison or logical operator), and a
 * full expression (R's precedence): NULL on error (recorded). */
lr_node *lr_arith_sum(parser *p);
lr_node *lr_arith_expr(parser *p);

/* formula_terms.c */
/* The variable with this label, created if new: its index, or SIZE_MAX. */
size_t lr_formula_var(parser *p, char *label, lr_var_kind kind, lr_node *expr, size_t col,
                      int degree, size_t pos);
/* prefix, the deparsed n (if any) and suffix, in the formula's arena (NULL
 * when out of memory, recorded). */
char *lr_formula_label(parser *p, const lr_node *n, const char *prefix, const char *suffix);
/* Add a copy of term t to s unless present. */
int lr_ts_add(parser *p, tset *s, const lr_term *t);
/* *out = { {v} } (v from lr_formula_var: SIZE_MAX is its error). */
int lr_ts_single_var(parser *p, size_t v, tset *out);
/* A model sum (terms joined by + and -) into *out. */
int lr_terms_sum(parser *p, tset *out);

/* formula_calls.c: the call named by fn_tok, p at its '(' */
int lr_call_basis(parser *p, const token *fn_tok, tset *out);
int lr_call_factor(parser *p, const token *fn_tok, tset *out);
int lr_call_interaction(parser *p, const token *fn_tok, tset *out);
int lr_call_offset(parser *p, const token *fn_tok);

#endif
