/*
 * fixed_effects.c — the fixed-effects spool: which factors are absorbed, the
 * rows kept with their level ids, singletons, the dummies' rank, and the
 * demeaned statistics (the demeaning itself is fe_demean.c).
 *
 * The spool is two unlinked temporary files of fixed-size blocks of
 * LR_FE_BLOCK rows (the last one padded): one with the level ids (uint32,
 * factor by factor) and the weights, read by every sweep of the demeaning;
 * one with the model columns (response first), each centred by the first
 * pass's mean (the slopes do not change, and the demeaning then works on
 * values of the size of their spread, not of their level), read twice.
 *
 * The residual degrees of freedom are those of lm with the dummies:
 *   n − rank(X̃) − rank(D),  rank(D) = Σ L_f − redundancies,
 * where D = [D_1 ... D_F] (with lm's intercept among them). One factor:
 * rank L_1. Two: L_1 + L_2 − C, C the connected components of the bipartite
 * graph whose edges are the (level_1, level_2) pairs of the rows (each
 * component carries one free constant: add it to one factor's levels and
 * subtract it from the other's). More: each further factor's dummies also
 * sum to the intercept, one more redundancy each — the count lfe uses; other
 * coincidences among three or more factors are not searched for.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "factor_levels.h"
#include "fixed_effects_impl.h"
#include "note_list.h"
#include "row_spool.h"
#include "temp_file.h"

/* ---- parsing ---- */

static int add_name(lr_fe_spec *s, const char *b, const char *e, lr_error *err)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (b < e && *b == '`' && e[-1] == '`' && e - b >= 2) {
        b++;
        e--;
    }
    size_t len = (size_t)(e - b);
    if (len == 0)
        return lr_error_set(err, LR_EUSAGE,
                            "an empty fixed-effect name (after '|' or in "
                            "--absorb)");
    for (size_t i = 0; i < s->nf; i++)
        if (strlen(s->names[i]) == len && !memcmp(s->names[i], b, len))
            return lr_error_set(err, LR_EUSAGE, "fixed effect '%.*s' named twice", (int)len, b);
    if (s->nf == LR_FE_MAX)
        return lr_error_set(err, LR_EUSAGE, "more than %d fixed-effect factors", LR_FE_MAX);
    char *nm = lr_mem_alloc(len + 1);
    if (!nm)
        return lr_error_nomem(err);
    memcpy(nm, b, len);
    nm[len] = '\0';
    s->names[s->nf++] = nm;
    return LR_OK;
}

/* Names separated by `sep` in [b, e). */
static int add_list(lr_fe_spec *s, const char *b, const char *e, char sep, lr_error *err)
{
    for (;;) {
        const char *q = b;
        while (q < e && *q != sep)
            q++;
        int rc = add_name(s, b, q, err);
        if (rc || q == e)
            return rc;
        b = q + 1;
    }
}

int lr_fe_parse(const lr_fit_options *opt, lr_fe_spec *out, lr_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = LR_OK;
    if (opt->formula) {
        /* the first `|` outside parentheses and backquotes */
        const char *f = opt->formula, *bar = NULL;
        int depth = 0, quoted = 0;
        for (const char *s = f; *s && !bar; s++) {
            if (*s == '`')
                quoted = !quoted;
            else if (!quoted && *s == '(')
                depth++;
            else if (!quoted && *s == ')')
                depth--;
            else if (!quoted && depth == 0 && *s == '|')
                bar = s;
        }
        size_t llen = bar ? (size_t)(bar - f) : strlen(f);
        while (bar && llen > 0 && (f[llen - 1] == ' ' || f[llen - 1] == '\t'))
            llen--;
        if (!(out->left = lr_mem_alloc(llen + 1)))
            return lr_error_nomem(err);
        memcpy(out->left, f, llen);
        out->left[llen] = '\0';
        if (bar && (rc = add_list(out, bar + 1, bar + strlen(bar), '+', err)))
            goto fail;
    }
    if (opt->absorb &&
        (rc = add_list(out, opt->absorb, opt->absorb + strlen(opt->absorb), ',', err)))
        goto fail;
    return LR_OK;
fail:
    lr_fe_spec_free(out);
    return rc;
}

