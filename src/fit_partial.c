/*
 * fit_partial.c — lr_fit_save_partial and lr_fit_merge: a fit split into
 * first passes over some files each (any scheduler runs them: xargs, Slurm
 * arrays, Spark's pipe) and a merge that prints what the fit of all the
 * files prints, bit for bit (docs/design.md, "Partial fits").
 */
#include <stdio.h>
#include <string.h>

#include "fit_frame.h"
#include "fixed_effects.h"
#include "ingest.h"
#include "options.h"
#include "partial_io.h"

/* What cannot be a part, refused before any reading; who: the option or
 * command that asks. */
static int refuse_unmergeable(const lr_fit_options *opt, const char *who, lr_error *err)
{
    lr_fe_spec fes;
    int rc = lr_fit_options_check(opt, err);
    if (rc || (rc = lr_fe_parse(opt, &fes, err)))
        return rc;
    size_t nf = fes.nf;
    lr_fe_spec_free(&fes);
    if (nf)
        return lr_error_set(err, LR_EUSAGE,
                            "%s: absorbed fixed effects cannot be "
                            "saved as partial fits (their demeaning reads every row)",
                            who);
    if (lr_ingest_may_need_bases(opt->formula))
        return lr_error_set(err, LR_EUSAGE,
                            "%s: poly(), scale(), ns() and bs() "
                            "cannot be saved as partial fits (their bases need every row)",
                            who);
    return LR_OK;
}

/* The first pass over paths[0..n) serialized into *bytes (caller frees with
 * lr_pbuf_free); sink may carry the types of an MPI rank after the first. */
static int part_bytes(const char *const *paths, size_t n, const lr_fit_options *opt,
                      lr_partial_sink *sink, lr_pbuf *bytes, lr_error *err)
{
    lr_frame *frame = NULL;
    lr_source *input = NULL;
    char delimiter = 0;
    int rc = lr_ingest_partial(paths, n, opt, 0, 0, sink, &frame, &delimiter, &input, err);
    const char **names = rc ? NULL : lr_mem_calloc(n, sizeof(char *));
    if (!rc && !names)
        rc = lr_error_nomem(err);
    for (size_t i = 0; !rc && i < n; i++)
        names[i] = lr_source_file_name(input, i);
    if (!rc)
        rc = lr_partial_serialize(sink, frame, opt, delimiter, names, n, bytes, err);
    lr_mem_free(names, n * sizeof(char *));
    lr_pbuf_free(&sink->header);
    lr_pbuf_free(&sink->files);
    lr_frame_free(frame);
    lr_source_free(input);
    return rc;
}

int lr_fit_save_partial(const char *const *paths, size_t n, const lr_fit_options *opt,
                        const char *part_path, lr_error *err)
{
    int rc = refuse_unmergeable(opt, "--save-partial", err);
    if (rc)
        return rc;
    lr_output *o = NULL;
    if ((rc = lr_output_open(part_path, &o, err)))
        return rc;
    lr_partial_sink sink;
    memset(&sink, 0, sizeof sink);
    lr_pbuf bytes = {0};
    rc = part_bytes(paths, n, opt, &sink, &bytes, err);
    if (!rc && fwrite(bytes.b, 1, bytes.n, lr_output_stream(o)) != bytes.n)
        rc = lr_error_set(err, LR_EIO, "%s: cannot write the partial fit", part_path);
    if (!rc)
        rc = lr_output_commit(o, err);
    else
        lr_output_discard(o);
    lr_pbuf_free(&bytes);
    return rc;
}

int lr_fit_part(const char *const *paths, size_t n, size_t lo, size_t hi, const lr_fit_options *opt,
                const char *who, lr_pbuf *bytes, lr_error *err)
{
    memset(bytes, 0, sizeof *bytes);
    if (lo >= hi || hi > n)
        return lr_error_set(err, LR_EUSAGE, "%s: files %zu to %zu of %zu", who, lo + 1, hi, n);
    int rc = refuse_unmergeable(opt, who, err);
    if (rc)
        return rc;
    lr_partial_sink sink;
    memset(&sink, 0, sizeof sink);
    sink.who = who;
    if (lo == 0)
        return part_bytes(paths, hi, opt, &sink, bytes, err);
    /* the first file's header row, then the files lo..hi-1, with the types
     * the first file's first chunk decides */
    unsigned char *types = NULL;
    size_t ntypes = 0;
    const char **list = lr_mem_calloc(hi - lo + 1, sizeof(char *));
    if (!list)
        return lr_error_nomem(err);
    list[0] = paths[0];
    for (size_t i = lo; i < hi; i++)
        list[i - lo + 1] = paths[i];
    rc = lr_ingest_first_types(paths[0], opt, &types, &ntypes, &sink.delimiter, err);
    sink.types = types;
    if (!rc)
        rc = part_bytes(list, hi - lo + 1, opt, &sink, bytes, err);
    lr_mem_free(types, ntypes ? ntypes : 1);
    lr_mem_free(list, (hi - lo + 1) * sizeof(char *));
    return rc;
}

