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
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accumulator.h"
#include "factor_levels.h"
#include "model_frame_impl.h"
#include "method.h"
#include "vcov_cluster.h"

/* Bytes of model cells kept to decide column types (docs/design.md: "the first chunk"). */
#define LR_FIRST_CHUNK (1u << 20)
/* Rows per block handed to the accumulator (fewer when there are many columns). */
#define LR_BLOCK_ROWS 1024
/* Doubles a block may hold at most (its rows shrink as columns grow). */
#define LR_BLOCK_DOUBLES (1u << 20)
/* And rows × width² at most this: from 342 columns on (kb > 512) a block
 * shrinks as 1/k², 1.4 MiB at k = 1,001. A chunk's block is column-major
 * with ld = its rows, so a 1 MiB chunk of 1,000-column rows (~50 rows)
 * touches a page of every column, and buffers reused across chunks end up
 * touched whole: with 8 MiB blocks the chunks in flight held ~35 MiB of
 * 20,000 × 1,000's 137 MiB peak RSS (docs/performance.md). Narrower models
 * keep their blocks, and their bits. */
#define LR_BLOCK_WIDE ((size_t)1 << 28)

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
static const lr_csv_field *cluster_missing(const lr_frame *f, const lr_csv_row *row)
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
    for (size_t j = 0; j < f->ncsv; j++) {
        const lr_csv_field *fl = &hdr->fields[j];
        if (memchr(fl->data, '\0', fl->len)) {
            rc = lr_error_at(err, LR_EDATA, source, fl->line, fl->col,
                             "column %zu has a NUL byte in its name", j + 1);
            goto fail;
        }
        const char *nm;
        size_t nlen;
        lr_frame_header_name(fl, &nm, &nlen);
        f->colnames[j] = lr_mem_alloc(nlen + 1);
        if (!f->colnames[j]) {
            rc = lr_error_nomem(err);
            goto fail;
        }
        memcpy(f->colnames[j], nm, nlen);
        f->colnames[j][nlen] = '\0';
        f->cols[j].name = f->colnames[j];
    }

    /* A header of numbers is a first data row, most likely. */
    f->delim = ','; /* lr_frame_set_delimiter: the input's */
    f->header_numeric = f->ncsv > 0;
    for (size_t j = 0; j < f->ncsv; j++) {
        double v;
        f->header_numeric &=
            lr_parse_cell(f->colnames[j], strlen(f->colnames[j]), &v) == LR_CELL_NUMBER;
    }

    /* The model. */
    const char *const *names = (const char *const *)f->colnames;
    if (opt->formula) {
        rc = lr_formula_parse(opt->formula, names, f->ncsv, &f->formula, err);
        if (rc == LR_OK && !opt->intercept)
            f->formula->intercept = 0;
    } else {
        size_t dummy;
        if (opt->target && !find_header(f, opt->target, &dummy)) {
            rc = lr_no_column_error(f->source, "column", opt->target, names, f->ncsv, err);
            goto fail;
        }
        size_t npred = opt->features ? opt->n_features : f->ncsv - 1;
        if (npred + 1 > LR_MAX_COLUMNS) {
            rc = lr_error_set(err, LR_ERANGE,
                              "%s: %zu predictor columns: linreg supports at most %d (it keeps "
                              "matrices of columns × columns while it streams); choose some "
                              "with -x",
                              source, npred, LR_MAX_COLUMNS - 1);
            goto fail;
        }
        for (size_t i = 0; opt->features && i < opt->n_features; i++) {
            if (!find_header(f, opt->features[i], &dummy)) {
                rc = lr_no_column_error(f->source, "column", opt->features[i], names, f->ncsv, err);
                goto fail;
            }
            const char *y = opt->target ? opt->target : names[0];
            if (!strcmp(opt->features[i], y)) {
                rc = lr_error_set(err, LR_EUSAGE,
                                  "%s: column '%s' is the response and cannot be a predictor",
                                  source, y);
                goto fail;
            }
            for (size_t q = 0; q < i; q++)
                if (!strcmp(opt->features[q], opt->features[i])) {
                    rc = lr_error_set(err, LR_EUSAGE, "column '%s' is listed twice",
                                      opt->features[i]);
                    goto fail;
                }
        }
        rc = lr_formula_from_columns(opt->target, opt->features, opt->n_features, opt->intercept,
                                     names, f->ncsv, &f->formula, err);
    }
    if (rc)
        goto fail;

    /* The weights column. */
    if (opt->weights) {
        if (!find_header(f, opt->weights, &f->wcol)) {
            rc = lr_no_column_error(f->source, "weights column", opt->weights, names, f->ncsv, err);
            goto fail;
        }
        f->cols[f->wcol].used = 2;
    }

    /* The cluster columns (--vcov CL): read as text, so that a missing cell
     * omits the row as it would if the column were in R's model frame. */
    if (opt->vcov == LR_VCOV_CL && opt->cluster) {
        const char *cn[LR_CLUSTER_MAX];
        size_t cl[LR_CLUSTER_MAX], ncl, col;
        if ((rc = lr_cluster_split(opt->cluster, cn, cl, &ncl, err)))
            goto fail;
        for (size_t i = 0; i < ncl; i++) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(cl[i] < 255 ? cl[i] : 255), cn[i]);
            if (!find_header(f, name, &col)) {
                rc = lr_no_column_error(f->source, "cluster column", name, names, f->ncsv, err);
                goto fail;
            }
            if (!f->cols[col].used)
                f->cols[col].used = 1, f->cols[col].as_factor = 1;
            f->ccol[f->ncl++] = col;
        }
    }

    /* Columns used: every variable's (as R's model.frame includes them all). */
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
        for (size_t i = 0; fm->vars[v].kind == LR_VAR_FACTOR &&
                           i < (fm->vars[v].icols ? fm->vars[v].nicols : 1); i++) {
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
                rc = lr_error_at(err, LR_EDATA, source, hdr->fields[dup].line, hdr->fields[dup].col,
                                 "column name '%s' appears more than once in the header",
                                 f->colnames[j]);
                goto fail;
            }
        if (f->colnames[j][0] == '\0') {
            rc = lr_error_at(err, LR_EDATA, source, hdr->fields[j].line, hdr->fields[j].col,
                             "column %zu has an empty name in the header%s", j + 1,
                             j + 1 == f->ncsv ? " (a delimiter at the end of the header line?)"
                                              : "");
            goto fail;
        }
    }
    f->nkeep = f->nused;
    key_columns(f, opt);
    f->vars = lr_mem_calloc(fm->nvars, sizeof(var_info));
    f->terms = lr_mem_calloc(fm->nterms ? fm->nterms : 1, sizeof(term_info));
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

/* ------------------------------------------------------------------------ */
/* Column types, after the first chunk                                      */
/* ------------------------------------------------------------------------ */

static int expr_reads_text(const lr_frame *f, const lr_node *n, size_t *col)
{
    if (!n)
        return 0;
    if (n->kind == LR_NODE_COL && f->cols[n->col].text) {
        *col = n->col;
        return 1;
    }
    return expr_reads_text(f, n->a, col) || expr_reads_text(f, n->b, col);
}

static int text_error(lr_frame *f, size_t col, const char *what, lr_error *err)
{
    const col_info *c = &f->cols[col];
    return lr_error_at(
        err, LR_EVALUE, f->source, c->census.first_text_line, c->census.first_text_col,
        "column '%s' holds text (\"%s\"), so it %s%s", c->name, c->census.first_text, what,
        c->census.decimal_comma ? " (a decimal comma? linreg reads '.' as the decimal "
                                  "point)"
                                : "");
}

int lr_frame_levels_numeric(const lr_frame *f, size_t v)
{
    const lr_var *x = &f->formula->vars[v];
    return !f->cols[x->col].text && !x->icols && !x->logical;
}

/* Decide each variable's nature now that column types are known, and lay out
 * the accumulator's fixed columns. */
static int resolve_types(lr_frame *f, lr_error *err)
{
    lr_formula *fm = f->formula;
    size_t col;
    int rc;
    for (size_t u = 0; u < f->nused; u++) {
        col_info *ci = &f->cols[f->used[u]];
        if (lr_col_census_logical(&ci->census))
            ci->logical = ci->text = 1; /* R's logical: levels FALSE, TRUE */
        else if (ci->as_factor)
            ci->text = 1; /* the formula asks for a factor: its cells are levels */
        else if (lr_col_census_mostly_numbers(&ci->census))
            return lr_col_census_error(&ci->census, f->source, ci->name, err);
    }
    for (size_t v = 0; v < fm->nvars; v++) {
        lr_var *x = &fm->vars[v];
        var_info *vi = &f->vars[v];
        char what[600];
        switch (x->kind) {
        case LR_VAR_COLUMN:
            vi->factor = f->cols[x->col].text;
            if (vi->factor && v == 0)
                return text_error(f, x->col, "cannot be the response", err);
            break;
        case LR_VAR_FACTOR: vi->factor = 1; break;
        case LR_VAR_EXPR:
        case LR_VAR_POLY:
            if (expr_reads_text(f, x->expr, &col)) {
                snprintf(what, sizeof what, "cannot be used in %s", x->label);
                return text_error(f, col, what, err);
            }
            /* R's logical (I(x > 5)): model.matrix codes it as a factor of the
             * levels FALSE, TRUE that the rows have */
            vi->factor = x->logical && v > 0;
            break;
        }
        if (vi->factor) {
            /* interaction() and a logical: text levels */
            if ((rc = lr_levels_create(lr_frame_levels_numeric(f, v), &vi->levels, err)))
                return rc;
        }
    }
    if (f->wcol != SIZE_MAX && f->cols[f->wcol].text)
        return text_error(f, f->wcol, "cannot be the weights", err);

    /* Accumulator layout: column 0 the response, then the factor-free terms'
     * fixed columns; factor terms' columns come as levels appear. */
    size_t k = 1, maxf = 0;
    for (size_t t = 0; t < fm->nterms; t++) {
        term_info *ti = &f->terms[t];
        ti->ncombo = 1;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            size_t v = fm->terms[t].vars[i];
            if (f->vars[v].factor)
                ti->nf++;
            else if (fm->vars[v].kind == LR_VAR_POLY)
                ti->ncombo *= (size_t)fm->vars[v].degree;
        }
        if (ti->nf > maxf)
            maxf = ti->nf;
        if (ti->nf == 0) {
            ti->first_col = k;
            k += ti->ncombo;
        }
    }
    f->offset_col = fm->offset ? k++ : SIZE_MAX;
    f->keywidth = maxf + 2;
    f->map.width = f->keywidth;
    f->kfixed = k;
    f->k = k;
    f->types_known = 1;

    /* The common case — every term a plain numeric column, the response one
     * too — needs no evaluation: each cell goes straight to its accumulator
     * column (lr_chunk_add_row's fast path). */
    int direct = fm->vars[0].kind == LR_VAR_COLUMN && !f->vars[0].factor && f->nas.n == 0 &&
                 !fm->offset;
    for (size_t t = 0; t < fm->nterms && direct; t++) {
        size_t v = fm->terms[t].vars[0];
        direct = fm->terms[t].n == 1 && fm->vars[v].kind == LR_VAR_COLUMN && !f->vars[v].factor;
    }
    if (direct) {
        f->direct = lr_mem_alloc(f->ncsv * sizeof(size_t));
        if (!f->direct)
            return lr_error_nomem(err);
        for (size_t j = 0; j < f->ncsv; j++)
            f->direct[j] = SIZE_MAX;
        f->direct[fm->vars[0].col] = 0;
        for (size_t t = 0; t < fm->nterms; t++)
            f->direct[fm->vars[fm->terms[t].vars[0]].col] = f->terms[t].first_col;
    }
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* Chunks                                                                   */
/* ------------------------------------------------------------------------ */

