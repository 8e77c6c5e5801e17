/*
 * json_text.c — strings of the data in JSON: {"latin1": ...} for bytes that
 * are not UTF-8 (json_text.h).
 */
#include <string.h>

#include <jansson.h>

#include "json_text.h"

void *lr_json_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    char *u = lr_mem_alloc(2 * n + 1);
    if (!u)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            u[k++] = (char)b;
        } else {
            u[k++] = (char)(0xc0 | (b >> 6));
            u[k++] = (char)(0x80 | (b & 0x3f));
        }
    }
    j = json_stringn(u, k);
    lr_mem_free(u, 2 * n + 1);
    return j ? json_pack("{s:o}", "latin1", j) : NULL;
}

static int restore(json_t *v);

static int latin1_value(json_t *v, json_t **out)
{
    *out = NULL;
    json_t *l = json_object_get(v, "latin1");
    if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_string(l))
        return restore(v);
    const unsigned char *u = (const unsigned char *)json_string_value(l);
    size_t n = json_string_length(l), k = 0;
    char *b = lr_mem_alloc(n + 1);
    if (!b)
        return -2;
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x80) {
            b[k++] = (char)u[i];
        } else if ((u[i] == 0xc2 || u[i] == 0xc3) && i + 1 < n) {
            b[k++] = (char)(((u[i] & 0x03) << 6) | (u[i + 1] & 0x3f));
            i++;
        } else {
            lr_mem_free(b, n + 1);
            return -1;
        }
    }
    *out = json_stringn_nocheck(b, k);
    lr_mem_free(b, n + 1);
    return *out ? 0 : -2;
}

static int restore(json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *r;
            int rc = latin1_value(json_array_get(v, i), &r);
            if (rc)
                return rc;
            if (r && json_array_set_new(v, i, r))
                return -2;
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
        {
            json_t *r;
            int rc = latin1_value(e, &r);
            if (rc)
                return rc;
            if (r && json_object_set_new(v, key, r))
                return -2;
        }
    }
    return 0;
}

int lr_json_restore_bytes(void *v)
{
    return restore((json_t *)v);
}

int lr_json_is_utf8(const char *s)
{
    json_t *j = json_string(s);
    int ok = j != NULL;
    json_decref(j);
    return ok;
}