void lr_fe_spec_free(lr_fe_spec *s)
{
    if (s->left)
        lr_mem_strfree(s->left);
    for (size_t i = 0; i < s->nf; i++)
        lr_mem_strfree(s->names[i]);
    memset(s, 0, sizeof *s);
}

int lr_fe_every_other(const lr_fit_options *opt, const lr_fe_spec *spec, char **out, lr_error *err)
{
    *out = NULL;
    if (!opt->target)
        return lr_error_set(err, LR_EUSAGE,
                            "--absorb needs the model: -f 'y ~ x | firm', -x, "
                            "or -y (then every other column but the fixed effects is a "
                            "predictor)");
    size_t n = strlen(opt->target) + 16;
    for (size_t f = 0; f < spec->nf; f++)
        n += strlen(spec->names[f]) + 8;
    char *s = lr_mem_alloc(n);
    if (!s)
        return lr_error_nomem(err);
    size_t o = (size_t)snprintf(s, n, "`%s` ~ .", opt->target);
    for (size_t f = 0; f < spec->nf; f++)
        o += (size_t)snprintf(s + o, n - o, " - `%s`", spec->names[f]);
    /* a string of the length lr_mem_strfree expects */
    *out = lr_mem_strdup(s);
    lr_mem_free(s, n);
    return *out ? LR_OK : lr_error_nomem(err);
}

int lr_fe_check_options(const lr_fit_options *opt, lr_error *err)
{
    const char *what = opt->ridge > 0             ? "--ridge"
                       : opt->vcov == LR_VCOV_HC2 ? "--vcov HC2 (it needs the leverages of "
                                                    "the dummies' model)"
                       : opt->vcov == LR_VCOV_HC3 ? "--vcov HC3 (it needs the leverages of "
                                                    "the dummies' model)"
                       : opt->residual_row        ? "--residuals"
                       : opt->plot_points > 0     ? "--plot"
                       : !opt->intercept          ? "--no-intercept (the fixed effects "
                                                    "contain one)"
                                                  : NULL;
    if (what)
        return lr_error_set(err, LR_EUSAGE, "%s is not available with absorbed fixed effects",
                            what);
    return LR_OK;
}

/* ---- the spool ---- */

int lr_fe_read_block(const lr_fe *fe, size_t b, int values, lr_error *err)
{
    size_t idb = fe->nf * LR_FE_BLOCK * sizeof(uint32_t), wb = LR_FE_BLOCK * sizeof(double);
    size_t valb = fe->m * LR_FE_BLOCK * sizeof(double);
    struct {
        int fd;
        char *buf;
        size_t len;
        off_t off;
    } part[3] = {{fe->idfd, (char *)fe->ids, idb, (off_t)(b * (idb + wb))},
                 {fe->idfd, (char *)fe->w, wb, (off_t)(b * (idb + wb) + idb)},
                 {fe->valfd, (char *)fe->x, valb, (off_t)(b * valb)}};
    for (int k = 0; k < 2 + (values != 0); k++) {
        size_t done = 0;
        off_t off = part[k].off;
        while (done < part[k].len) {
            ssize_t r =
                pread(part[k].fd, part[k].buf + done, part[k].len - done, off + (off_t)done);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return lr_error_set(err, LR_EIO,
                                    "the fixed-effects spool could not be read "
                                    "back (%s)",
                                    r < 0 ? strerror(errno) : "file short");
            done += (size_t)r;
        }
    }
    return LR_OK;
}

int lr_fe_flush_block(lr_fe *fe, lr_error *err)
{
    size_t idb = fe->nf * LR_FE_BLOCK * sizeof(uint32_t);
    if (lr_temp_write(fe->idfd, fe->ids, idb) ||
        lr_temp_write(fe->idfd, fe->w, LR_FE_BLOCK * sizeof(double)) ||
        lr_temp_write(fe->valfd, fe->x, fe->m * LR_FE_BLOCK * sizeof(double)))
        return lr_error_set(err, LR_EIO,
                            "the fixed-effects spool could not be written in "
                            "TMPDIR (%s)",
                            strerror(errno));
    fe->nblocks++;
    return LR_OK;
}