/* The streaming accumulators keep k × k matrices (one per chunk in flight,
 * and the fold's), so k is bounded: LR_MAX_COLUMNS columns of 8-byte
 * doubles are 128 MiB a matrix. A wider model (thousands of predictors, or a
 * factor with thousands of levels) is an error before memory runs out. */
static int check_width(const lr_frame *f, size_t k, lr_error *err)
{
    if (k <= LR_MAX_COLUMNS)
        return LR_OK;
    return lr_error_set(err, LR_ERANGE,
                        "%s: the model needs %zu columns (the response, the predictors and "
                        "their factor levels' columns) and linreg supports at most %d: it "
                        "keeps matrices of columns × columns while it streams",
                        f->source, k, LR_MAX_COLUMNS);
}

int lr_chunk_create(const lr_frame *f, lr_chunk **out, lr_error *err)
{
    *out = NULL;
    if (!f->types_known)
        return lr_error_set(err, LR_EUSAGE, "chunk: the column types are not decided yet");
    lr_chunk *c = lr_mem_calloc(1, sizeof *c);
    if (!c)
        return lr_error_nomem(err);
    c->f = f;
    size_t nv = f->formula->nvars, nc = f->ncsv;
    c->levels = lr_mem_calloc(nv ? nv : 1, sizeof(lr_levels *));
    c->value = lr_mem_calloc(nv ? nv : 1, sizeof(double));
    c->level = lr_mem_calloc(nv ? nv : 1, sizeof(uint32_t));
    c->colval = lr_mem_calloc(nc ? nc : 1, sizeof(double));
    c->cell = lr_mem_calloc(nc ? nc : 1, sizeof(char *));
    c->cell_len = lr_mem_calloc(nc ? nc : 1, sizeof(size_t));
    int rc = LR_OK;
    if (!c->levels || !c->value || !c->level || !c->colval || !c->cell || !c->cell_len) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    for (size_t v = 0; v < nv; v++)
        /* from the formula, not f's tables: the fold swaps those (frame_files.c)
         * while workers make chunks */
        if (f->vars[v].factor &&
            (rc = lr_levels_create(lr_frame_levels_numeric(f, v), &c->levels[v], err)))
            goto fail;
    c->map.width = f->keywidth;
    c->keys.nkey = f->rows_wanted ? f->nkey : 0; /* the key cells for the spool */
    c->k = f->kfixed;
    /* a row writes the response and each term's columns (one combination of
     * levels a factor term) */
    c->ent_cap = f->formula->offset ? 2 : 1; /* the response (and the offset) */
    for (size_t t = 0; t < f->formula->nterms; t++) {
        c->ent_cap += f->terms[t].ncombo;
        c->sparse |= f->terms[t].nf > 0;
    }
    if (c->sparse && !(c->ent = lr_mem_alloc(c->ent_cap * sizeof(lr_row_entry)))) {
        rc = lr_error_nomem(err);
        goto fail;
    }
    if ((rc = check_width(f, c->k, err)) || (rc = lr_accum_create(c->k, f->kernel, &c->acc, err)))
        goto fail;
    *out = c;
    return LR_OK;
fail:
    lr_chunk_free(c);
    return rc;
}

static int flush(lr_chunk *c, lr_error *err)
{
    if (c->nblock == 0)
        return LR_OK;
    /* the columns that appeared since the last block (zero in its rows),
     * then a copy for the row spool: the accumulator may overwrite the block */
    int rc = lr_accum_grow(c->acc, c->k, err);
    if (rc)
        return rc;
    if (c->f->rows_wanted)
        lr_row_buf_add(&c->spool, c->nblock, lr_accum_ncols(c->acc), c->block, c->block_rows,
                       c->f->wcol != SIZE_MAX ? c->wblock : NULL,
                       c->f->rows_lines ? c->lblock : NULL, &c->keys);
    rc = lr_accum_add(c->acc, c->nblock, c->block, c->block_rows,
                      c->f->wcol != SIZE_MAX ? c->wblock : NULL, err);
    c->nblock = 0;
    return rc;
}

/* Make room for k columns in the block and the row (after a flush when the
 * width changes: rows in a block share one width). */
static int ensure_width(lr_chunk *c, size_t k, lr_error *err)
{
    if (k > c->row_cap) {
        size_t cap = k * 2;
        double *row = lr_mem_realloc(c->row, c->row_cap * sizeof(double), cap * sizeof(double));
        if (!row)
            return lr_error_nomem(err);
        c->row = row;
        c->row_cap = cap;
    }
    if (c->block && k <= c->block_k)
        return LR_OK;
    int rc = flush(c, err);
    if (rc)
        return rc;
    size_t kb = k < 8 ? 8 : k + k / 2;
    size_t rows = LR_BLOCK_DOUBLES / kb;
    if (rows > LR_BLOCK_WIDE / kb / kb)
        rows = LR_BLOCK_WIDE / kb / kb;
    if (rows > LR_BLOCK_ROWS)
        rows = LR_BLOCK_ROWS;
    if (rows < 16)
        rows = 16;
    size_t n;
    if (lr_mul_overflows(rows, kb, &n) || n > SIZE_MAX / sizeof(double))
        return lr_error_set(err, LR_ERANGE, "too many model columns (%zu)", k);
    double *block = lr_mem_alloc(n * sizeof(double));
    double *wblock = lr_mem_alloc(rows * sizeof(double));
    uint64_t *lblock = lr_mem_alloc(rows * sizeof(uint64_t));
    if (!block || !wblock || !lblock) {
        lr_mem_free(block, n * sizeof(double));
        lr_mem_free(wblock, rows * sizeof(double));
        lr_mem_free(lblock, rows * sizeof(uint64_t));
        return lr_error_nomem(err);
    }
    lr_mem_free(c->block, c->block_rows * c->block_k * sizeof(double));
    lr_mem_free(c->wblock, c->block_rows * sizeof(double));
    lr_mem_free(c->lblock, c->block_rows * sizeof(uint64_t));
    c->block = block;
    c->wblock = wblock;
    c->lblock = lblock;
    c->block_rows = rows;
    c->block_k = kb;
    return LR_OK;
}

/* Evaluate with a check at every node: the first node whose value is not
 * finite while its operands are is the culprit, described in *why. */
static double eval_checked(const lr_node *n, const double *vals, const char **why)
{
    double a, b, r;
    switch (n->kind) {
    case LR_NODE_NUM: return n->num;
    case LR_NODE_COL: return vals[n->col];
    case LR_NODE_PAREN: return eval_checked(n->a, vals, why);
    case LR_NODE_NEG: return -eval_checked(n->a, vals, why);
    case LR_NODE_NOT:
        a = eval_checked(n->a, vals, why);
        return *why ? a : lr_node_eval(n, vals);
    case LR_NODE_AND:
    case LR_NODE_OR:
        /* R's three-valued logic: FALSE & NA is FALSE, so an operand's NaN
         * matters only when the result is NA */
        r = lr_node_eval(n, vals);
        if (isnan(r)) {
            eval_checked(n->a, vals, why);
            if (!*why)
                eval_checked(n->b, vals, why);
        }
        return r;
    case LR_NODE_FN:
        a = eval_checked(n->a, vals, why);
        if (*why)
            return a;
        r = lr_node_eval(n, vals);
        if (!isfinite(r))
            *why = lr_fn_why(n->fn, a);
        return r;
    default:
        a = eval_checked(n->a, vals, why);
        if (*why)
            return a;
        b = eval_checked(n->b, vals, why);
        if (*why)
            return b;
        r = lr_node_eval(n, vals);
        if (!isfinite(r))
            *why = n->kind == LR_NODE_LOGB ? (a == 0    ? "the logarithm of 0"
                                              : a < 0   ? "the logarithm of a negative value"
                                                        : "a logarithm to an invalid base")
                   : n->kind == LR_NODE_DIV && b == 0 ? "division by zero"
                   : n->kind == LR_NODE_POW && a < 0 && b != floor(b)
                       ? "a negative number to a fractional power"
                   : n->kind == LR_NODE_POW && a == 0 && b < 0 ? "0 to a negative power"
                                                               : "overflow";
        return r;
    }
}

