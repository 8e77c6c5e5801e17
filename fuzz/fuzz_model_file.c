/*
 * fuzz_model_file.c — the saved-model reader (lr_model_load_buffer, which is
 * lr_model_load without the file) and prediction with what it accepts.
 *
 * Any bytes must either load or fail with LR_EDATA and a message naming the
 * file. A model that loads is used to predict (lr_predict_csv) on a fixed
 * data set whose columns are those of the seed models (iris, mtcars,
 * warpbreaks, cars, trees, ...), so a mutated model reaches the rebuilding of
 * its frame from the prediction formula, the factor levels, the coefficient
 * names and the arithmetic; that must succeed or fail with a message, and each
 * prediction must be consistent.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "model.h"

/* The new data: written once to a temporary file (lr_predict_csv reads a path). */
static const char newdata[] =
    "Sepal.Length,Sepal.Width,Petal.Length,Petal.Width,Species,mpg,cyl,wt,hp,am,breaks,wool,"
    "tension,speed,dist,Girth,Height,Volume,x,y,g\n"
    "5.1,3.5,1.4,0.2,setosa,21,6,2.62,110,1,26,A,L,4,2,8.3,70,10.3,1,2,a\n"
    "6.3,2.9,5.6,1.8,virginica,22.8,4,2.32,93,1,54,B,M,25,85,20.6,87,77,2.5,-1,b\n"
    "5.9,3,4.2,1.5,versicolor,14.3,8,3.57,245,0,17,A,H,12,20,11.4,76,21,-3,0.5,c\n"
    "NA,3.2,NA,0.3,setosa,NA,6,2.2,NA,0,NA,B,L,NA,10,NA,80,NA,NA,1,a\n"
    "4.4,2.2,1.1,0.1,setosa,33.9,4,1.513,52,1,10,B,H,7,4,8.8,63,10.2,0,0,b\n";

static char *data_path;

static void remove_data(void)
{
    if (data_path)
        unlink(data_path);
    free(data_path);
}

/* The data file's path, made at the first call. */
static const char *data_file(void)
{
    if (data_path)
        return data_path;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    if (!path)
        return NULL;
    snprintf(path, len, "%s/lr-fuzz-model-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t n = sizeof newdata - 1;
    int ok = write(fd, newdata, n) == (ssize_t)n;
    ok &= close(fd) == 0;
    if (!ok) {
        unlink(path);
        free(path);
        return NULL;
    }
    data_path = path;
    atexit(remove_data);
    return data_path;
}

typedef struct seen {
    uint64_t rows;      /* predictions received */
    uint64_t last_line; /* line of the last one */
} seen;

static void on_row(void *ud, const lr_prediction *p)
{
    seen *s = ud;
    FUZZ_CHECK(p->line >= 2 && p->line > s->last_line); /* after the header, in order */
    FUZZ_CHECK(p->ok == 0 || p->ok == 1);
    if (!p->ok)
        FUZZ_CHECK(isnan(p->fit) && isnan(p->se_fit) && isnan(p->lwr) && isnan(p->upr));
    s->last_line = p->line;
    s->rows++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = data_file();
    if (!path)
        return 0;
    lr_model *m = NULL;
    lr_error err;
    memset(&err, 0, sizeof err);
    int rc = lr_model_load_buffer((const char *)data, size, "fuzz.json", &m, &err);
    if (rc != LR_OK) {
        FUZZ_CHECK(m == NULL);
        FUZZ_CHECK(rc == LR_EDATA || rc == LR_ENOMEM);
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
        if (rc == LR_EDATA)
            FUZZ_CHECK(strncmp(err.message, "fuzz.json:", 10) == 0);
        return 0;
    }
    FUZZ_CHECK(m != NULL);
    FUZZ_CHECK(lr_model_ncoef(m) >= 1 && lr_model_rank(m) <= lr_model_ncoef(m));
    FUZZ_CHECK(lr_model_weighted(m) == 0 || lr_model_weighted(m) == 1);

    /* the interval kind from the input's length: each gets its share */
    lr_interval interval = (lr_interval)(size % 3);
    seen s = {0, 0};
    rc = lr_predict_csv(m, path, interval, 0.95, on_row, &s, &err);
    if (rc != LR_OK) {
        FUZZ_CHECK(rc > LR_OK && rc <= LR_ERANGE);
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
    } else {
        FUZZ_CHECK(s.rows == 5); /* every data row, missing values included */
    }
    lr_model_free(m);
    return 0;
}
