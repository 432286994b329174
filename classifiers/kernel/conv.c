/* The conv block over a post's word vectors: its logit and each word's share of it. */
#include "kernel.h"

/* The conv block's tables, checked against each other: see conv_logit. */
typedef struct {
    Py_buffer fused, layout, out;
    const float *table;
    const int64_t *span; /* lo, hi, first pooled column, for each offset */
    int64_t offsets;
    Py_ssize_t rows, width, columns;
} ConvTables;

static void
conv_release(ConvTables *t, int held)
{
    if (held >= 3)
        PyBuffer_Release(&t->out);
    if (held >= 2)
        PyBuffer_Release(&t->layout);
    if (held >= 1)
        PyBuffer_Release(&t->fused);
}

static int
conv_tables(ConvTables *t, PyObject *fused, PyObject *layout, PyObject *out)
{
    if (hk_buffer(fused, &t->fused, 'f', 0, "fused") < 0)
        return -1;
    if (hk_buffer(layout, &t->layout, 'q', 0, "layout") < 0) {
        conv_release(t, 1);
        return -1;
    }
    if (hk_buffer(out, &t->out, 'd', 0, "out") < 0) {
        conv_release(t, 2);
        return -1;
    }
    const int64_t *l = t->layout.buf;
    Py_ssize_t n_layout = t->layout.len / 8;
    t->columns = t->out.len / 8;
    if (n_layout < 4 || l[0] < 1 || n_layout != 1 + 3 * l[0] || t->fused.ndim != 2
        || l[3] != 0 || l[2] - l[1] != t->columns) {
        PyErr_SetString(PyExc_ValueError, "conv block: layout does not fit the tables");
        conv_release(t, 3);
        return -1;
    }
    t->offsets = l[0];
    t->span = l + 1;
    t->rows = t->fused.shape[0];
    t->width = t->fused.shape[1];
    for (int64_t j = 0; j < t->offsets; j++) {
        int64_t lo = t->span[3 * j], hi = t->span[3 * j + 1], from = t->span[3 * j + 2];
        if (lo < 0 || hi > t->width || from < 0 || hi - lo != t->columns - from) {
            PyErr_SetString(PyExc_ValueError, "conv block: an offset's columns do not fit");
            conv_release(t, 3);
            return -1;
        }
    }
    t->table = t->fused.buf;
    return 0;
}

/* The table rows of a post's first n word ids, checked; NULL with an exception set. */
static Py_ssize_t *
conv_rows(const ConvTables *t, PyObject *seq, Py_ssize_t n)
{
    Py_ssize_t *row_of = PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
    if (row_of == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t id = hk_index(PyTuple_GET_ITEM(seq, i));
        if (id == -1 && PyErr_Occurred()) {
            PyMem_Free(row_of);
            return NULL;
        }
        if (id < 0 || id >= t->rows) {
            PyErr_Format(PyExc_ValueError, "conv block: word id %zd beyond its table (%zd)",
                         id, t->rows);
            PyMem_Free(row_of);
            return NULL;
        }
        row_of[i] = id;
    }
    return row_of;
}

/* Each pooled column's strongest window over the post (best, before the ReLU) and where it
 * starts (at). Window values are summed in float32, offset by offset, as numpy does; a
 * window running past the post's end is -inf; ties keep the first window (numpy's argmax). */
static void
conv_pool(const ConvTables *t, const Py_ssize_t *row_of, Py_ssize_t n, float *best,
          Py_ssize_t *at, float *act)
{
    const int64_t *span = t->span;
    for (Py_ssize_t c = 0; c < t->columns; c++) {
        best[c] = -INFINITY;
        at[c] = 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const float *restrict first = t->table + row_of[i] * t->width + span[0];
        for (Py_ssize_t c = 0; c < t->columns; c++)
            act[c] = first[c];
        for (int64_t j = 1; j < t->offsets; j++) {
            int64_t lo = span[3 * j], from = span[3 * j + 2];
            if (i + j >= n) {
                for (Py_ssize_t c = from; c < t->columns; c++)
                    act[c] = -INFINITY;
                continue;
            }
            const float *restrict part = t->table + row_of[i + j] * t->width + lo - from;
            for (Py_ssize_t c = from; c < t->columns; c++)
                act[c] += part[c];
        }
        for (Py_ssize_t c = 0; c < t->columns; c++) {
            if (act[c] > best[c]) {
                best[c] = act[c];
                at[c] = i;
            }
        }
    }
}