/* factor(x, levels = c(...)): 1 if the cell's level (its bytes, or the number
 * as R's as.character writes it) is listed; R's factor() makes it NA if not,
 * and lm omits the row. 1 for any other variable. */
int lr_frame_level_listed(const lr_var *x, const char *s, size_t len, double num, int numeric)
{
    if (!x->levels)
        return 1;
    char buf[64];
    if (numeric) {
        lr_format_r_number(num, buf, sizeof buf);
        s = buf;
        len = strlen(buf);
    }
    for (size_t i = 0; i < x->nlevels; i++)
        if (strlen(x->levels[i]) == len && !memcmp(x->levels[i], s, len))
            return 1;
    return 0;
}

/* The first data column an expression reads (for the position in messages). */
static size_t first_col(const lr_node *n)
{
    if (!n)
        return SIZE_MAX;
    if (n->kind == LR_NODE_COL)
        return n->col;
    size_t c = first_col(n->a);
    return c != SIZE_MAX ? c : first_col(n->b);
}

static int nonfinite_error(const lr_frame *f, const lr_csv_row *row, const lr_var *x, double v,
                           const char *why, lr_error *err)
{
    size_t c = first_col(x->expr);
    const lr_csv_field *fl = c != SIZE_MAX ? &row->fields[c] : &row->fields[0];
    return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col, "%s is %s: %s", x->label,
                       isnan(v) ? "NaN" : (v > 0 ? "Inf" : "-Inf"), why ? why : "overflow");
}

/* Convert the model's cells of a row into c->colval / c->cell; *missing = 1 if
 * one is missing (and that is not an error). */
static int read_cells(lr_chunk *c, const lr_csv_row *row, int *missing, lr_error *err)
{
    const lr_frame *f = c->f;
    const lr_csv_field *miss = NULL;
    size_t miss_col = 0;
    *missing = 0;
    for (size_t u = 0; u < f->nused; u++) {
        size_t j = f->used[u];
        const col_info *ci = &f->cols[j];
        const lr_csv_field *fl = &row->fields[j];
        double v = 0;
        char q[96];
        lr_cell_kind kind =
            lr_cell_classify(&f->nas, ci->text && !ci->logical, fl->data, fl->len, &v);
        if (kind == LR_CELL_MISSING) {
            if (!miss) {
                miss = fl;
                miss_col = j;
            }
            continue;
        }
        if (ci->logical) {
            const char *label = lr_logical_label(fl->data, fl->len);
            if (!label) {
                lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
                return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                                   "column '%s': \"%s\" is not T, F, TRUE or FALSE, which the "
                                   "column holds in its first rows (R would read it as text)",
                                   ci->name, q);
            }
            c->cell[j] = label;
            c->cell_len[j] = strlen(label);
            continue;
        }
        if (ci->text) {
            /* categorical: the bytes are the level, numbers included */
            c->cell[j] = fl->data;
            c->cell_len[j] = fl->len;
            continue;
        }
        switch (kind) {
        case LR_CELL_NUMBER: c->colval[j] = v; break;
        case LR_CELL_OVERFLOW:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': \"%s\" is out of the range of a double", ci->name, q);
        default:
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            if (!c->first)
                return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                                   "column '%s': expected a number, got \"%s\" (the column "
                                   "holds numbers in its first rows; write factor(%s) in a "
                                   "formula to make it categorical)",
                                   ci->name, q, ci->name);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': expected a number, got \"%s\"", ci->name, q);
        }
    }
    if (!miss && f->ncl && (miss = cluster_missing(f, row)) != NULL)
        miss_col = (size_t)(miss - row->fields);
    if (f->wcol != SIZE_MAX && !miss) {
        double w = c->colval[f->wcol];
        if (w < 0) {
            const lr_csv_field *fl = &row->fields[f->wcol];
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               "column '%s': weight %g is negative", f->colnames[f->wcol], w);
        }
    }
    if (miss) {
        if (f->na == LR_NA_ERROR)
            return lr_error_at(err, LR_EMISSING, f->source, miss->line, miss->col,
                               "column '%s': missing value (--na error)", f->colnames[miss_col]);
        *missing = 1;
    }
    return LR_OK;
}

/* The key of a factor term's cell: the term, the row's (chunk-local) levels
 * of its factors, and the poly combination. */
static void cell_key(const lr_chunk *c, size_t t, size_t combo, uint32_t *key)
{
    const lr_formula *fm = c->f->formula;
    size_t w = 0;
    key[w++] = (uint32_t)t + 1;
    for (size_t i = 0; i < fm->terms[t].n; i++) {
        size_t v = fm->terms[t].vars[i];
        if (c->f->vars[v].factor)
            key[w++] = c->level[v];
    }
    while (w < c->f->keywidth - 1)
        key[w++] = 0;
    key[w] = (uint32_t)combo;
}

/* The column of a cell, created (and its key recorded in column order) when new. */
static int cell_column(lr_chunk *c, const uint32_t *key, const col_origin *o, size_t *col,
                       lr_error *err)
{
    size_t kw = c->f->keywidth;
    size_t got = lr_cell_map_get(&c->map, key);
    if (got == SIZE_MAX) {
        size_t nkeys = c->k - c->f->kfixed;
        if (nkeys == c->colkeys_cap) {
            size_t cap = c->colkeys_cap ? 2 * c->colkeys_cap : 16;
            uint32_t *ck = lr_mem_alloc(cap * kw * sizeof(uint32_t));
            col_origin *co = lr_mem_alloc(cap * sizeof(col_origin));
            if (!ck || !co) {
                lr_mem_free(ck, cap * kw * sizeof(uint32_t));
                lr_mem_free(co, cap * sizeof(col_origin));
                return lr_error_nomem(err);
            }
            if (nkeys) {
                memcpy(ck, c->colkeys, nkeys * kw * sizeof(uint32_t));
                memcpy(co, c->colorigin, nkeys * sizeof(col_origin));
            }
            lr_mem_free(c->colkeys, c->colkeys_cap * kw * sizeof(uint32_t));
            lr_mem_free(c->colorigin, c->colkeys_cap * sizeof(col_origin));
            c->colkeys = ck;
            c->colorigin = co;
            c->colkeys_cap = cap;
        }
        int rc = lr_cell_map_put(&c->map, key, c->k, err);
        if (rc)
            return rc;
        memcpy(c->colkeys + nkeys * kw, key, kw * sizeof(uint32_t));
        c->colorigin[nkeys] = *o;
        got = c->k++;
    }
    *col = got;
    return LR_OK;
}

/* The model would pass LR_MAX_COLUMNS at this row, because of a level (or
 * a combination of levels) of term t seen first here: the error names the
 * place, the factor's column and level, and the cap. The factor named is the
 * first of the term whose level is new to the chunk in this row (the first
 * of the term when only the combination is new). */
static size_t origin_var(const lr_chunk *c, size_t t, const unsigned char *fresh)
{
    const lr_frame *f = c->f;
    const lr_term *tm = &f->formula->terms[t];
    size_t v = SIZE_MAX;
    for (size_t i = 0; i < tm->n && v == SIZE_MAX; i++)
        if (f->vars[tm->vars[i]].factor && fresh && fresh[tm->vars[i]])
            v = tm->vars[i];
    for (size_t i = 0; i < tm->n && v == SIZE_MAX; i++)
        if (f->vars[tm->vars[i]].factor)
            v = tm->vars[i];
    return v;
}

/* The error of a model that would pass LR_MAX_COLUMNS with its column k, made
 * for level `label` of variable v at (line, col). */
static int cap_error(const lr_frame *f, size_t v, const char *label, uint64_t line, uint64_t col,
                     size_t k, lr_error *err)
{
    return lr_error_at(err, LR_ERANGE, f->source, line, col,
                       "column '%s': level '%s' makes the model's column %zu, and linreg "
                       "supports at most %d (the response, the predictors and a column per "
                       "factor level): it keeps matrices of columns x columns while it streams; "
                       "fit fewer levels (merge rare ones) or fewer predictors",
                       f->colnames[f->formula->vars[v].col], label, k, LR_MAX_COLUMNS);
}

/* A value of the row being built: into c->row, or (a chunk that keeps its
 * rows sparsely, see row_store.h) as the row's next entry. */
static void put_value(lr_chunk *c, size_t col, double val)
{
    if (c->sparse)
        c->ent[c->nent++] = (lr_row_entry){(uint32_t)col, val};
    else
        c->row[col] = val;
}

/* Evaluate the variables of a row and lay its accumulator values out
 * (making columns for level combinations seen first). */
