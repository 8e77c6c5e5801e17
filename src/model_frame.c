/*
 * model_frame.c — from CSV rows to blocks of model-matrix columns.
 *
 * Column types. A column the model uses holds numbers or text; which one is
 * decided from the first rows (up to LR_FIRST_CHUNK bytes of the model's
 * cells), which are kept until then and replayed: a column with any
 * non-missing cell there that is not a number is categorical. A later text
 * cell in a numeric column is an error that suggests factor().
 *
 * Accumulator columns. Column 0 is the response. A term without factors has
 * fixed columns (one, or the degree of each poly() in it multiplied out). A
 * term with factors gets one column per combination of levels (and poly
 * powers) actually seen — the full indicator coding — created when a row
 * first shows it (past LR_MAX_COLUMNS, an error naming that row); the column
 * is zero for every earlier row. A chunk of such a model keeps its rows as
 * their nonzero entries until it ends (row_store.h), so its blocks are
 * accumulated at the chunk's final width; the frame's columns grow as chunks
 * fold, which is what lr_accum_grow records. After the last row
 * lr_frame_model() picks R's columns out of these (treatment contrasts drop
 * the reference level, which is known only when every level has been seen).
 *
 * Each row is evaluated from its cells: arithmetic in double, every value
 * checked finite (log of 0, division by 0, overflow are errors naming the
 * line), missing values handled as R's na.omit does over all variables of
 * the formula and the weights.
 *
 * The frame's files, in the order a row meets them: this one (the cell map,
 * the frame made from the header and the options, freed, its accessors),
 * model_frame_types.c (the first chunk kept, column types decided, kept rows
 * replayed), model_frame_chunk.c (a chunk's blocks and rows),
 * model_frame_fused.c (plain numeric rows straight from the text),
 * model_frame_eval.c (a row's cells evaluated into accumulator values; a row
 * in the model's columns), model_frame_fold.c (chunks folded into the frame
 * in file order), model_frame_columns.c (R's coding: the model's columns).
 * Their shared state, and the frame's other files, are in model_frame_impl.h.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accumulator.h"
#include "factor_levels.h"
#include "model_frame_impl.h"
#include "method.h"
#include "vcov_cluster.h"

/* ------------------------------------------------------------------------ */
/* The cell map                                                             */
/* ------------------------------------------------------------------------ */

static uint64_t hash_words(const uint32_t *w, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 1099511628211ULL;
        h ^= h >> 29;
    }
    return h;
}

void lr_cell_map_free(cell_map *m)
{
    lr_mem_free(m->keys, m->nslots * m->width * sizeof(uint32_t));
    lr_mem_free(m->cols, m->nslots * sizeof(size_t));
    memset(m, 0, sizeof *m);
}

/* Look key up; if absent and *col is not SIZE_MAX... the caller adds with map_put. */
size_t lr_cell_map_get(const cell_map *m, const uint32_t *key)
{
    if (!m->nslots)
        return SIZE_MAX;
    size_t s = (size_t)hash_words(key, m->width) & (m->nslots - 1);
    while (m->keys[s * m->width]) {
        if (!memcmp(&m->keys[s * m->width], key, m->width * sizeof(uint32_t)))
            return m->cols[s];
        s = (s + 1) & (m->nslots - 1);
    }
    return SIZE_MAX;
}