/* conv_logit(ids, fused, layout, out, out_bias, max_tokens)
 *
 * The conv block's logit for one post (ConvBlock.logit). fused: float32 (table rows,
 * columns); layout: int64 [offsets, then per offset j: lo, hi, first pooled column]; out:
 * float64 output weights, one per pooled column (the columns of offset 0). Each column's
 * strongest window (conv_pool), after the ReLU, feeds the output layer.
 *
 * conv_shares(ids, fused, layout, out, weight, max_tokens)
 *
 * Each word id's share of weight * (logit - out_bias) (ConvBlock.token_shares): a column's
 * part is split evenly between the words of its strongest window; ids past max_tokens get 0.
 */
static PyObject *
conv_run(PyObject *const *args, Py_ssize_t nargs, int shares)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "conv_logit and conv_shares take 6 arguments");
        return NULL;
    }
    double scalar = PyFloat_AsDouble(args[4]); /* out_bias, or the shares' weight */
    Py_ssize_t max_tokens = PyLong_AsSsize_t(args[5]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *seq = hk_tuple(args[0], "conv block: ids");
    if (seq == NULL)
        return NULL;
    Py_ssize_t total = PyTuple_GET_SIZE(seq);
    Py_ssize_t n = total < max_tokens ? total : max_tokens;
    PyObject *result = NULL;
    ConvTables t;
    if (conv_tables(&t, args[1], args[2], args[3]) < 0)
        goto release_seq;
    double *out_shares = NULL;
    float *best = NULL, *act = NULL;
    Py_ssize_t *at = NULL, *row_of = NULL;
    if (shares && (out_shares = PyMem_Calloc((size_t)(total ? total : 1), sizeof(double))) == NULL) {
        PyErr_NoMemory();
        goto release_tables;
    }
    if (n > 0) {
        best = PyMem_Malloc((size_t)t.columns * sizeof(float));
        act = PyMem_Malloc((size_t)t.columns * sizeof(float));
        at = PyMem_Malloc((size_t)t.columns * sizeof(Py_ssize_t));
        if (best == NULL || act == NULL || at == NULL) {
            PyErr_NoMemory();
            goto free_all;
        }
        if ((row_of = conv_rows(&t, seq, n)) == NULL)
            goto free_all;
        conv_pool(&t, row_of, n, best, at, act);
    }
    const double *out = t.out.buf;
    if (!shares) {
        double logit = 0.0;
        for (Py_ssize_t c = 0; n > 0 && c < t.columns; c++)
            if (best[c] > 0.0f)
                logit += (double)best[c] * out[c];
        result = PyFloat_FromDouble(logit + scalar);
        goto free_all;
    }
    for (Py_ssize_t c = 0; n > 0 && c < t.columns; c++) {
        int64_t wide = 0; /* this column's window width: the offsets that reach it */
        for (int64_t j = 0; j < t.offsets; j++)
            wide += c >= t.span[3 * j + 2];
        double top = best[c] > 0.0f ? (double)best[c] : 0.0;
        double value = top * out[c] * scalar / (double)wide;
        for (int64_t j = 0; j < wide && at[c] + j < n; j++)
            out_shares[at[c] + j] += value;
    }
    result = hk_float_list(out_shares, total);
free_all:
    PyMem_Free(row_of);
    PyMem_Free(best);
    PyMem_Free(act);
    PyMem_Free(at);
    PyMem_Free(out_shares);
release_tables:
    conv_release(&t, 3);
release_seq:
    Py_DECREF(seq);
    return result;
}

PyObject *
hk_conv_logit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return conv_run(args, nargs, 0);
}

PyObject *
hk_conv_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return conv_run(args, nargs, 1);
}