/* Header column of each fixed effect. */
static int find_columns(lr_fe *fe, const lr_csv_row *h, const lr_fe_spec *spec, const char *source,
                        lr_error *err)
{
    for (size_t f = 0; f < spec->nf; f++) {
        size_t j = 0;
        for (; j < h->nfields; j++) {
            const char *nm;
            size_t len;
            lr_frame_header_name(&h->fields[j], &nm, &len);
            if (len == strlen(spec->names[f]) && !memcmp(nm, spec->names[f], len))
                break;
        }
        if (j == h->nfields)
            return lr_error_set(err, LR_EUSAGE,
                                "%s: fixed effect '%s' is not a column of the "
                                "header",
                                source, spec->names[f]);
        fe->f[f].col = j;
        fe->f[f].name = spec->names[f];
    }
    return LR_OK;
}

int lr_fe_take_row(lr_fe *fe, const char *const *cell, const size_t *len, const lr_csv_row *row,
                   const double *xv, double y, double w, const char *source, int na_error,
                   lr_error *err)
{
    const double *mu = fe->mu;
    size_t nb = (size_t)(fe->nrows % LR_FE_BLOCK);
    for (size_t f = 0; f < fe->nf; f++) {
        /* the field, for the place of an error (the text's row; from the
         * row spool there is none: the text then reads the row again) */
        const lr_csv_field *fl = row ? &row->fields[fe->f[f].col] : NULL;
        double v;
        lr_cell_kind kind = lr_parse_cell(cell[f], len[f], &v);
        if (kind == LR_CELL_MISSING) {
            if (na_error && !fl)
                return LR_FE_TEXT;
            if (na_error)
                return lr_error_at(err, LR_EMISSING, source, fl->line, fl->col,
                                   "column '%s': missing fixed-effect level", fe->f[f].name);
            fe->dropped++;
            return LR_OK;
        }
        /* Levels are numbers when the first one is (2001 and 2001.0 are one
         * level, as read.csv reads the column), else text. */
        int rc = LR_OK;
        if (!fe->f[f].lv) {
            fe->f[f].numeric = kind == LR_CELL_NUMBER;
            rc = lr_levels_create(fe->f[f].numeric, &fe->f[f].lv, err);
        } else if (fe->f[f].numeric && kind != LR_CELL_NUMBER) {
            if (!fl)
                return LR_FE_TEXT;
            return lr_error_at(err, LR_EVALUE, source, fl->line, fl->col,
                               "column '%s': fixed-effect level \"%.*s\" is not a number, but "
                               "the column's first level was one (its levels are then numbers)",
                               fe->f[f].name, (int)(fl->len > 40 ? 40 : fl->len), fl->data);
        }
        uint32_t id;
        if (!rc)
            rc = fe->f[f].numeric ? lr_levels_intern_number(fe->f[f].lv, v, &id, err)
                                  : lr_levels_intern_text(fe->f[f].lv, cell[f], len[f], &id, err);
        if (rc)
            return rc;
        fe->ids[f * LR_FE_BLOCK + nb] = id;
    }
    fe->w[nb] = w;
    fe->x[nb] = y - mu[0];
    for (size_t j = 1; j < fe->m; j++)
        fe->x[j * LR_FE_BLOCK + nb] = xv[j - 1] - mu[j];
    fe->nrows++;
    if (fe->nrows % LR_FE_BLOCK == 0)
        return lr_fe_flush_block(fe, err);
    return LR_OK;
}

int lr_fe_rows_reset(lr_fe *fe, lr_error *err)
{
    for (size_t f = 0; f < fe->nf; f++) {
        lr_levels_free(fe->f[f].lv);
        fe->f[f].lv = NULL;
        fe->f[f].numeric = 0;
    }
    fe->nrows = 0;
    fe->nblocks = 0;
    fe->dropped = 0;
    if (ftruncate(fe->idfd, 0) || ftruncate(fe->valfd, 0) || lseek(fe->idfd, 0, SEEK_SET) < 0 ||
        lseek(fe->valfd, 0, SEEK_SET) < 0)
        return lr_error_set(err, LR_EIO, "the fixed-effects spool could not be emptied (%s)",
                            strerror(errno));
    return LR_OK;
}