/* The whole file at path into a part. */
/* The data files for the second passes: opened as the fit opens them, read
 * through once (each file's header checked against the first's, a stream
 * copied for the passes), and their header checked against the parts'. */
static int open_data(const char *const *data, size_t ndata, const lr_fit_options *opt,
                     const lr_frame *frame, lr_source **out, lr_error *err)
{
    lr_source *src = NULL;
    size_t max_line = opt->max_line_bytes ? opt->max_line_bytes : LR_MAX_LINE_DEFAULT;
    int rc = lr_source_open_files(data, ndata, max_line, UINT64_MAX, &src, err);
    char *buf = rc ? NULL : lr_mem_alloc(1 << 16);
    if (!rc && !buf)
        rc = lr_error_nomem(err);
    for (size_t got = 1; !rc && got > 0;)
        rc = lr_source_read(src, buf, 1 << 16, &got, err);
    lr_mem_free(buf, 1 << 16);
    if (!rc)
        rc = lr_source_check(src, err);
    /* the same columns as the parts' header, by the frame's names */
    lr_source *again = NULL;
    lr_csv *csv = NULL;
    lr_csv_options copt = {frame->delim, max_line};
    lr_csv_row row;
    int has = 0;
    if (!rc && !(rc = lr_source_again(src, &again, err))) {
        rc = lr_csv_open_source(again, &copt, &csv, err); /* taken over */
        again = NULL;
    }
    if (!rc && !(rc = lr_csv_next(csv, &row, &has, err))) {
        int same = has && row.nfields == lr_frame_ncols(frame);
        for (size_t j = 0; same && j < row.nfields; j++) {
            const char *nm;
            size_t n;
            lr_frame_header_name(&row.fields[j], &nm, &n);
            same = n == strlen(frame->colnames[j]) && !memcmp(nm, frame->colnames[j], n);
        }
        if (!same)
            rc = lr_error_set(err, LR_EUSAGE, "--data: %s does not have the parts' header row",
                              data[0]);
    }
    lr_csv_free(csv);
    lr_source_free(again);
    if (rc) {
        lr_source_free(src);
        return rc;
    }
    *out = src;
    return LR_OK;
}

int lr_fit_merge_parts(const lr_part_list *parts, const char *const *data, size_t ndata,
                       const lr_fit_options *opt, const struct lr_diag_share *share, lr_fit **out,
                       lr_error *err)
{
    lr_fit_options o = *opt;
    lr_frame *frame = NULL;
    lr_source *input = NULL;
    char delimiter = 0, *name = NULL;
    uint64_t nfiles = 0;
    int rc = lr_partial_frame(parts, &o, &frame, &delimiter, &name, &nfiles, err);
    if (!rc)
        rc = lr_fit_options_check(&o, err);
    if (!rc && ndata && ndata != nfiles)
        rc = lr_error_set(err, LR_EUSAGE,
                          "--data: %zu file%s given, but the parts cover %llu: "
                          "give the same files in the same order",
                          ndata, ndata == 1 ? "" : "s", (unsigned long long)nfiles);
    if (!rc && ndata)
        rc = open_data(data, ndata, &o, frame, &input, err);
    if (!rc) {
        rc = lr_fit_from_frame(frame, input, delimiter, &o, "the fit was merged from partial fits",
                               share, out, err);
        frame = NULL;
        input = NULL;
    }
    lr_frame_free(frame);
    lr_source_free(input);
    lr_mem_strfree(name);
    return rc;
}

int lr_fit_split_check(const lr_fit_options *opt, const char *who, lr_error *err)
{
    return refuse_unmergeable(opt, who, err);
}

int lr_fit_split_finish(lr_frame *frame, char delimiter, const char *const *paths, size_t n,
                        const lr_fit_options *opt, const struct lr_diag_share *share, lr_fit **out,
                        lr_error *err)
{
    lr_source *input = NULL;
    *out = NULL;
    int rc = open_data(paths, n, opt, frame, &input, err);
    if (rc) {
        lr_frame_free(frame);
        return rc;
    }
    return lr_fit_from_frame(frame, input, delimiter, opt, "the fit was split among MPI ranks",
                             share, out, err);
}

int lr_fit_merge(const char *const *parts, size_t nparts, const char *const *data, size_t ndata,
                 const lr_fit_options *opt, lr_fit **out, lr_error *err)
{
    *out = NULL;
    if (nparts == 0)
        return lr_error_set(err, LR_EUSAGE, "no partial fit to merge");
    /* the first part held throughout (the merged options point into it),
     * the others read one at a time as they are checked and folded */
    lr_part_list list = {nparts, NULL, NULL, parts};
    int rc = lr_partial_load(parts[0], &list.first, err);
    if (!rc)
        rc = lr_fit_merge_parts(&list, data, ndata, opt, NULL, out, err);
    lr_partial_free(list.first);
    return rc;
}