static int build_row(lr_chunk *c, const lr_csv_row *row, int *omit, lr_error *err)
{
    unsigned char freshbuf[64];
    unsigned char *fresh = c->f->formula->nvars <= 64 ? freshbuf : NULL;
    const lr_frame *f = c->f;
    const lr_formula *fm = f->formula;
    int rc;
    /* Expressions first: one that is NaN (log(-1), sqrt(-1)) omits the row,
     * as R's lm does (NaN is NA to na.omit; R warns "NaNs produced"), before
     * any factor level of the row is recorded (lm drops unused levels). An
     * infinite value stays an error, as in lm ("NA/NaN/Inf in 'x'"). */
    *omit = 0;
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (f->vars[v].factor &&
            !lr_frame_level_listed(x, c->cell[x->col], c->cell_len[x->col], c->colval[x->col],
                          !f->cols[x->col].text)) {
            *omit = 1; /* NA, as R's factor(x, levels = ) makes it */
            return LR_OK;
        }
        if ((f->vars[v].factor && !x->logical) || x->kind == LR_VAR_COLUMN)
            continue;
        if (x->codes) { /* C(g, sum): the level's rank (model_frame_coded.c) */
            if (lr_frame_coded_rank(f, v, c->cell[x->col], c->cell_len[x->col],
                                    c->colval[x->col], &c->value[v]))
                return lr_error_at(err, LR_EDATA, f->source, row->line, 1,
                                   "a level of %s not seen in the first pass (the file "
                                   "changed between passes?)", x->label);
            continue;
        }
        const char *why = NULL;
        double value = eval_checked(x->expr, c->colval, &why);
        if (isnan(value) && f->na != LR_NA_ERROR) {
            if (!c->nan_rows++) {
                c->nan_line = row->line;
                c->nan_var = v;
            }
            *omit = 1;
            return LR_OK;
        }
        if (!isfinite(value))
            return nonfinite_error(f, row, x, value, why, err);
        c->value[v] = value;
    }
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *x = &fm->vars[v];
        if (f->vars[v].factor) {
            const col_info *ci = &f->cols[x->col];
            size_t before = lr_levels_count(c->levels[v]);
            char joined[LR_INTERACTION_MAX];
            size_t jn = 0;
            if (x->icols &&
                (rc = lr_interaction_join(f, x, row, c->colval, joined, sizeof joined, &jn, err)))
                return rc;
            if (x->logical) { /* I(x > 5): its level's label */
                jn = c->value[v] != 0 ? 4 : 5;
                memcpy(joined, c->value[v] != 0 ? "TRUE" : "FALSE", jn);
            }
            rc = x->icols || x->logical
                     ? lr_levels_intern_text(c->levels[v], joined, jn, &c->level[v], err)
                 : ci->text
                     ? lr_levels_intern_text(c->levels[v], c->cell[x->col], c->cell_len[x->col],
                                             &c->level[v], err)
                     : lr_levels_intern_number(c->levels[v], c->colval[x->col], &c->level[v], err);
            if (rc)
                return rc;
            if (fresh)
                fresh[v] = lr_levels_count(c->levels[v]) != before;
            continue;
        }
        if (x->kind == LR_VAR_COLUMN)
            c->value[v] = c->colval[x->col]; /* finite: read_cells checked it */
    }

    /* New cells first (the row's width must be known before it is written). */
    uint32_t key[66];
    if (f->keywidth > 66)
        return lr_error_set(err, LR_ERANGE, "a term interacts more than 64 factors");
    for (size_t t = 0; t < fm->nterms; t++) {
        const term_info *ti = &f->terms[t];
        if (ti->nf == 0)
            continue;
        for (size_t combo = 0; combo < ti->ncombo; combo++) {
            size_t col;
            cell_key(c, t, combo, key);
            if (lr_cell_map_get(&c->map, key) != SIZE_MAX)
                continue;
            /* a new column: where it came from, for this check and the fold's */
            size_t v = origin_var(c, t, fresh);
            col_origin o = {row->line, row->fields[fm->vars[v].col].col, v, c->level[v]};
            if (c->k + 1 > LR_MAX_COLUMNS)
                return cap_error(f, v, lr_levels_label(c->levels[v], c->level[v]), o.line, o.col,
                                 c->k + 1, err);
            if ((rc = cell_column(c, key, &o, &col, err)))
                return rc;
        }
    }
    if (c->sparse) {
        c->nent = 0;
    } else {
        if ((rc = ensure_width(c, c->k, err)))
        return rc;
        memset(c->row, 0, c->k * sizeof(double));
    }

    /* The values: response, then each term's product of numeric variables
     * times its poly powers, in the term's column. */
    /* lm fits y − offset (lm.fit: qr(x, y - offset)); R's summary then takes
     * R² and F from fitted − offset, which are this fit's */
    put_value(c, 0, fm->offset ? c->value[0] - c->value[fm->offset] : c->value[0]);
    if (fm->offset)
        put_value(c, f->offset_col, c->value[fm->offset]);
    for (size_t t = 0; t < fm->nterms; t++) {
        const term_info *ti = &f->terms[t];
        const lr_term *tm = &fm->terms[t];
        double s = 1;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (!f->vars[v].factor && fm->vars[v].kind != LR_VAR_POLY)
                s *= c->value[v];
        }
        for (size_t combo = 0; combo < ti->ncombo; combo++) {
            /* combo is a mixed-radix number over the term's poly variables,
             * the first varying fastest; digit d means power d + 1. */
            double val = s;
            size_t rest = combo;
            for (size_t i = 0; i < tm->n; i++) {
                size_t v = tm->vars[i];
                if (fm->vars[v].kind != LR_VAR_POLY || f->vars[v].factor)
                    continue;
                size_t deg = (size_t)fm->vars[v].degree;
                val *= lr_var_column(&fm->vars[v], c->value[v], (unsigned)(rest % deg + 1));
                rest /= deg;
            }
            if (!isfinite(val))
                return nonfinite_error(f, row, &fm->vars[tm->vars[0]], val, "overflow", err);
            size_t col;
            if (ti->nf == 0) {
                col = ti->first_col + combo;
            } else {
                cell_key(c, t, combo, key);
                col = lr_cell_map_get(&c->map, key);
            }
            put_value(c, col, val);
        }
    }
    return LR_OK;
}

/* A row whose field count differs from the header's: the error at the first
 * missing or extra field. */
static int ragged_row(const lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    const lr_csv_field *at = &row->fields[row->nfields > f->ncsv ? f->ncsv : row->nfields - 1];
    return lr_error_at(err, LR_EPARSE, f->source, at->line, at->col,
                       "row has %zu field%s but the header has %zu", row->nfields,
                       row->nfields == 1 ? "" : "s", f->ncsv);
}

/* The stored rows into blocks of the chunk's width (every column they can
 * have is known now: zero in the columns a row has no entry in), and so
 * into the accumulator. */
static int store_flush(lr_chunk *c, lr_error *err)
{
    lr_row_store *s = &c->store;
    int rc = s->rows ? ensure_width(c, c->k, err) : LR_OK;
    for (size_t r = 0; r < s->rows && !rc; r++) {
        const lr_row_head *h = &s->row[r];
        size_t i = c->nblock, ld = c->block_rows;
        if (i == 0)
            memset(c->block, 0, c->k * ld * sizeof(double));
        for (size_t e = h->start; e < h->start + h->n; e++)
            c->block[s->e[e].col * ld + i] = s->e[e].val;
        c->wblock[i] = h->w;
        c->lblock[i] = h->line;
        if (++c->nblock == ld && !(rc = flush(c, err)) && c->f->on_kept) {
            /* a wide factor: seconds, mostly when the pending rows are folded
             * (every 2k): rows count as done once folded, so that a rate
             * taken between folds is not one of the cheap part alone */
            uint64_t pend = lr_accum_pending_rows(c->acc);
            c->f->on_kept(c->f->on_kept_ud, r + 1 > pend ? r + 1 - pend : 0, s->rows);
        }
    }
    size_t kept = s->rows;
    lr_row_store_clear(s);
    /* the last block too: later rows may bring columns its rows lack */
    if (!rc && !(rc = flush(c, err)) && c->f->on_kept && kept)
        c->f->on_kept(c->f->on_kept_ud, kept, kept);
    return rc;
}

/* The end of a row whose values the direct paths wrote into the block's
 * next row: its weight and line, and a flush when the block is full. */
static int direct_row_done(lr_chunk *c, double w, uint64_t line, lr_error *err)
{
    c->wblock[c->nblock] = w;
    c->lblock[c->nblock] = line;
    if (++c->nblock == c->block_rows)
        return flush(c, err);
    return LR_OK;
}

/* A row taken (into the block or the store): its key cells for the spool,
 * which flush hands on with the row's values (the rows in the same order). */
static void take_keys(lr_chunk *c, const lr_csv_row *row)
{
    const char *cell[LR_ROW_KEYS_MAX];
    size_t len[LR_ROW_KEYS_MAX];
    for (size_t i = 0; i < c->keys.nkey; i++) {
        cell[i] = row->fields[c->f->kcol[i]].data;
        len[i] = row->fields[c->f->kcol[i]].len;
    }
    lr_row_keys_add(&c->keys, cell, len);
}

int lr_chunk_fast_text(lr_chunk *c)
{
    /* the block is made by the first row otherwise */
    return c->f->direct != NULL && ensure_width(c, c->k, NULL) == LR_OK;
}

/*
 * Rows straight from the text, the CSV scan and the number conversion fused
 * (as fread does), for the direct case: each field of the header's width is
 * either a number the model uses — converted where it starts, the byte after
 * it checked to be the delimiter or the line end — or a field it does not
 * use, skipped to the next delimiter. Rows end with LF or CRLF. The first row
 * that is anything else (a quote, a blank, an empty or missing cell, text, a
 * number too large, another field count, an empty line, a lone CR, a NUL
 * byte, a negative weight) stops the loop at its first byte: the caller
 * reads it with the CSV reader and lr_chunk_add_row, which accept or report
 * it exactly as for any chunk. Every value is the one lr_parse_cell gives for
 * the cell's bytes, so the results do not depend on which path read a row.
 */