/* The first pass's mean of each model column (response first): the centre. */
static void frame_means(const lr_frame *frame, const lr_model_columns *mc, double *mu)
{
    const double *fm = lr_accum_mean(lr_frame_accum(frame));
    mu[0] = fm[0];
    for (size_t j = 0; j < mc->q; j++)
        mu[j + 1] = mc->acc_col[j] == SIZE_MAX ? 0.0 : fm[mc->acc_col[j]];
}

/* A CSV reader over the input from its start (its descriptor or its copy). */
static int open_again(lr_source *input, const lr_csv_options *copt, lr_csv **csv, lr_error *err)
{
    lr_source *src = NULL;
    int rc = lr_source_again(input, &src, err);
    return rc ? rc : lr_csv_open_source(src, copt, csv, err);
}

static int build_spool(lr_fe *fe, lr_source *input, char delimiter, const lr_frame *frame,
                       const lr_model_columns *mc, const lr_fe_spec *spec,
                       const lr_fit_options *opt, lr_error *err)
{
    const char *source = lr_frame_source(frame);
    lr_csv_options copt = {delimiter, SIZE_MAX}; /* rows bounded by the first pass */
    lr_csv *csv = NULL;
    lr_csv_row row;
    int has = 0;
    double *colval = lr_mem_calloc(lr_frame_eval_scratch(frame), sizeof(double));
    double *xv = lr_mem_calloc(fe->m, sizeof(double));
    int rc = !colval || !xv ? lr_error_nomem(err) : LR_OK;
    if (!rc)
        rc = open_again(input, &copt, &csv, err);
    if (!rc && !(rc = lr_csv_next(csv, &row, &has, err)) && has)
        rc = find_columns(fe, &row, spec, source, err);
    if (!rc)
        frame_means(frame, mc, fe->mu);
    const uint64_t nrows = lr_frame_rows(frame);
    for (uint64_t nread = 0; !rc && has; nread++) {
        if (nread % 4096 == 0)
            lr_progress_send(opt->progress, opt->progress_ud, "fixed effects: reading", "rows",
                             nread, nrows, 0);
        if ((rc = lr_csv_next(csv, &row, &has, err)) || !has)
            break;
        double y = 0, w = 1;
        int use = 0;
        rc = lr_frame_eval_row(frame, colval, &row, xv, &y, &w, &use, err);
        if (rc == LR_EVALUE && use == -1) {
            rc = LR_OK; /* NaN (log(-1)): the fit omitted the row */
            continue;
        }
        if (rc)
            break;
        if (use && w > 0) {
            const char *cell[LR_FE_MAX];
            size_t len[LR_FE_MAX];
            for (size_t f = 0; f < fe->nf; f++) {
                cell[f] = row.fields[fe->f[f].col].data;
                len[f] = row.fields[fe->f[f].col].len;
            }
            rc = lr_fe_take_row(fe, cell, len, &row, xv, y, w, source,
                                opt->na_action == LR_NA_ERROR, err);
        }
    }
    if (!rc) /* the data did not change since the first pass */
        rc = lr_source_check(lr_csv_source(csv), err);
    lr_csv_free(csv);
    lr_mem_free(colval, lr_frame_eval_scratch(frame) * sizeof(double));
    lr_mem_free(xv, fe->m * sizeof(double));
    return rc;
}

/* The rows: from the first pass's row spool, which carries the factors'
 * cells (fe_rows.c), else from the text again — when the spool was given up
 * (no TMPDIR, past its size limits), or for a row with an error to report
 * at its place (a missing level with --na error, text in a numeric factor),
 * which the spool does not keep. */