int lr_cell_map_put(cell_map *m, const uint32_t *key, size_t col, lr_error *err)
{
    if (2 * (m->n + 1) > m->nslots) {
        size_t ns = m->nslots ? 2 * m->nslots : 64;
        uint32_t *keys = lr_mem_calloc(ns * m->width, sizeof(uint32_t));
        size_t *cols = lr_mem_calloc(ns, sizeof(size_t));
        if (!keys || !cols) {
            lr_mem_free(keys, ns * m->width * sizeof(uint32_t));
            lr_mem_free(cols, ns * sizeof(size_t));
            return lr_error_nomem(err);
        }
        for (size_t s = 0; s < m->nslots; s++) {
            const uint32_t *k = &m->keys[s * m->width];
            if (!k[0])
                continue;
            size_t t = (size_t)hash_words(k, m->width) & (ns - 1);
            while (keys[t * m->width])
                t = (t + 1) & (ns - 1);
            memcpy(&keys[t * m->width], k, m->width * sizeof(uint32_t));
            cols[t] = m->cols[s];
        }
        lr_mem_free(m->keys, m->nslots * m->width * sizeof(uint32_t));
        lr_mem_free(m->cols, m->nslots * sizeof(size_t));
        m->keys = keys;
        m->cols = cols;
        m->nslots = ns;
    }
    size_t s = (size_t)hash_words(key, m->width) & (m->nslots - 1);
    while (m->keys[s * m->width])
        s = (s + 1) & (m->nslots - 1);
    memcpy(&m->keys[s * m->width], key, m->width * sizeof(uint32_t));
    m->cols[s] = col;
    m->n++;
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* Construction                                                             */
/* ------------------------------------------------------------------------ */

void lr_chunk_free(lr_chunk *c)
{
    if (!c)
        return;
    size_t nv = c->f->formula->nvars, nc = c->f->ncsv;
    if (c->levels)
        for (size_t v = 0; v < nv; v++)
            lr_levels_free(c->levels[v]);
    lr_mem_free(c->levels, (nv ? nv : 1) * sizeof(lr_levels *));
    lr_mem_free(c->value, (nv ? nv : 1) * sizeof(double));
    lr_mem_free(c->level, (nv ? nv : 1) * sizeof(uint32_t));
    lr_mem_free(c->colval, (nc ? nc : 1) * sizeof(double));
    lr_mem_free(c->cell, (nc ? nc : 1) * sizeof(char *));
    lr_mem_free(c->cell_len, (nc ? nc : 1) * sizeof(size_t));
    lr_cell_map_free(&c->map);
    lr_mem_free(c->colkeys, c->colkeys_cap * c->f->keywidth * sizeof(uint32_t));
    lr_mem_free(c->colorigin, c->colkeys_cap * sizeof(col_origin));
    lr_accum_free(c->acc);
    lr_mem_free(c->block, c->block_rows * c->block_k * sizeof(double));
    lr_mem_free(c->wblock, c->block_rows * sizeof(double));
    lr_mem_free(c->lblock, c->block_rows * sizeof(uint64_t));
    lr_row_buf_free(&c->spool);
    lr_row_keys_free(&c->keys);
    lr_mem_free(c->row, c->row_cap * sizeof(double));
    lr_mem_free(c->ent, c->ent_cap * sizeof(lr_row_entry));
    lr_row_store_free(&c->store);
    lr_mem_free(c->bvals, c->bcap * sizeof(double));
    lr_mem_free(c, sizeof *c);
}

/* The file level's state (frame_files.c). */
static void files_free(lr_frame *f)
{
    if (f->glevels) {
        size_t nv = f->formula->nvars;
        for (size_t v = 0; v < nv; v++)
            lr_levels_free(f->glevels[v]);
        lr_mem_free(f->glevels, (nv ? nv : 1) * sizeof(lr_levels *));
    }
    lr_cell_map_free(&f->gmap);
    for (int l = 0; l < LR_FOLD_LEVELS; l++)
        lr_accum_free(f->gstack[l]);
    lr_mem_free(f->forigin, f->forigin_cap * sizeof(col_origin));
}

void lr_frame_free(lr_frame *f)
{
    if (!f)
        return;
    lr_chunk_free(f->first);
    lr_na_set_free(&f->nas);
    if (f->colnames)
        for (size_t j = 0; j < f->ncsv; j++)
            lr_mem_strfree(f->colnames[j]);
    lr_mem_free(f->colnames, f->ncsv * sizeof(char *));
    if (f->vars && f->formula)
        for (size_t v = 0; v < f->formula->nvars; v++)
            lr_levels_free(f->vars[v].levels);
    files_free(f);
    if (f->formula) {
        lr_mem_free(f->vars, f->formula->nvars * sizeof(var_info));
        lr_mem_free(f->terms, (f->formula->nterms ? f->formula->nterms : 1) * sizeof(term_info));
    }
    lr_formula_free(f->formula);
    lr_mem_free(f->cols, f->ncsv * sizeof(col_info));
    lr_mem_free(f->colval, f->ncsv * sizeof(double));
    lr_frame_basis_free(f);
    if (f->rows_fd >= 0)
        close(f->rows_fd);
    lr_mem_free(f->direct, f->ncsv * sizeof(size_t));
    lr_cell_map_free(&f->map);
    for (int l = 0; l < LR_FOLD_LEVELS; l++)
        lr_accum_free(f->stack[l]);
    lr_accum_free(f->acc);
    lr_mem_free(f->keep, f->keep_cap);
    lr_mem_free(f->kept, f->kept_cap * sizeof(kept_field));
    lr_mem_free(f->kept_line, f->kept_rows_cap * sizeof(uint64_t));
    lr_mem_free(f->kept_hash, f->kept_hash_cap * sizeof(uint64_t));
    lr_mem_free(f->used, f->ncsv * sizeof(size_t));
    lr_mem_free(f->replay, f->ncsv * sizeof(lr_csv_field));
    lr_mem_free(f->macc, f->mq * sizeof(size_t));
    lr_mem_free(f->mnames, f->mq * sizeof(char *));
    lr_mem_free(f->mterm, (f->mq ? f->mq : 1) * sizeof(size_t));
    lr_mem_free(f->mchoice, (f->mq ? f->mq : 1) * (f->mwidth ? f->mwidth : 1) * sizeof(uint32_t));
    lr_arena_free(&f->names_arena);
    lr_mem_strfree(f->source);
    lr_mem_free(f, sizeof *f);
}

const lr_accum *lr_frame_accum(const lr_frame *f)
{
    return f->acc;
}
const char *lr_frame_source(const lr_frame *f)
{
    return f->source;
}
uint64_t lr_frame_rows(const lr_frame *f)
{
    return f->rows;
}
uint64_t lr_frame_nan_rows(const lr_frame *f, uint64_t *first_line, const char **label)
{
    *first_line = f->nan_line;
    *label = f->nan_rows ? f->formula->vars[f->nan_var].label : NULL;
    return f->nan_rows;
}

size_t lr_frame_offset_col(const lr_frame *f)
{
    return f->formula->offset ? f->offset_col : SIZE_MAX;
}

double lr_frame_eval_offset(const lr_frame *f, const double *colval)
{
    const lr_formula *fm = f->formula;
    return fm->offset ? lr_node_eval(fm->vars[fm->offset].expr, colval) : 0.0;
}

uint64_t lr_frame_dropped(const lr_frame *f)
{
    return f->dropped;
}

static int find_header(const lr_frame *f, const char *name, size_t *col)
{
    for (size_t j = 0; j < f->ncsv; j++)
        if (!strcmp(f->colnames[j], name)) {
            *col = j;
            return 1;
        }
    return 0;
}

/* A cluster key is missing when its cell is empty or NA (or one of
 * --na-strings): an empty cell is a key in R's text columns, but a missing
 * value in its numeric ones, and a cluster of blank keys is more likely lost
 * data than a group. The first such field, or NULL. */
const lr_csv_field *lr_frame_cluster_missing(const lr_frame *f, const lr_csv_row *row)
{
    for (size_t i = 0; i < f->ncl; i++) {
        const lr_csv_field *fl = &row->fields[f->ccol[i]];
        double v;
        if (fl->len == 0 || lr_cell_classify(&f->nas, 1, fl->data, fl->len, &v) == LR_CELL_MISSING)
            return fl;
    }
    return NULL;
}

int lr_frame_column(const lr_frame *f, const char *name, size_t *col)
{
    return find_header(f, name, col);
}

/* Mark the data columns an expression reads. */
static void mark_used(lr_frame *f, const lr_node *n)
{
    if (!n)
        return;
    if (n->kind == LR_NODE_COL)
        f->cols[n->col].used = 2;
    mark_used(f, n->a);
    mark_used(f, n->b);
}

void lr_frame_header_name(const lr_csv_field *fl, const char **name, size_t *len)
{
    const char *s = fl->data;
    size_t n = fl->len;
    if (!fl->quoted) {
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
    }
    *name = s;
    *len = n;
}

/* The key columns (row_spool.h): --vcov CL's cluster columns, else the
 * absorbed factors that opt->absorb names ("a,b": the fixed effects of the
 * first pass of fit.c's absorption), whose cells the first pass does not
 * read but carries for the absorption. A name not in the header makes none
 * (the absorption then reads the text, and reports it). */
static void key_columns(lr_frame *f, const lr_fit_options *opt)
{
    f->nkey = 0;
    if (f->ncl) {
        memcpy(f->kcol, f->ccol, f->ncl * sizeof(size_t));
        f->nkey = f->ncl;
        return;
    }
    const char *s = opt->absorb;
    while (s && *s && f->nkey < LR_ROW_KEYS_MAX) {
        const char *e = strchr(s, ',');
        size_t l = e ? (size_t)(e - s) : strlen(s), col;
        char name[256];
        if (l == 0 || l > 255)
            break;
        memcpy(name, s, l);
        name[l] = '\0';
        if (!find_header(f, name, &col))
            break;
        f->kcol[f->nkey++] = col;
        s = e ? e + 1 : NULL;
    }
    if (s && *s) { /* some name not found or too many: none */
        f->nkey = 0;
        return;
    }
    for (size_t i = 0; i < f->nkey; i++) {
        int kept = f->cols[f->kcol[i]].used != 0;
        for (size_t u = f->nused; u < f->nkeep && !kept; u++)
            kept = f->used[u] == f->kcol[i];
        if (!kept)
            f->used[f->nkeep++] = f->kcol[i];
    }
}

/* The header's names, copied (a quoted name as it is, an unquoted one
 * without its surrounding blanks). */
static int header_names(lr_frame *f, const lr_csv_row *hdr, const char *source, lr_error *err)
{
    for (size_t j = 0; j < f->ncsv; j++) {
        const lr_csv_field *fl = &hdr->fields[j];
        if (memchr(fl->data, '\0', fl->len))
            return lr_error_at(err, LR_EDATA, source, fl->line, fl->col,
                               "column %zu has a NUL byte in its name", j + 1);
        const char *nm;
        size_t nlen;
        lr_frame_header_name(fl, &nm, &nlen);
        f->colnames[j] = lr_mem_alloc(nlen + 1);
        if (!f->colnames[j])
            return lr_error_nomem(err);
        memcpy(f->colnames[j], nm, nlen);
        f->colnames[j][nlen] = '\0';
        f->cols[j].name = f->colnames[j];
    }
    return LR_OK;
}

/* The model: the formula parsed, or one made of -y and -x (checked: every
 * column named exists, none twice, the response not a predictor). */
static int parse_model(lr_frame *f, const char *source, const lr_fit_options *opt, lr_error *err)
{
    int rc;
    const char *const *names = (const char *const *)f->colnames;
    if (opt->formula) {
        rc = lr_formula_parse(opt->formula, names, f->ncsv, &f->formula, err);
        if (rc == LR_OK && !opt->intercept)
            f->formula->intercept = 0;
        return rc;
    }
    size_t dummy;
    if (opt->target && !find_header(f, opt->target, &dummy))
        return lr_no_column_error(f->source, "column", opt->target, names, f->ncsv, err);
    size_t npred = opt->features ? opt->n_features : f->ncsv - 1;
    if (npred + 1 > LR_MAX_COLUMNS)
        return lr_error_set(err, LR_ERANGE,
                            "%s: %zu predictor columns: linreg supports at most %d (it keeps "
                            "matrices of columns × columns while it streams); choose some "
                            "with -x",
                            source, npred, LR_MAX_COLUMNS - 1);
    for (size_t i = 0; opt->features && i < opt->n_features; i++) {
        if (!find_header(f, opt->features[i], &dummy))
            return lr_no_column_error(f->source, "column", opt->features[i], names, f->ncsv, err);
        const char *y = opt->target ? opt->target : names[0];
        if (!strcmp(opt->features[i], y))
            return lr_error_set(err, LR_EUSAGE,
                                "%s: column '%s' is the response and cannot be a predictor", source,
                                y);
        for (size_t q = 0; q < i; q++)
            if (!strcmp(opt->features[q], opt->features[i]))
                return lr_error_set(err, LR_EUSAGE, "column '%s' is listed twice",
                                    opt->features[i]);
    }
    return lr_formula_from_columns(opt->target, opt->features, opt->n_features, opt->intercept,
                                   names, f->ncsv, &f->formula, err);
}

/* The weights column (--weights), if any. */
static int weights_column(lr_frame *f, const lr_fit_options *opt, lr_error *err)
{
    if (!opt->weights)
        return LR_OK;
    if (!find_header(f, opt->weights, &f->wcol))
        return lr_no_column_error(f->source, "weights column", opt->weights,
                                  (const char *const *)f->colnames, f->ncsv, err);
    f->cols[f->wcol].used = 2;
    return LR_OK;
}

/* The cluster columns (--vcov CL): read as text, so that a missing cell
 * omits the row as it would if the column were in R's model frame. */
static int cluster_columns(lr_frame *f, const lr_fit_options *opt, lr_error *err)
{
    if (opt->vcov != LR_VCOV_CL || !opt->cluster)
        return LR_OK;
    const char *cn[LR_CLUSTER_MAX];
    size_t cl[LR_CLUSTER_MAX], ncl, col;
    int rc;
    if ((rc = lr_cluster_split(opt->cluster, cn, cl, &ncl, err)))
        return rc;
    for (size_t i = 0; i < ncl; i++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(cl[i] < 255 ? cl[i] : 255), cn[i]);
        if (!find_header(f, name, &col))
            return lr_no_column_error(f->source, "cluster column", name,
                                      (const char *const *)f->colnames, f->ncsv, err);
        if (!f->cols[col].used)
            f->cols[col].used = 1, f->cols[col].as_factor = 1;
        f->ccol[f->ncl++] = col;
    }
    return LR_OK;
}