int lr_chunk_add_text(lr_chunk *c, const char *buf, size_t len, char delim, uint64_t line0,
                      size_t *used, uint64_t *lines, lr_error *err)
{
    const lr_frame *f = c->f;
    const char *p = buf, *const end = buf + len;
    const size_t ncsv = f->ncsv, wcol = f->wcol;
    const size_t *direct = f->direct;
    double *colval = c->colval;
    uint64_t nrows = 0, nlines = 0;
    int rc = LR_OK;
    const char *kcell[LR_ROW_KEYS_MAX] = {NULL}; /* the row's key cells (c->keys) */
    size_t klen[LR_ROW_KEYS_MAX] = {0};
    *used = 0;
    *lines = 0;
    while (p < end) {
        const char *row = p, *rend = p;
        size_t i = c->nblock, ld = c->block_rows;
        size_t j = 0;
        int ok = 1;
        for (;; j++) {
            const char *field = p;
            if (direct[j] != SIZE_MAX || j == wcol) {
                double v;
                const char *stop;
                if (lr_parse_number_prefix(p, end, &v, &stop) != LR_CELL_NUMBER) {
                    ok = 0;
                    break;
                }
                colval[j] = v;
                if (direct[j] != SIZE_MAX)
                    c->block[direct[j] * ld + i] = v;
                p = stop;
            } else {
                /* a field the model does not read: any bytes but quotes, line
                 * ends and NUL up to the delimiter */
                const char *start = p;
                while (p < end && *p != delim && *p != '\n' && *p != '\r' && *p != '"' &&
                       *p != '\0')
                    p++;
                if (p < end && (*p == '"' || *p == '\0')) {
                    ok = 0;
                    break;
                }
                /* a cluster column's missing key: the row path omits the row */
                if (f->cols[j].used &&
                    (p == start || (p - start == 2 && start[0] == 'N' && start[1] == 'A'))) {
                    ok = 0;
                    break;
                }
            }
            for (size_t q = 0; q < c->keys.nkey; q++)
                if (f->kcol[q] == j) { /* unquoted: the bytes the CSV reader hands out */
                    kcell[q] = field;
                    klen[q] = (size_t)(p - field);
                }
            if (j + 1 < ncsv) {
                if (p == end || *p != delim) {
                    ok = 0;
                    break;
                }
                p++;
                continue;
            }
            /* the last field: the line end (or the input's end) must follow */
            rend = p;
            if (p < end) {
                if (*p == '\n')
                    p++;
                else if (*p == '\r' && p + 1 < end && p[1] == '\n')
                    p += 2;
                else
                    ok = 0;
                nlines += ok ? 1u : 0u;
            }
            break;
        }
        if (!ok || (wcol != SIZE_MAX && !(colval[wcol] >= 0))) {
            p = row;
            break;
        }
        /* the block's row i holds the values (a row given up above is not
         * counted, so what it wrote there is overwritten) */
        c->rows++;
        nrows++;
        lr_row_fp_add(&c->fp, line0 + nrows, lr_row_hash_text(row, (size_t)(rend - row)));
        if (c->keys.nkey)
            lr_row_keys_add(&c->keys, kcell, klen);
        if ((rc = direct_row_done(c, wcol != SIZE_MAX ? colval[wcol] : 1.0, line0 + nrows, err)))
            break;
    }
    *used = (size_t)(p - buf);
    *lines = nlines; /* a last row without a line end is not a line more */
    return rc;
}

static int chunk_add(lr_chunk *c, const lr_csv_row *row, lr_error *err)
{
    const lr_frame *f = c->f;
    if (row->nfields != f->ncsv)
        return ragged_row(f, row, err);
    c->rows++;
    int missing, rc;
    if (f->direct && c->block) {
        /* Plain numeric columns: convert each cell straight into the block. A
         * row that turns out to have a missing value is simply not counted. */
        size_t i = c->nblock, ld = c->block_rows;
        int miss = 0;
        for (size_t u = 0; u < f->nused; u++) {
            size_t j = f->used[u];
            const lr_csv_field *fl = &row->fields[j];
            double v;
            lr_cell_kind kind = lr_parse_cell(fl->data, fl->len, &v);
            if (kind != LR_CELL_NUMBER) {
                if (kind != LR_CELL_MISSING || f->na == LR_NA_ERROR) {
                    miss = -1; /* an error: the general path reports it */
                    break;
                }
                miss = 1;
                continue;
            }
            c->colval[j] = v;
            if (f->direct[j] != SIZE_MAX)
                c->block[f->direct[j] * ld + i] = v;
        }
        if (miss == 0 && f->ncl && cluster_missing(f, row))
            miss = 1;
        if (miss == 0 && (f->wcol == SIZE_MAX || c->colval[f->wcol] >= 0)) {
            if (c->keys.nkey)
                take_keys(c, row);
            return direct_row_done(c, f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0, row->line,
                                   err);
        }
        if (miss == 1 && f->na != LR_NA_ERROR) {
            /* the general path below would find the same; but a text cell or a
             * negative weight in this row must still be an error */
            int bad = 0;
            for (size_t u = 0; u < f->nused && !bad; u++) {
                const lr_csv_field *fl = &row->fields[f->used[u]];
                double v;
                lr_cell_kind kind = lr_parse_cell(fl->data, fl->len, &v);
                bad = kind == LR_CELL_TEXT || kind == LR_CELL_OVERFLOW;
            }
            if (!bad) {
                c->dropped++;
                return LR_OK;
            }
        }
    }
    if ((rc = read_cells(c, row, &missing, err)))
        return rc;
    if (missing) {
        /* As R's model.frame with na.omit: the whole row goes, and is counted. */
        c->dropped++;
        return f->bn_vars ? lr_chunk_collect(c, row, 0, err) : LR_OK;
    }
    int omit;
    if ((rc = build_row(c, row, &omit, err)))
        return rc;
    if (omit) {
        c->dropped++;
        return f->bn_vars ? lr_chunk_collect(c, row, 0, err) : LR_OK;
    }
    if (f->bn_vars && (rc = lr_chunk_collect(c, row, 1, err)))
        return rc;
    if (c->keys.nkey)
        take_keys(c, row);
    if (c->sparse) {
        rc = lr_row_store_add(&c->store, c->ent, c->nent,
                              f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0, row->line, err);
        if (!rc && c->store.n >= LR_ROW_STORE_ENTRIES)
            rc = store_flush(c, err);
        return rc;
    }
    size_t i = c->nblock;
    for (size_t j = 0; j < c->k; j++)
        c->block[j * c->block_rows + i] = c->row[j];
    c->wblock[i] = f->wcol != SIZE_MAX ? c->colval[f->wcol] : 1.0;
    c->lblock[i] = row->line;
    if (++c->nblock == c->block_rows)
        return flush(c, err);
    return LR_OK;
}

/* A row whose hash is known (a kept row has lost its unused cells): counted
 * in the fingerprint when it is used, i.e. neither dropped nor an error. */
static int chunk_add_hashed(lr_chunk *c, const lr_csv_row *row, uint64_t hash, lr_error *err)
{
    uint64_t dropped = c->dropped;
    int rc = chunk_add(c, row, err);
    if (rc == LR_OK && c->dropped == dropped)
        lr_row_fp_add(&c->fp, row->line, hash);
    return rc;
}

int lr_chunk_add_row(lr_chunk *c, const lr_csv_row *row, lr_error *err)
{
    return chunk_add_hashed(c, row, lr_row_hash_fields(row, c->f->delim), err);
}

int lr_chunk_end(lr_chunk *c, lr_error *err)
{
    return c->sparse ? store_flush(c, err) : flush(c, err);
}

/* ------------------------------------------------------------------------ */
/* The fold: chunks into the frame, in file order, along a fixed tree       */
/* ------------------------------------------------------------------------ */

/* dst := dst then src, both grown to the frame's columns first. */
int lr_frame_merge_grown(lr_frame *f, lr_accum *dst, const lr_accum *src, lr_accum *src_mut,
                         lr_error *err)
{
    int rc = lr_accum_grow(dst, f->k, err);
    if (!rc && src_mut)
        rc = lr_accum_grow(src_mut, f->k, err);
    if (!rc)
        rc = lr_accum_merge(dst, src, err);
    return rc;
}

int lr_frame_tree_push(lr_frame *f, lr_accum **stack, uint64_t *count, lr_accum *a,
                       lr_error *err)
{
    uint64_t n = *count;
    int rc = LR_OK;
    for (int l = 0; l < LR_FOLD_LEVELS; l++) {
        if (!(n >> l & 1)) {
            stack[l] = a;
            a = NULL;
            break;
        }
        /* stack[l] holds the 2^l leaves before a's 2^l: merge in that order
         * (an empty side leaves the other as it is) */
        if (stack[l] && a) {
            if ((rc = lr_frame_merge_grown(f, stack[l], a, a, err)))
                break;
            lr_accum_free(a);
            a = NULL;
        }
        if (stack[l]) {
            a = stack[l];
            stack[l] = NULL;
        }
    }
    lr_accum_free(a);
    if (rc == LR_OK)
        (*count)++;
    return rc;
}

int lr_frame_note_origin(lr_frame *f, size_t j, const col_origin *o, uint64_t lines_before,
                         uint32_t level, lr_error *err)
{
    if (f->mapping_file)
        return LR_OK; /* the data set's columns: the last cap checked */
    if (j >= f->forigin_cap) {
        size_t cap = f->forigin_cap ? 2 * f->forigin_cap : 64;
        while (cap <= j)
            cap *= 2;
        col_origin *n = lr_mem_realloc(f->forigin, f->forigin_cap * sizeof(col_origin),
                                       cap * sizeof(col_origin));
        if (!n)
            return lr_error_nomem(err);
        f->forigin = n;
        f->forigin_cap = cap;
    }
    f->forigin[j] = *o;
    f->forigin[j].line = lines_before + o->line;
    f->forigin[j].level = level;
    return LR_OK;
}

