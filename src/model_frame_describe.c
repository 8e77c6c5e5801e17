/*
 * model_frame_describe.c — the model frame described for the code that saves
 * models, and set from a saved model for the code that predicts
 * (model_frame.h). The only way into the frame's state from outside its own
 * files: the model-file modules see neither model_frame_impl.h nor jansson's
 * types here.
 */
#include <string.h>

#include "basis.h"
#include "model_frame_impl.h"

const lr_formula *lr_frame_formula(const lr_frame *f)
{
    return f->formula;
}

const lr_levels *lr_frame_var_levels(const lr_frame *f, size_t v)
{
    return f->vars[v].factor ? f->vars[v].levels : NULL;
}

void lr_frame_column_describe(const lr_frame *f, size_t j, lr_frame_column_info *out)
{
    const col_info *c = &f->cols[j];
    out->name = f->colnames[j];
    out->used = c->used != 0;
    /* a factor() column whose levels all turned out numbers is saved as numeric */
    out->categorical = c->used && c->text && !c->levels_numeric;
    out->logical = c->used && c->logical;
}

size_t lr_frame_na_strings(const lr_frame *f, const char *const **s, const size_t **len)
{
    *s = (const char *const *)f->nas.s;
    *len = f->nas.len;
    return f->nas.n;
}

uint64_t lr_frame_rows_used(const lr_frame *f, uint64_t *fp)
{
    *fp = lr_row_fp_value(&f->fp);
    return f->fp.n;
}

/* Whether name is among names[0..n). */
static int listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(name, names[i]))
            return 1;
    return 0;
}

void lr_frame_set_column_types(lr_frame *f, const char *const *categorical, size_t ncat,
                               const char *const *logical, size_t nlog)
{
    for (size_t j = 0; j < f->ncsv; j++) {
        col_info *c = &f->cols[j];
        c->as_factor = 0;
        if (c->used && listed(f->colnames[j], categorical, ncat))
            c->text = 1;
        if (c->used && c->text && listed(f->colnames[j], logical, nlog))
            c->logical = 1;
    }
}

void lr_frame_set_basis(lr_frame *f, size_t v, const lr_basis *b)
{
    *f->formula->vars[v].basis = *b;
}

int lr_frame_var_text_levels(const lr_frame *f, size_t v)
{
    const lr_var *x = &f->formula->vars[v];
    return f->cols[x->col].text || x->icols || x->logical; /* interaction(), I(x > 5): text */
}

int lr_frame_add_level(lr_frame *f, size_t v, const char *s, size_t len, double x, lr_error *err)
{
    uint32_t id;
    return lr_frame_var_text_levels(f, v)
               ? lr_levels_intern_text(f->vars[v].levels, s, len, &id, err)
               : lr_levels_intern_number(f->vars[v].levels, x, &id, err);
}

const size_t *lr_frame_model_acc_cols(const lr_frame *f, size_t *q)
{
    *q = f->mq;
    return f->macc;
}
