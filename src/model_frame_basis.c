/*
 * model_frame_basis.c — the model frame's data-dependent bases (basis.h):
 * the first pass collects each basis variable's values, in file order, over
 * every row where that variable has a value — R's model.frame evaluates
 * poly(), ns() ... on the whole data before na.omit drops the rows missing
 * another variable (poly() stops at a missing value; scale, ns and bs leave
 * it out); lr_frame_fit_bases then computes the bases, and
 * the second pass (a new frame given them by lr_frame_copy_bases) builds
 * the model matrix from them.
 *
 * Memory: one double per data row per basis variable (exact quantiles need
 * every value: 8 bytes × rows × basis variables, e.g. 80 MB for ten million
 * rows and one ns() term).
 */
#include <math.h>
#include <string.h>

#include "basis.h"
#include "model_frame_impl.h"

int lr_frame_basis_vars(const lr_frame *f)
{
    int n = 0;
    for (size_t v = 0; v < f->formula->nvars; v++)
        n += f->formula->vars[v].basis && !f->formula->vars[v].basis->ready;
    return n;
}

int lr_frame_has_basis(const lr_frame *f)
{
    for (size_t v = 0; v < f->formula->nvars; v++)
        if (f->formula->vars[v].basis)
            return 1;
    return 0;
}

double lr_var_column(const lr_var *x, double value, unsigned j)
{
    if (x->codes) /* C(g, sum), C(g, helmert): value is the level's rank */
        return lr_contrast_entry(x->contrast, (size_t)x->degree + 1, (size_t)value, j);
    return x->basis ? lr_basis_column(x->basis, value, j) : pow(value, (double)j);
}

static int push(double **buf, size_t *n, size_t *cap, const double *x, size_t k, lr_error *err)
{
    if (*n + k > *cap) {
        size_t nc = *cap ? 2 * *cap : 1024;
        while (nc < *n + k)
            nc *= 2;
        double *b = lr_mem_realloc(*buf, *cap * sizeof(double), nc * sizeof(double));
        if (!b)
            return lr_error_nomem(err);
        *buf = b;
        *cap = nc;
    }
    memcpy(*buf + *n, x, k * sizeof(double));
    *n += k;
    return LR_OK;
}

/* 1 if every column the expression reads has a value in the row. */
static int present(const lr_frame *f, const lr_node *n, const lr_csv_row *row)
{
    for (; n; n = n->b) {
        if (n->kind == LR_NODE_COL) {
            const lr_csv_field *fl = &row->fields[n->col];
            double v;
            if (lr_cell_classify(&f->nas, 0, fl->data, fl->len, &v) == LR_CELL_MISSING)
                return 0;
        }
        if (!present(f, n->a, row))
            return 0;
    }
    return 1;
}

int lr_chunk_collect(lr_chunk *c, const lr_csv_row *row, int complete, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (!x->basis || x->basis->ready)
            continue;
        /* R evaluates the basis on every row where its own variable has a
         * value, before na.omit drops rows missing another one (NaN: none) */
        double val = complete                   ? c->value[v]
                     : present(f, x->expr, row) ? lr_node_eval(x->expr, c->colval)
                                                : (double)NAN;
        if (!isfinite(val))
            val = (double)NAN;
        int rc = push(&c->bvals, &c->bn, &c->bcap, &val, 1, err);
        if (rc)
            return rc;
    }
    return LR_OK;
}

int lr_frame_collect_fold(lr_frame *f, lr_chunk *c, lr_error *err)
{
    int rc = c->bn ? push(&f->bvals, &f->bn, &f->bcap, c->bvals, c->bn, err) : LR_OK;
    lr_mem_free(c->bvals, c->bcap * sizeof(double));
    c->bvals = NULL;
    c->bn = c->bcap = 0;
    return rc;
}

void lr_frame_basis_free(lr_frame *f)
{
    lr_mem_free(f->bvals, f->bcap * sizeof(double));
    f->bvals = NULL;
    f->bn = f->bcap = 0;
}

int lr_frame_fit_bases(lr_frame *f, lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nb = f->bn_vars, i = 0;
    size_t rows = nb ? f->bn / nb : 0;
    double *x = lr_mem_calloc(rows ? rows : 1, sizeof(double));
    int rc = x ? LR_OK : lr_error_nomem(err);
    for (size_t v = 0; v < fm->nvars && rc == LR_OK; v++) {
        lr_basis *b = fm->vars[v].basis;
        if (!b || b->ready)
            continue;
        size_t n = 0;
        for (size_t r = 0; r < rows; r++)
            if (!isnan(f->bvals[r * nb + i]))
                x[n++] = f->bvals[r * nb + i];
        i++;
        if (b->kind == LR_BASIS_POLY && n < rows)
            rc = lr_error_set(err, LR_EDATA,
                              "%s: missing values are not allowed in poly() "
                              "(R stops here too: it computes the basis before "
                              "rows are omitted)",
                              fm->vars[v].label);
        else
            rc = lr_basis_fit(b, x, n, 1, fm->vars[v].label, err);
    }
    lr_mem_free(x, (rows ? rows : 1) * sizeof(double));
    lr_frame_basis_free(f);
    /* C(g, sum), C(g, helmert): their levels in R's order, for the next frame */
    for (size_t v = 0; v < fm->nvars && rc == LR_OK; v++)
        if (f->vars[v].factor && fm->vars[v].contrast != LR_CONTR_DEFAULT)
            rc = lr_levels_sort(f->vars[v].levels, err);
    return rc;
}

int lr_frame_beyond_knots(const lr_frame *f, const double *colval)
{
    for (size_t v = 0; v < f->formula->nvars; v++) {
        const lr_var *x = &f->formula->vars[v];
        if (!x->basis || x->basis->kind != LR_BASIS_BS)
            continue;
        double val = lr_node_eval(x->expr, colval);
        if (val < x->basis->boundary[0] || val > x->basis->boundary[1])
            return 1;
    }
    return 0;
}

int lr_frame_copy_bases(lr_frame *dst, const lr_frame *src, lr_error *err)
{
    for (size_t v = 0; v < dst->formula->nvars && v < src->formula->nvars; v++)
        if (dst->formula->vars[v].basis && src->formula->vars[v].basis)
            *dst->formula->vars[v].basis = *src->formula->vars[v].basis;
    dst->bn_vars = (size_t)lr_frame_basis_vars(dst);
    return lr_frame_code_contrasts(dst, src, err);
}