int lr_frame_map_chunk(lr_frame *f, const lr_chunk *c, uint64_t lines_before, lr_accum **out,
                       size_t **colmap_out, lr_error *err)
{
    const lr_formula *fm = f->formula;
    size_t nv = fm->nvars, kw = f->keywidth;
    size_t nk = c->k - f->kfixed;
    int rc = LR_OK;
    uint32_t **lmap = lr_mem_calloc(nv ? nv : 1, sizeof(uint32_t *));
    size_t *colmap = lr_mem_calloc(c->k, sizeof(size_t));
    *out = NULL;
    *colmap_out = NULL;
    if (!lmap || !colmap) {
        rc = lr_error_nomem(err);
        goto done;
    }
    /* The chunk's levels, in the order it saw them, into the frame's. */
    for (size_t v = 0; v < nv; v++) {
        if (!f->vars[v].factor)
            continue;
        size_t n = lr_levels_count(c->levels[v]);
        lmap[v] = lr_mem_calloc(n ? n : 1, sizeof(uint32_t));
        if (!lmap[v]) {
            rc = lr_error_nomem(err);
            goto done;
        }
        int numeric = lr_levels_numeric(c->levels[v]);
        for (size_t id = 0; id < n; id++) {
            double x = 0;
            const char *label = lr_levels_label(c->levels[v], (uint32_t)id);
            rc = numeric ? (lr_levels_value(c->levels[v], (uint32_t)id, &x),
                            lr_levels_intern_number(f->vars[v].levels, x, &lmap[v][id], err))
                         : lr_levels_intern_text(f->vars[v].levels, label,
                                                 lr_levels_length(c->levels[v], (uint32_t)id),
                                                 &lmap[v][id], err);
            if (rc)
                goto done;
        }
    }
    /* Its columns, in column order, onto the frame's. */
    for (size_t j = 0; j < f->kfixed; j++)
        colmap[j] = j;
    uint32_t key[66];
    for (size_t i = 0; i < nk; i++) {
        const uint32_t *lk = c->colkeys + i * kw;
        size_t t = lk[0] - 1, w = 1;
        key[0] = lk[0];
        for (size_t q = 0; q < fm->terms[t].n; q++) {
            size_t v = fm->terms[t].vars[q];
            if (f->vars[v].factor) {
                key[w] = lmap[v][lk[w]];
                w++;
            }
        }
        for (; w < kw; w++)
            key[w] = lk[w];
        size_t g = lr_cell_map_get(&f->map, key);
        if (g == SIZE_MAX) {
            g = f->k;
            const col_origin *o = &c->colorigin[i];
            if (f->k + 1 > LR_MAX_COLUMNS) {
                /* the row that made it, in the file's lines (a later chunk's
                 * own count stayed under the cap; the chunks before it had
                 * the other levels) */
                rc = cap_error(f, o->var, lr_levels_label(c->levels[o->var], o->level),
                               lines_before + o->line, o->col, f->k + 1, err);
                goto done;
            }
            if ((rc = lr_cell_map_put(&f->map, key, g, err)) ||
                (rc = lr_frame_note_origin(f, g - f->kfixed, o, lines_before,
                                           lmap[o->var][o->level], err)))
                goto done;
            f->k++;
        }
        colmap[f->kfixed + i] = g;
    }
    if (c->acc) /* NULL: a file without an observation (frame_files.c) */
        rc = lr_accum_remap(c->acc, f->k, colmap, out, err);
done:
    if (lmap)
        for (size_t v = 0; v < nv; v++)
            if (lmap[v])
                lr_mem_free(lmap[v],
                            (lr_levels_count(c->levels[v]) ? lr_levels_count(c->levels[v]) : 1) *
                                sizeof(uint32_t));
    lr_mem_free(lmap, (nv ? nv : 1) * sizeof(uint32_t *));
    if (rc)
        lr_mem_free(colmap, c->k * sizeof(size_t));
    else
        *colmap_out = colmap;
    return rc;
}