/* Columns used: every variable's (as R's model.frame includes them all),
 * each with a name of its own in the header. */
static int columns_used(lr_frame *f, const lr_csv_row *hdr, const char *source, lr_error *err)
{
    lr_formula *fm = f->formula;
    for (size_t v = 0; v < fm->nvars; v++) {
        mark_used(f, fm->vars[v].expr);
        if (fm->vars[v].kind == LR_VAR_COLUMN)
            f->cols[fm->vars[v].col].used = 2;
        else if (fm->vars[v].kind == LR_VAR_FACTOR && !f->cols[fm->vars[v].col].used)
            f->cols[fm->vars[v].col].used = 1;
        for (size_t i = 1; i < fm->vars[v].nicols; i++) /* interaction(a, b): b too */
            if (!f->cols[fm->vars[v].icols[i]].used)
                f->cols[fm->vars[v].icols[i]].used = 1;
    }
    /* A column read only through factor(), C() or interaction() is read as text
     * (its type follows the formula, not its first rows): as_factor until
     * another use (a plain term, an expression, the weights) says otherwise. */
    for (size_t v = 0; v < fm->nvars; v++)
        for (size_t i = 0;
             fm->vars[v].kind == LR_VAR_FACTOR && i < (fm->vars[v].icols ? fm->vars[v].nicols : 1);
             i++) {
            size_t j = fm->vars[v].icols ? fm->vars[v].icols[i] : fm->vars[v].col;
            if (f->cols[j].used == 1)
                f->cols[j].as_factor = 1;
        }
    for (size_t j = 0; j < f->ncsv; j++) {
        if (!f->cols[j].used)
            continue;
        f->used[f->nused++] = j;
        /* A name the model uses must be unambiguous. */
        for (size_t i = 0; i < f->ncsv; i++)
            if (i != j && !strcmp(f->colnames[i], f->colnames[j])) {
                size_t dup = i > j ? i : j;
                return lr_error_at(
                    err, LR_EDATA, source, hdr->fields[dup].line, hdr->fields[dup].col,
                    "column name '%s' appears more than once in the header", f->colnames[j]);
            }
        if (f->colnames[j][0] == '\0')
            return lr_error_at(err, LR_EDATA, source, hdr->fields[j].line, hdr->fields[j].col,
                               "column %zu has an empty name in the header%s", j + 1,
                               j + 1 == f->ncsv ? " (a delimiter at the end of the header line?)"
                                                : "");
    }
    return LR_OK;
}