static int read_rows(lr_fe *fe, lr_source *input, char delimiter, const lr_frame *frame,
                     const lr_model_columns *mc, const lr_fe_spec *spec, const lr_fit_options *opt,
                     lr_error *err)
{
    int again = 1, rc;
    frame_means(frame, mc, fe->mu);
    if ((rc = lr_fe_rows_spooled(fe, frame, mc, spec, opt, &again, err)))
        return rc;
    if (again) {
        const char *name = lr_frame_source(frame), *why = lr_source_again_why(input);
        if ((rc = lr_fe_rows_reset(fe, err)))
            return rc;
        if (why)
            return lr_error_set(err, LR_EIO,
                                "%s: absorbing fixed effects reads the data twice, "
                                "and %s %s; give a file instead of a pipe, or a writable TMPDIR",
                                name, name, why);
        rc = build_spool(fe, input, delimiter, frame, mc, spec, opt, err);
    }
    if (!rc && fe->nrows % LR_FE_BLOCK != 0)
        rc = lr_fe_flush_block(fe, err);
    return rc;
}

/* ---- singletons, level sums, components ---- */

/* Rows of block b, and whether row i of the block just read is alive (none
 * of its levels dropped). */
size_t lr_fe_block_rows(const lr_fe *fe, size_t b)
{
    uint64_t left = fe->nrows - (uint64_t)b * LR_FE_BLOCK;
    return left < LR_FE_BLOCK ? (size_t)left : LR_FE_BLOCK;
}

int lr_fe_load(lr_fe *fe, size_t b, int values, lr_error *err)
{
    int rc = lr_fe_read_block(fe, b, values, err);
    size_t nb = lr_fe_block_rows(fe, b);
    fe->nlive = 0;
    for (size_t i = 0; !rc && i < nb; i++)
        if (lr_fe_row_alive(fe, i))
            fe->live[fe->nlive++] = i;
    return rc;
}

int lr_fe_row_alive(const lr_fe *fe, size_t i)
{
    for (size_t f = 0; f < fe->nf; f++)
        if (fe->f[f].dead[fe->ids[f * LR_FE_BLOCK + i]])
            return 0;
    return 1;
}

/* Drop singletons as fixest and reghdfe do: a level with one observation
 * fits it exactly whatever the slopes (its own dummy), so it adds nothing but
 * a degree of freedom and a level; dropping its row can leave another
 * factor's level with one, so repeat until none is left. */
static int drop_singletons(lr_fe *fe, lr_error *err)
{
    int changed = 1, rc;
    while (changed) {
        changed = 0;
        for (size_t f = 0; f < fe->nf; f++)
            memset(fe->f[f].count, 0, fe->f[f].nlev * sizeof(uint32_t));
        for (size_t b = 0; b < fe->nblocks; b++) {
            if ((rc = lr_fe_load(fe, b, 0, err)))
                return rc;
            for (size_t k = 0; k < fe->nlive; k++)
                for (size_t f = 0; f < fe->nf; f++) {
                    uint32_t *c = &fe->f[f].count[fe->ids[f * LR_FE_BLOCK + fe->live[k]]];
                    *c += *c < 2;
                }
        }
        for (size_t f = 0; f < fe->nf; f++)
            for (size_t l = 0; l < fe->f[f].nlev; l++)
                if (fe->f[f].count[l] == 1 && !fe->f[f].dead[l]) {
                    fe->f[f].dead[l] = 1;
                    changed = 1;
                }
    }
    return LR_OK;
}