int lr_frame_fold(lr_frame *f, lr_chunk *c, uint64_t lines_before, lr_error *err)
{
    size_t *colmap = NULL;
    lr_accum *a = NULL;
    int rc = lr_frame_map_chunk(f, c, lines_before, &a, &colmap, err);
    if (rc)
        return rc;
    /* Its rows to the spool, in the frame's columns. */
    if (f->rows_wanted && !f->rows_failed) {
        f->rows_failed =
            c->spool.over ||
            lr_row_buf_write(f->rows_fd, &c->spool, colmap, lines_before, &f->rows_bytes) != 0 ||
            f->rows_bytes > LR_ROW_SPOOL_MAX;
        lr_row_buf_free(&c->spool);
    }
    lr_mem_free(colmap, c->k * sizeof(size_t));
    /* The chunk's statistics along the current file's tree (frame_files.c) */
    if ((rc = lr_frame_tree_push(f, f->stack, &f->leaves, a, err)))
        return rc;
    if (f->bn_vars && (rc = lr_frame_collect_fold(f, c, err)))
        return rc;
    f->rows += c->rows;
    f->dropped += c->dropped;
    lr_row_fp_fold(&f->fp, &c->fp, lines_before);
    if (c->nan_rows && !f->nan_rows) {
        /* chunks fold in file order: the first chunk with one has the first
         * (its line counted from the chunk's first) */
        f->nan_line = c->nan_line + lines_before;
        f->nan_var = c->nan_var;
    }
    f->nan_rows += c->nan_rows;
    f->chunks++;
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* The first chunk: keep, decide, replay                                    */
/* ------------------------------------------------------------------------ */

static int keep_row(lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    if (f->nkept_rows == f->kept_rows_cap) {
        size_t cap = f->kept_rows_cap ? 2 * f->kept_rows_cap : 256;
        uint64_t *l = lr_mem_realloc(f->kept_line, f->kept_rows_cap * sizeof(uint64_t),
                                     cap * sizeof(uint64_t));
        if (!l)
            return lr_error_nomem(err);
        f->kept_line = l;
        f->kept_rows_cap = cap;
    }
    if (f->nkept_rows == f->kept_hash_cap) {
        /* its own capacity: a failure here leaves kept_line consistent */
        uint64_t *h = lr_mem_realloc(f->kept_hash, f->kept_hash_cap * sizeof(uint64_t),
                                     f->kept_rows_cap * sizeof(uint64_t));
        if (!h)
            return lr_error_nomem(err);
        f->kept_hash = h;
        f->kept_hash_cap = f->kept_rows_cap;
    }
    if (f->nkept + f->nkeep > f->kept_cap) {
        size_t cap = (f->nkept + f->nkeep) * 2;
        kept_field *k =
            lr_mem_realloc(f->kept, f->kept_cap * sizeof(kept_field), cap * sizeof(kept_field));
        if (!k)
            return lr_error_nomem(err);
        f->kept = k;
        f->kept_cap = cap;
    }
    size_t bytes = 0;
    for (size_t u = 0; u < f->nkeep; u++)
        bytes += row->fields[f->used[u]].len;
    if (f->keep_len + bytes > f->keep_cap) {
        size_t cap = (f->keep_len + bytes) * 2 + 4096;
        char *k = lr_mem_realloc(f->keep, f->keep_cap, cap);
        if (!k)
            return lr_error_nomem(err);
        f->keep = k;
        f->keep_cap = cap;
    }
    for (size_t u = 0; u < f->nkeep; u++) {
        const lr_csv_field *fl = &row->fields[f->used[u]];
        kept_field *k = &f->kept[f->nkept++];
        k->off = f->keep_len;
        k->len = fl->len;
        k->line = fl->line;
        k->col = fl->col;
        k->quoted = fl->quoted;
        memcpy(f->keep + f->keep_len, fl->data, fl->len);
        f->keep_len += fl->len;
        if (u >= f->nused)
            continue; /* a key cell alone: no type to decide */
        f->first_bytes += fl->len + 16;
        /* Column types: a non-missing cell that is not a number makes the column
         * categorical (column_types.c). */
        double v;
        if (lr_cell_classify(&f->nas, 0, fl->data, fl->len, &v) != LR_CELL_MISSING) {
            int text;
            col_info *ci = &f->cols[f->used[u]];
            lr_col_census_add(&ci->census, fl->data, fl->len, fl->line, fl->col, &text);
            ci->text |= text;
        }
    }
    f->kept_hash[f->nkept_rows] = lr_row_hash_fields(row, f->delim);
    f->kept_line[f->nkept_rows++] = row->line;
    return LR_OK;
}

/* Decide the types and run the kept rows through the first chunk. */
/* Kept row r as a row of fields (f->replay). */
static void kept_row(lr_frame *f, size_t r, lr_csv_row *row)
{
    for (size_t u = 0; u < f->nkeep; u++) {
        const kept_field *k = &f->kept[r * f->nkeep + u];
        lr_csv_field *fl = &f->replay[f->used[u]];
        fl->data = f->keep + k->off;
        fl->len = k->len;
        fl->line = k->line;
        fl->col = k->col;
        fl->quoted = k->quoted;
    }
    *row = (lr_csv_row){f->replay, f->ncsv, 0, 0};
    row->line = f->kept_line[r];
}

/* The kept rows into the first chunk, once the column types are decided. */
static int replay(lr_frame *f, lr_error *err)
{
    int rc = resolve_types(f, err);
    if (rc || (rc = lr_chunk_create(f, &f->first, err)))
        return rc;
    lr_chunk *c = f->first;
    c->first = 1;
    lr_csv_row row;
    for (size_t r = 0; r < f->nkept_rows; r++) {
        kept_row(f, r, &row);
        if ((rc = chunk_add_hashed(c, &row, f->kept_hash[r], err)))
            return rc;
    }
    /* The kept bytes are no longer needed. */
    lr_mem_free(f->keep, f->keep_cap);
    lr_mem_free(f->kept, f->kept_cap * sizeof(kept_field));
    f->keep = NULL;
    f->kept = NULL;
    f->keep_cap = f->kept_cap = f->keep_len = f->nkept = 0;
    return LR_OK;
}

int lr_frame_add_row(lr_frame *f, const lr_csv_row *row, lr_error *err)
{
    if (f->first_done)
        return lr_error_set(err, LR_EUSAGE, "frame: the first chunk has been folded");
    if (f->types_known)
        return lr_chunk_add_row(f->first, row, err);
    if (row->nfields != f->ncsv)
        return ragged_row(f, row, err);
    int rc = keep_row(f, row, err);
    if (rc == LR_OK && f->first_bytes >= LR_FIRST_CHUNK)
        rc = replay(f, err);
    return rc;
}

int lr_frame_assume_numeric(lr_frame *f, lr_error *err)
{
    if (f->types_known || f->nkept_rows > 0)
        return lr_error_set(err, LR_EUSAGE, "frame: column types are already being decided");
    /* a factor() column may be R's logical (T, TRUE: one level), which only
     * its first rows can tell */
    for (size_t u = 0; u < f->nused; u++)
        if (f->cols[f->used[u]].as_factor)
            return lr_error_set(err, LR_EUSAGE,
                                "frame: a factor() column's type needs its "
                                "first rows");
    /* no kept rows: no column has shown text, so every undecided one is numeric */
    return replay(f, err);
}

void lr_frame_on_kept_rows(lr_frame *f, void (*fn)(void *ud, uint64_t done, uint64_t total),
                           void *ud)
{
    f->on_kept = fn;
    f->on_kept_ud = ud;
}

int lr_frame_end_first(lr_frame *f, lr_error *err)
{
    int rc = LR_OK;
    if (f->first_done)
        return LR_OK;
    if (!f->types_known)
        rc = replay(f, err);
    if (!rc)
        rc = lr_chunk_end(f->first, err);
    if (!rc && f->on_kept)
        f->on_kept(f->on_kept_ud, 0, 0); /* the merge begins */
    if (!rc)
        rc = lr_frame_fold(f, f->first, 0, err);
    if (!rc) {
        lr_chunk_free(f->first);
        f->first = NULL;
        f->first_done = 1;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* R's coding of the model matrix                                           */
/* ------------------------------------------------------------------------ */

/* The label of level id of variable v is s. */
static int level_is(const lr_levels *l, uint32_t id, const char *s)
{
    return lr_levels_length(l, id) == strlen(s) && !memcmp(lr_levels_label(l, id), s, strlen(s));
}

/* After sorting: relevel(x, ref = "b") puts b first (R: 'ref' must be an
 * existing level); factor(x, levels = c(...)) orders the levels as listed
 * (those with no row are dropped, as lm drops unused levels). */
static int custom_order(lr_frame *f, size_t v, lr_error *err)
{
    const lr_var *x = &f->formula->vars[v];
    lr_levels *l = f->vars[v].levels;
    size_t n = lr_levels_count(l), k = 0;
    if ((!x->ref && !x->levels) || n == 0)
        return LR_OK;
    uint32_t *ids = lr_mem_alloc(n * sizeof *ids);
    if (!ids)
        return lr_error_nomem(err);
    if (x->ref) {
        for (size_t r = 0; r < n && !k; r++)
            if (level_is(l, lr_levels_id_at(l, r), x->ref))
                ids[k++] = lr_levels_id_at(l, r);
        for (size_t r = 0; r < n && k; r++)
            if (lr_levels_id_at(l, r) != ids[0])
                ids[k++] = lr_levels_id_at(l, r);
    } else {
        for (size_t i = 0; i < x->nlevels; i++)
            for (size_t r = 0; r < n; r++)
                if (level_is(l, lr_levels_id_at(l, r), x->levels[i]))
                    ids[k++] = lr_levels_id_at(l, r);
    }
    int rc = LR_OK;
    if (k != n)
        rc = x->ref ? lr_error_set(err, LR_EDATA,
                                   "%s: %s: \"%s\" is not a level of '%s' in the rows used "
                                   "(R: 'ref' must be an existing level)",
                                   f->source, x->label, x->ref, f->colnames[x->col])
                    : lr_error_set(err, LR_EDATA, "%s: %s: the levels of the rows used are not "
                                   "those listed", f->source, x->label);
    else
        lr_levels_set_order(l, ids);
    lr_mem_free(ids, n * sizeof *ids);
    return rc;
}

int lr_frame_model(lr_frame *f, lr_model_columns *out, lr_error *err)
{
    lr_formula *fm = f->formula;
    int rc;
    memset(out, 0, sizeof *out);

    /* Levels in R's order; a factor in the model needs two of them. */
    for (size_t v = 0; v < fm->nvars; v++) {
        var_info *vi = &f->vars[v];
        if (!vi->factor)
            continue;
        if ((rc = lr_levels_sort(vi->levels, err)) || (rc = custom_order(f, v, err)) ||
            (fm->vars[v].icols && (rc = lr_interaction_order(vi->levels, &fm->vars[v], err))))
            return rc;
        int in_model = 0;
        for (size_t t = 0; t < fm->nterms && !in_model; t++)
            for (size_t i = 0; i < fm->terms[t].n; i++)
                in_model |= fm->terms[t].vars[i] == v;
        if (in_model && lr_levels_count(vi->levels) < 2)
            return lr_error_set(
                err, LR_EDATA,
                "%s: factor %s has %s level%s%s%s%s in the rows used: "
                "a factor needs at least two",
                f->source, fm->vars[v].label, lr_levels_count(vi->levels) ? "a single" : "no",
                lr_levels_count(vi->levels) ? "" : "s", lr_levels_count(vi->levels) ? " '" : "",
                lr_levels_count(vi->levels)
                    ? lr_levels_label(vi->levels, lr_levels_id_at(vi->levels, 0))
                    : "",
                lr_levels_count(vi->levels) ? "'" : "");
    }

    /* Coding of each factor in each term (R's TermCode: model_frame_coded.c). */
    size_t nv = fm->nvars, nt = fm->nterms, cells;
    if (lr_mul_overflows(nv, nt ? nt : 1, &cells))
        return lr_error_set(err, LR_ERANGE, "model too large");
    unsigned char *dummy = lr_mem_calloc(cells, 1);
    if (!dummy)
        return lr_error_nomem(err);
    lr_frame_coding(f, dummy);

    /* Count the columns: per term, the product of each variable's choices. */
    size_t q = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t n = 1;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            size_t v = fm->terms[t].vars[i];
            size_t c = 1;
            if (f->vars[v].factor)
                c = lr_levels_count(f->vars[v].levels) - (dummy[t * nv + v] ? 0 : 1);
            else if (fm->vars[v].kind == LR_VAR_POLY)
                c = (size_t)fm->vars[v].degree;
            if (lr_mul_overflows(n, c, &n))
                n = SIZE_MAX;
        }
        if (n == SIZE_MAX || q > SIZE_MAX / 2 - n) {
            lr_mem_free(dummy, cells);
            return lr_error_set(err, LR_ERANGE, "model too large");
        }
        q += n;
    }
    lr_mem_free(f->macc, f->mq * sizeof(size_t));
    lr_mem_free(f->mnames, f->mq * sizeof(char *));
    lr_mem_free(f->mterm, (f->mq ? f->mq : 1) * sizeof(size_t));
    lr_mem_free(f->mchoice, (f->mq ? f->mq : 1) * (f->mwidth ? f->mwidth : 1) * sizeof(uint32_t));
    lr_arena_free(&f->names_arena);
    size_t width = 1;
    for (size_t t = 0; t < nt; t++)
        if (fm->terms[t].n > width)
            width = fm->terms[t].n;
    f->mq = q;
    f->mwidth = width;
    f->macc = lr_mem_calloc(q ? q : 1, sizeof(size_t));
    f->mnames = lr_mem_calloc(q ? q : 1, sizeof(char *));
    f->mterm = lr_mem_calloc(q ? q : 1, sizeof(size_t));
    f->mchoice = lr_mem_calloc((q ? q : 1) * width, sizeof(uint32_t));
    if (!f->macc || !f->mnames || !f->mterm || !f->mchoice) {
        lr_mem_free(dummy, cells);
        return lr_error_nomem(err);
    }

    /* Enumerate: within a term the first variable varies fastest. */
    size_t m = 0;
    size_t digit[66], radix[66];
    uint32_t key[66];
    for (size_t t = 0; t < nt; t++) {
        const lr_term *tm = &fm->terms[t];
        const term_info *ti = &f->terms[t];
        if (tm->n > 64) {
            lr_mem_free(dummy, cells);
            return lr_error_set(err, LR_ERANGE, "a term interacts more than 64 variables");
        }
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            digit[i] = 0;
            radix[i] = 1;
            if (f->vars[v].factor)
                radix[i] = lr_levels_count(f->vars[v].levels) - (dummy[t * nv + v] ? 0 : 1);
            else if (fm->vars[v].kind == LR_VAR_POLY)
                radix[i] = (size_t)fm->vars[v].degree;
        }
        for (;;) {
            /* name and accumulator column of this combination */
            char name[LR_ERROR_MAX];
            size_t nl = 0, combo = 0, mult = 1, w = 0;
            key[w++] = (uint32_t)t + 1;
            for (size_t i = 0; i < tm->n; i++) {
                size_t v = tm->vars[i];
                const char *suffix = "";
                char num[24], ilabel[LR_ERROR_MAX];
                if (f->vars[v].factor) {
                    size_t rank = digit[i] + (dummy[t * nv + v] ? 0 : 1);
                    uint32_t id = lr_levels_id_at(f->vars[v].levels, rank);
                    suffix = lr_levels_label(f->vars[v].levels, id);
                    if (fm->vars[v].icols) { /* interaction(a, b): "a.b" */
                        lr_interaction_label(&fm->vars[v], suffix,
                                             lr_levels_length(f->vars[v].levels, id), ilabel,
                                             sizeof ilabel);
                        suffix = ilabel;
                    }
                    if (fm->vars[v].contrast == LR_CONTR_TREATMENT_FN && !dummy[t * nv + v]) {
                        /* R: contr.treatment(K)'s columns are named 2..K */
                        snprintf(num, sizeof num, "%zu", rank + 1);
                        suffix = num;
                    }
                    key[w++] = id;
                    f->mchoice[m * width + i] = id;
                } else if (fm->vars[v].kind == LR_VAR_POLY) {
                    f->mchoice[m * width + i] = (uint32_t)(digit[i] + 1);
                    snprintf(num, sizeof num, "%zu", digit[i] + 1);
                    /* R: a one-column matrix's name alone, but contrasts are numbered */
                    if (fm->vars[v].degree == 1 && !fm->vars[v].codes)
                        num[0] = '\0';
                    suffix = num;
                    combo += digit[i] * mult;
                    mult *= radix[i];
                } else if (fm->vars[v].logical) {
                    suffix = "TRUE"; /* R: the TRUE level of a logical's treatment coding */
                }
                int k = snprintf(name + nl, sizeof name - nl, "%s%s%s", i ? ":" : "",
                                 fm->vars[v].label, suffix);
                if (k > 0)
                    nl += (size_t)k < sizeof name - nl ? (size_t)k : sizeof name - nl - 1;
            }
            while (w < f->map.width - 1)
                key[w++] = 0;
            key[w] = (uint32_t)combo;
            f->macc[m] = ti->nf == 0 ? ti->first_col + combo : lr_cell_map_get(&f->map, key);
            f->mterm[m] = t;
            f->mnames[m] = lr_arena_strndup(&f->names_arena, name, nl);
            if (!f->mnames[m]) {
                lr_mem_free(dummy, cells);
                return lr_error_nomem(err);
            }
            m++;
            /* next combination */
            size_t i = 0;
            while (i < tm->n && ++digit[i] == radix[i])
                digit[i++] = 0;
            if (i == tm->n)
                break;
        }
    }
    lr_mem_free(dummy, cells);
    /* Term labels for the term-wise tables (ANOVA, VIF): the variables' labels
     * joined by ':', as R's attr(terms, "term.labels"). */
    char **labels = lr_arena_alloc(&f->names_arena, (nt ? nt : 1) * sizeof(char *));
    if (!labels)
        return lr_error_nomem(err);
    for (size_t t = 0; t < nt; t++) {
        char label[LR_ERROR_MAX];
        size_t nl = 0;
        for (size_t i = 0; i < fm->terms[t].n; i++) {
            int k = snprintf(label + nl, sizeof label - nl, "%s%s", i ? ":" : "",
                             fm->vars[fm->terms[t].vars[i]].label);
            if (k > 0)
                nl += (size_t)k < sizeof label - nl ? (size_t)k : sizeof label - nl - 1;
        }
        if (!(labels[t] = lr_arena_strndup(&f->names_arena, label, nl)))
            return lr_error_nomem(err);
    }
    out->nterms = nt;
    out->term = f->mterm;
    out->term_labels = (const char *const *)labels;
    out->q = q;
    out->acc_col = f->macc;
    out->names = (const char *const *)f->mnames;
    out->intercept = fm->intercept;
    out->response = fm->vars[0].label;
    out->formula = fm->text;
    return LR_OK;
}