int lr_frame_create(const lr_csv_row *hdr, const char *source, const lr_fit_options *opt,
                    lr_frame **out, lr_error *err)
{
    int rc;
    *out = NULL;
    lr_frame *f = lr_mem_calloc(1, sizeof *f);
    if (!f)
        return lr_error_nomem(err);
    f->wcol = SIZE_MAX;
    f->na = opt->na_action;
    if ((rc = lr_na_set_init(&f->nas, opt->na_strings, opt->n_na_strings, err))) {
        lr_frame_free(f);
        return rc;
    }
    f->kernel = lr_method_kernel(opt->method);
    f->ncsv = hdr->nfields;
    f->rows_fd = -1;
    f->source = lr_mem_strdup(source);
    f->colnames = lr_mem_calloc(f->ncsv, sizeof(char *));
    f->cols = lr_mem_calloc(f->ncsv, sizeof(col_info));
    f->colval = lr_mem_calloc(f->ncsv, sizeof(double));
    f->used = lr_mem_calloc(f->ncsv, sizeof(size_t));
    f->replay = lr_mem_calloc(f->ncsv, sizeof(lr_csv_field));
    if (!f->source || !f->colnames || !f->cols || !f->colval || !f->used || !f->replay) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if ((rc = header_names(f, hdr, source, err)))
        goto fail;

    /* A header of numbers is a first data row, most likely. */
    f->delim = ','; /* lr_frame_set_delimiter: the input's */
    f->header_numeric = f->ncsv > 0;
    for (size_t j = 0; j < f->ncsv; j++) {
        double v;
        f->header_numeric &=
            lr_parse_cell(f->colnames[j], strlen(f->colnames[j]), &v) == LR_CELL_NUMBER;
    }

    if ((rc = parse_model(f, source, opt, err)) || (rc = weights_column(f, opt, err)) ||
        (rc = cluster_columns(f, opt, err)) || (rc = columns_used(f, hdr, source, err)))
        goto fail;
    f->nkeep = f->nused;
    key_columns(f, opt);
    f->vars = lr_mem_calloc(f->formula->nvars, sizeof(var_info));
    f->terms = lr_mem_calloc(f->formula->nterms ? f->formula->nterms : 1, sizeof(term_info));
    if (!f->vars || !f->terms) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    f->bn_vars = (size_t)lr_frame_basis_vars(f);
    *out = f;
    return LR_OK;
fail:
    lr_frame_free(f);
    return rc;
}
