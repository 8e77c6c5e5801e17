/*
 * formula_lexer.c — a formula's tokens (names, backquoted names, numbers,
 * strings, '.', operators), and its errors: the message, the formula, and a
 * caret under the position.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "formula_impl.h"

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
    static const char *const reserved[] = {"if",   "else", "repeat", "while", "function",
                                           "for",  "next", "break",  "TRUE",  "FALSE",
                                           "NULL", "Inf",  "NaN",    "NA",    "in"};
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
int lr_formula_error(parser *p, size_t pos, const char *fmt, ...)
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

void lr_lex_next(parser *p)
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
            lr_formula_error(p, j + 1,
                             t[j] ? "escapes in strings are not supported" : "unterminated string");
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
            lr_formula_error(p, i + 1, "unterminated backquoted name");
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
            lr_formula_error(p, i + 1, "malformed number");
            k->kind = T_END;
            p->off = j;
            return;
        }
        /* R reads 1e999 as Inf, but a label cannot spell an infinite constant
         * (deparse_number needs a finite one, and a saved model parses its
         * labels again); as in the data, beyond a double's range is an error. */
        if (isinf(k->num)) {
            lr_formula_error(p, i + 1, "%.*s is out of the range of a double", (int)(j - i), t + i);
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
            lr_formula_error(p, i + 1,
                             "unsupported operator '%.*s' (of R's %%op%% operators, "
                             "formulas take %%in%%)",
                             t[j] ? (int)(j - i + 1) : (int)(j - i), t + i);
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
        lr_formula_error(p, i + 1, "'%c%c' compares single values; use '%c' in a formula", c, c, c);
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
    lr_formula_error(p, i + 1, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
    k->kind = T_END;
    p->off = i + 1;
}