/* ------------------------------------------------------------------------ */
/* A row in the model's own columns (second passes, prediction)             */
/* ------------------------------------------------------------------------ */

int lr_frame_keep_rows(lr_frame *f, int with_lines)
{
    f->rows_lines |= with_lines != 0;
    if (f->rows_wanted)
        return 1;
    f->rows_fd = lr_row_spool_create();
    f->rows_wanted = f->rows_fd >= 0;
    return f->rows_wanted;
}

int lr_frame_rows_as_eval(const lr_frame *f)
{
    /* build_row multiplies a term's plain values first, then its poly
     * columns; lr_frame_eval_row multiplies them in the term's order (a
     * factor's 1 or 0 between them is exact). Two operands commute exactly;
     * from three on, a plain value after a poly column rounds differently. */
    const lr_formula *fm = f->formula;
    for (size_t t = 0; t < fm->nterms; t++) {
        const lr_term *tm = &fm->terms[t];
        size_t n = 0;
        int poly = 0, after = 0;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (f->vars[v].factor)
                continue;
            n++;
            if (fm->vars[v].kind == LR_VAR_POLY)
                poly = 1;
            else
                after |= poly;
        }
        if (after && n > 2)
            return 0;
    }
    return 1;
}

size_t lr_frame_key_cols(const lr_frame *f, const size_t **cols)
{
    *cols = f->kcol;
    return f->rows_wanted ? f->nkey : 0;
}

int lr_frame_rows_fd(const lr_frame *f)
{
    return f->rows_wanted && !f->rows_failed ? f->rows_fd : -1;
}

void lr_frame_set_delimiter(lr_frame *f, char delim)
{
    f->delim = delim;
}

int lr_frame_header_numeric(const lr_frame *f)
{
    return f->header_numeric;
}

size_t lr_frame_ncols(const lr_frame *f)
{
    return f->ncsv;
}

int lr_frame_eval_row(const lr_frame *f, double *colval, const lr_csv_row *row, double *x,
                      double *y, double *w, int *use, lr_error *err)
{
    const lr_formula *fm = f->formula;
    *use = 0;
    if (row->nfields != f->ncsv)
        return ragged_row(f, row, err);
    for (size_t u = 0; u < f->nused; u++) {
        size_t j = f->used[u];
        const lr_csv_field *fl = &row->fields[j];
        double v = 0;
        char q[96];
        lr_cell_kind kind = lr_cell_classify(&f->nas, f->cols[j].text && !f->cols[j].logical,
                                             fl->data, fl->len, &v);
        if (kind == LR_CELL_MISSING)
            return LR_OK; /* omitted, as in the fit (or NA, for a prediction) */
        if (f->cols[j].text)
            continue; /* a factor's level: looked up below from the field */
        if (kind != LR_CELL_NUMBER) {
            lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
            return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                               kind == LR_CELL_OVERFLOW
                                   ? "column '%s': \"%s\" is out of the range of a double"
                                   : "column '%s': expected a number, got \"%s\"",
                               f->colnames[j], q);
        }
        colval[j] = v;
    }
    if (f->ncl && cluster_missing(f, row))
        return LR_OK; /* omitted, as in the fit */
    /* variables: values and levels (levels must be known: no new ones now) */
    uint32_t levelbuf[64];
    double valbuf[64];
    uint32_t *level = fm->nvars <= 64 ? levelbuf : NULL;
    double *value = fm->nvars <= 64 ? valbuf : NULL;
    if (!level)
        return lr_error_set(err, LR_ERANGE, "more than 64 variables in a formula");
    for (size_t v = 0; v < fm->nvars; v++) {
        const lr_var *xv = &fm->vars[v];
        if (f->vars[v].factor || xv->codes) { /* C(g, sum) codes its level's rank */
            const lr_csv_field *cf = &row->fields[xv->col];
            const char *lg = f->cols[xv->col].logical ? lr_logical_label(cf->data, cf->len) : NULL;
            if (!lr_frame_level_listed(xv, lg ? lg : cf->data, lg ? strlen(lg) : cf->len, colval[xv->col],
                              !f->cols[xv->col].text))
                return LR_OK; /* NA (*use is 0): not among factor(x, levels = )'s */
            char joined[LR_INTERACTION_MAX];
            size_t jn = 0;
            if (xv->icols) { /* interaction(a, b): its parts joined */
                int rc = lr_interaction_join(f, xv, row, colval, joined, sizeof joined, &jn, err);
                if (rc)
                    return rc;
            }
            if (xv->logical) { /* I(x > 5): NA (NaN) makes the row NA */
                double lv = lr_node_eval(xv->expr, colval);
                if (isnan(lv))
                    return LR_OK;
                jn = lv != 0 ? 4 : 5;
                memcpy(joined, lv != 0 ? "TRUE" : "FALSE", jn);
            }
            int found = xv->icols || xv->logical
                            ? lr_levels_find_text(f->vars[v].levels, joined, jn, &level[v])
                        : lg ? lr_levels_find_text(f->vars[v].levels, lg, strlen(lg), &level[v])
                        : f->cols[xv->col].text
                            ? lr_levels_find_cell(f->vars[v].levels, cf->data, cf->len, &level[v])
                            : lr_levels_find_number(f->vars[v].levels, colval[xv->col], &level[v]);
            if (found != 0) {
                const lr_csv_field *fl = &row->fields[xv->col];
                char q[96];
                if (xv->icols || xv->logical)
                    lr_interaction_label(xv, joined, jn, q, sizeof q);
                else
                    lr_error_quote(q, sizeof q, fl->data, fl->len, 60);
                return lr_error_at(err, LR_EDATA, f->source, fl->line, fl->col,
                                   "%s: level \"%s\" was not seen when the model was fitted",
                                   xv->label, q);
            }
            value[v] = level[v];
            continue;
        }
        const char *why = NULL;
        value[v] = eval_checked(xv->expr, colval, &why);
        if (!isfinite(value[v])) {
            *use = -1; /* a prediction writes NA for the row (R: -Inf or NaN, a warning) */
            return nonfinite_error(f, row, xv, value[v], why, err);
        }
    }
    *y = fm->offset ? value[0] - value[fm->offset] : value[0];
    *w = f->wcol != SIZE_MAX ? colval[f->wcol] : 1.0;
    if (*w < 0) {
        const lr_csv_field *fl = &row->fields[f->wcol];
        return lr_error_at(err, LR_EVALUE, f->source, fl->line, fl->col,
                           "column '%s': weight %g is negative", f->colnames[f->wcol], *w);
    }
    for (size_t c = 0; c < f->mq; c++) {
        const lr_term *tm = &fm->terms[f->mterm[c]];
        const uint32_t *choice = &f->mchoice[c * f->mwidth];
        double p = 1;
        for (size_t i = 0; i < tm->n; i++) {
            size_t v = tm->vars[i];
            if (f->vars[v].factor)
                p *= level[v] == choice[i] ? 1.0 : 0.0;
            else if (fm->vars[v].kind == LR_VAR_POLY)
                p *= lr_var_column(&fm->vars[v], value[v], choice[i]);
            else
                p *= value[v];
        }
        x[c] = p;
    }
    *use = 1;
    return LR_OK;
}
