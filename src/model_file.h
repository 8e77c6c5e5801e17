/*
 * model_file.h — saved models and prediction (internal part).
 */
#ifndef LR_MODEL_FILE_H
#define LR_MODEL_FILE_H

#include "model_frame.h"

/* The model file's content for a finished fit (a jansson object, opaque here).
 * frame: the fit's, after lr_frame_model; acc: its statistics. */
int lr_model_json_build(const lr_frame *f, const lr_fit *fit, const lr_accum *acc, void **out,
                        lr_error *err);
int lr_model_json_save(const void *j, const char *path, lr_error *err);
/* The same content written to an open output (not committed). */
int lr_model_json_write(const void *j, lr_output *o, lr_error *err);
void lr_model_json_free(void *j);
/* A string of the data (a name, a level) as the file holds it: a JSON string,
 * or {"latin1": ...} when not UTF-8 (a jansson value, NULL out of memory). */
void *lr_model_json_text(const char *s, size_t n);

/* lr_model_load on the bytes data[0..len) of a model file (borrowed; need not
 * be NUL-terminated), `name` standing for the file in messages: the same
 * checks and messages. Caller frees *out with lr_model_free. */
int lr_model_load_buffer(const char *data, size_t len, const char *name, lr_model **out,
                         lr_error *err);

/* The loaded file's content (a jansson object, borrowed: lives as long as m)
 * and *path its name for messages. */
const void *lr_model_json(const lr_model *m, const char **path);

#endif