static uint32_t uf_find(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

/* Level sums of the alive rows, the response's total sum of squares about
 * its mean, and the components of the first two factors' level graph. */
static int level_sums(lr_fe *fe, lr_error *err)
{
    size_t m = fe->m, n0 = fe->f[0].nlev, n1 = fe->nf > 1 ? fe->f[1].nlev : 0;
    uint32_t *parent = lr_mem_alloc((n0 + n1 + 1) * sizeof(uint32_t));
    double sw = 0, sy = 0, syy = 0;
    int rc = parent ? LR_OK : lr_error_nomem(err);
    for (size_t a = 0; parent && a < n0 + n1; a++)
        parent[a] = (uint32_t)a;
    for (size_t b = 0; !rc && b < fe->nblocks; b++) {
        if ((rc = lr_fe_read_block(fe, b, 1, err)))
            break;
        size_t nb = lr_fe_block_rows(fe, b);
        for (size_t i = 0; i < nb; i++) {
            if (!lr_fe_row_alive(fe, i))
                continue;
            double w = fe->w[i], y = fe->x[i];
            sw += w;
            sy += w * y;
            syy += w * y * y;
            fe->nalive++;
            for (size_t c = 0; c < m; c++)
                fe->colss[c] += w * fe->x[c * LR_FE_BLOCK + i] * fe->x[c * LR_FE_BLOCK + i];
            for (size_t f = 0; f < fe->nf; f++) {
                uint32_t id = fe->ids[f * LR_FE_BLOCK + i];
                size_t o = fe->lev_off[f] + id;
                fe->wsum[o] += w;
                for (size_t c = 0; c < m; c++)
                    fe->sum[o * m + c] += w * fe->x[c * LR_FE_BLOCK + i];
            }
            if (fe->nf > 1) {
                uint32_t a = uf_find(parent, fe->ids[i]);
                uint32_t z = uf_find(parent, (uint32_t)n0 + fe->ids[LR_FE_BLOCK + i]);
                if (a != z)
                    parent[a] = z;
            }
        }
    }
    if (!rc) {
        /* y is centred by the first pass's mean: TSS = Σw y² − (Σw y)²/W is
         * the sum of squares about the mean without cancellation */
        fe->tss = sw > 0 ? syy - sy * sy / sw : 0;
        fe->wtotal = sw;
        size_t levels = 0, comps = 0;
        for (size_t f = 0; f < fe->nf; f++) {
            fe->f[f].used = 0;
            for (size_t l = 0; l < fe->f[f].nlev; l++)
                fe->f[f].used += fe->wsum[fe->lev_off[f] + l] > 0;
            levels += fe->f[f].used;
        }
        for (size_t a = 0; fe->nf > 1 && a < n0 + n1; a++) {
            size_t f = a < n0 ? 0 : 1, l = a < n0 ? a : a - n0;
            comps += fe->wsum[fe->lev_off[f] + l] > 0 && parent[a] == a;
        }
        fe->components = comps;
        fe->fe_rank = fe->nf == 1 ? levels : fe->f[0].used + fe->f[1].used - comps;
    }
    /* each level's component, numbered from 0 in the order of the levels, so
     * that a prediction can tell a pair of levels the fit does not link */
    if (!rc && fe->nf > 1 && !(fe->comp = lr_mem_alloc((n0 + n1 + 1) * sizeof(uint32_t))))
        rc = lr_error_nomem(err);
    if (!rc && fe->nf > 1) {
        fe->ncomp = n0 + n1;
        for (size_t a = 0; a < n0 + n1; a++)
            fe->comp[a] = uf_find(parent, (uint32_t)a);
        for (size_t a = 0; a < n0 + n1; a++)
            parent[a] = UINT32_MAX; /* now: a root's number */
        uint32_t next = 0;
        for (size_t a = 0; a < n0 + n1; a++) {
            uint32_t r = fe->comp[a];
            if (parent[r] == UINT32_MAX)
                parent[r] = next++;
            fe->comp[a] = parent[r];
        }
    }
    lr_mem_free(parent, (n0 + n1 + 1) * sizeof(uint32_t));
    return rc;
}

/* ---- the object ---- */

/* R's order of each factor's levels (for --fe-out; the ids stay as they are). */
static int sort_levels(lr_fe *fe, lr_error *err)
{
    int rc = LR_OK;
    for (size_t f = 0; f < fe->nf && !rc; f++)
        rc = lr_levels_sort(fe->f[f].lv, err);
    return rc;
}

static int alloc_levels(lr_fe *fe, lr_error *err)
{
    size_t total = 0;
    for (size_t f = 0; f < fe->nf; f++) {
        fe_factor *ff = &fe->f[f];
        ff->nlev = lr_levels_count(ff->lv);
        fe->lev_off[f] = total;
        total += ff->nlev;
        if (!(ff->count = lr_mem_calloc(ff->nlev + 1, sizeof(uint32_t))) ||
            !(ff->dead = lr_mem_calloc(ff->nlev + 1, 1)))
            return lr_error_nomem(err);
    }
    fe->nlevels = total;
    size_t cells;
    if (lr_mul_overflows(total + 1, fe->m, &cells) ||
        !(fe->wsum = lr_mem_calloc(total + 1, sizeof(double))) ||
        !(fe->sum = lr_mem_calloc(cells, sizeof(double))) ||
        !(fe->colss = lr_mem_calloc(fe->m, sizeof(double))))
        return lr_error_nomem(err);
    return LR_OK;
}

static int add_fe_note(lr_fe *fe, lr_error *err, const char *fmt, ...) LR_PRINTF(3, 4);

/* What was absorbed, and the rank that the degrees of freedom use. */
static int level_notes(lr_fe *fe, lr_error *err)
{
    char buf[LR_ERROR_MAX];
    size_t o = 0;
    for (size_t f = 0; f < fe->nf && o < sizeof buf; f++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s (%zu levels)", f ? ", " : "",
                              fe->f[f].name, fe->f[f].used);
    int rc = add_fe_note(fe, err, "fixed effects absorbed: %s; the dummies have rank %zu%s", buf,
                         fe->fe_rank,
                         fe->nf == 1   ? ""
                         : fe->nf == 2 ? " (their levels less their connected components)"
                                       : " (the first two factors' levels less their "
                                         "connected components, plus the rank each further "
                                         "one adds)");
    for (size_t f = 2; !rc && f < fe->nf; f++)
        rc = add_fe_note(fe, err, "%s adds rank %zu to the factors before it%s", fe->f[f].name,
                         fe->f[f].added,
                         fe->f[f].assumed ? " (not computed: too many levels; "
                                            "assumed its levels less one, as lfe does)"
                                          : "");
    if (!rc && fe->nf > 1)
        rc = add_fe_note(fe, err, "%s and %s form %zu connected component%s", fe->f[0].name,
                         fe->f[1].name, fe->components, fe->components == 1 ? "" : "s");
    if (!rc && fe->singletons)
        rc = add_fe_note(fe, err,
                         "%llu singleton observation%s dropped (a fixed-effect level "
                         "seen once fits its row exactly)",
                         (unsigned long long)fe->singletons, fe->singletons == 1 ? "" : "s");
    if (!rc && fe->dropped)
        rc = add_fe_note(fe, err, "%llu row%s omitted for a missing fixed-effect level",
                         (unsigned long long)fe->dropped, fe->dropped == 1 ? "" : "s");
    return rc;
}

int lr_fe_absorb(lr_source *input, char delimiter, const lr_frame *frame,
                 const lr_model_columns *mc, const lr_fe_spec *spec, const lr_fit_options *opt,
                 lr_kernel kernel, lr_fe **out, lr_error *err)
{
    *out = NULL;
    lr_fe *fe = lr_mem_calloc(1, sizeof *fe);
    if (!fe)
        return lr_error_nomem(err);
    fe->nf = spec->nf;
    fe->m = mc->q + 1;
    fe->weighted = opt->weights != NULL;
    fe->opt = opt;
    fe->idfd = lr_row_spool_create();
    fe->valfd = lr_row_spool_create();
    fe->ids = lr_mem_calloc(fe->nf * LR_FE_BLOCK, sizeof(uint32_t));
    fe->w = lr_mem_calloc(LR_FE_BLOCK, sizeof(double));
    fe->x = lr_mem_calloc(fe->m * LR_FE_BLOCK, sizeof(double));
    fe->mu = lr_mem_calloc(fe->m, sizeof(double));
    fe->live = lr_mem_calloc(LR_FE_BLOCK, sizeof(size_t));
    int rc = LR_OK;
    if (!fe->ids || !fe->w || !fe->x || !fe->mu || !fe->live)
        rc = lr_error_nomem(err);
    else if (fe->idfd < 0 || fe->valfd < 0)
        rc = lr_error_set(err, LR_EIO,
                          "no temporary file for the fixed-effects spool in "
                          "TMPDIR (or /tmp)");
    if (!rc && !(rc = read_rows(fe, input, delimiter, frame, mc, spec, opt, err)) && fe->nrows == 0)
        rc = lr_error_set(err, LR_EDATA, "%s: no rows with every fixed-effect level present",
                          lr_frame_source(frame));
    if (rc || (rc = sort_levels(fe, err)) || (rc = alloc_levels(fe, err)) ||
        (rc = drop_singletons(fe, err)) || (rc = level_sums(fe, err)))
        goto fail;
    fe->singletons = fe->nrows - fe->nalive;
    for (size_t f = 2; f < fe->nf; f++) {
        size_t r;
        int exact;
        if ((rc = lr_fe_further_rank(fe, f, opt->fe_tol > 0 ? opt->fe_tol : LR_FE_TOL,
                                     opt->fe_max_iter > 0 ? opt->fe_max_iter : LR_FE_MAX_ITER,
                                     lr_frame_source(frame), &r, &exact, err)))
            goto fail;
        fe->fe_rank += r;
        fe->f[f].added = r;
        fe->f[f].assumed = !exact;
    }
    if ((rc = level_notes(fe, err)))
        goto fail;
    if (fe->nalive == 0) {
        rc = lr_error_set(err, LR_EDATA,
                          "%s: no observations left after dropping %llu "
                          "singletons (every fixed-effect level is seen once)",
                          lr_frame_source(frame), (unsigned long long)fe->singletons);
        goto fail;
    }
    if ((rc = lr_fe_demean(fe, opt->fe_tol > 0 ? opt->fe_tol : LR_FE_TOL,
                           opt->fe_max_iter > 0 ? opt->fe_max_iter : LR_FE_MAX_ITER,
                           lr_frame_source(frame), err)) ||
        (rc = lr_fe_accumulate(fe, kernel, mc->names, err)))
        goto fail;
    *out = fe;
    return LR_OK;
fail:
    lr_fe_free(fe);
    return rc;
}

const lr_accum *lr_fe_accum(const lr_fe *fe)
{
    return fe->acc;
}
uint64_t lr_fe_dropped(const lr_fe *fe)
{
    return fe->dropped;
}
size_t lr_fe_nnotes(const lr_fe *fe)
{
    return fe->nnotes;
}
const char *lr_fe_note(const lr_fe *fe, size_t i)
{
    return fe->notes[i];
}

static int add_fe_note(lr_fe *fe, lr_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = lr_note_vappend(&fe->notes, &fe->nnotes, err, fmt, ap);
    va_end(ap);
    return rc;
}

int lr_fe_add_note(lr_fe *fe, lr_error *err, const char *msg)
{
    return add_fe_note(fe, err, "%s", msg);
}

void lr_fe_free(lr_fe *fe)
{
    if (!fe)
        return;
    if (fe->idfd >= 0)
        close(fe->idfd);
    if (fe->valfd >= 0)
        close(fe->valfd);
    for (size_t f = 0; f < fe->nf; f++) {
        lr_levels_free(fe->f[f].lv);
        lr_mem_free(fe->f[f].count, (fe->f[f].nlev + 1) * sizeof(uint32_t));
        lr_mem_free(fe->f[f].dead, fe->f[f].nlev + 1);
    }
    lr_fe_demean_free(fe);
    if (fe->comp)
        lr_mem_free(fe->comp, (fe->ncomp + 1) * sizeof(uint32_t));
    lr_mem_free(fe->wsum, (fe->nlevels + 1) * sizeof(double));
    lr_mem_free(fe->sum, (fe->nlevels + 1) * fe->m * sizeof(double));
    lr_mem_free(fe->colss, fe->m * sizeof(double));
    lr_mem_free(fe->mu, fe->m * sizeof(double));
    lr_mem_free(fe->live, LR_FE_BLOCK * sizeof(size_t));
    lr_mem_free(fe->ids, fe->nf * LR_FE_BLOCK * sizeof(uint32_t));
    lr_mem_free(fe->w, LR_FE_BLOCK * sizeof(double));
    lr_mem_free(fe->x, fe->m * LR_FE_BLOCK * sizeof(double));
    lr_accum_free(fe->acc);
    for (size_t i = 0; i < fe->nnotes; i++)
        lr_mem_strfree(fe->notes[i]);
    lr_mem_free(fe->notes, fe->nnotes * sizeof(char *));
    lr_mem_free(fe, sizeof *fe);
}
