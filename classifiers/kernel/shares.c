/* Explanations: each chunk's share of the post's TF-IDF part (token_shares). */
#include "kernel.h"

static int
chunk_ids(PyObject *chunk, const int32_t **ids, Py_ssize_t *n, const int32_t **inner,
          Py_ssize_t *n_inner)
{
    if (!PyTuple_Check(chunk) || PyTuple_GET_SIZE(chunk) != N_FIELDS
        || !PyBytes_Check(PyTuple_GET_ITEM(chunk, F_MAIN))
        || !PyBytes_Check(PyTuple_GET_ITEM(chunk, F_INNER))) {
        PyErr_SetString(PyExc_TypeError, "token_shares: a chunk is not a chunk record");
        return -1;
    }
    PyObject *main = PyTuple_GET_ITEM(chunk, F_MAIN), *in = PyTuple_GET_ITEM(chunk, F_INNER);
    *ids = (const int32_t *)PyBytes_AS_STRING(main);
    *n = PyBytes_GET_SIZE(main) / 4;
    *inner = (const int32_t *)PyBytes_AS_STRING(in);
    *n_inner = PyBytes_GET_SIZE(in) / 4;
    return 0;
}

/* Each chunk's own features (its main, then inner) counted once per chunk: pass 0 counts
 * how many chunks hold each feature (counts), pass 1 adds up each chunk's shares. marks[f]
 * names the last chunk (and pass) that saw f. */
static void
share_pass(PyObject *chunks, Py_ssize_t n_chunks, int pass, int32_t *counts, int32_t *marks,
           const double *weights, double *shares)
{
    for (Py_ssize_t t = 0; t < n_chunks; t++) {
        const int32_t *own = NULL, *inner = NULL;
        Py_ssize_t n_own = 0, n_inner = 0;
        chunk_ids(PyTuple_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner);
        int32_t stamp = (int32_t)(pass * n_chunks + t + 1);
        double share = 0.0;
        for (Py_ssize_t k = 0; k < n_own + n_inner; k++) {
            int32_t f = k < n_own ? own[k] : inner[k - n_own];
            if (marks[f] == stamp)
                continue;
            marks[f] = stamp;
            if (pass == 0)
                counts[f]++;
            else if (counts[f] > 0)
                share += weights[f] / (double)counts[f];
        }
        if (shares != NULL)
            shares[t] = share;
    }
}

/* Zero scratch[f] for every feature of every chunk: leaves the scratch as it was given. */
static void
clear_chunk_features(PyObject *chunks, Py_ssize_t n_chunks, int32_t *scratch)
{
    for (Py_ssize_t t = 0; t < n_chunks; t++) {
        const int32_t *own = NULL, *inner = NULL;
        Py_ssize_t n_own = 0, n_inner = 0;
        chunk_ids(PyTuple_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner);
        for (Py_ssize_t k = 0; k < n_own + n_inner; k++)
            scratch[k < n_own ? own[k] : inner[k - n_own]] = 0;
    }
}

/* token_shares(main, chunks, idf_pairs, n_word, sublinear_word, sublinear_char, counts,
 *              weights, marks)
 *
 * Each chunk's share of the post's TF-IDF part (explanations): the post's features (main,
 * as tfidf_decision reads it) weigh tf * idf * coef / their block's norm; a chunk gets the
 * weight of each distinct feature of its own (its record's main and inner bytes), split
 * evenly between the chunks that hold it. counts and marks (int32) and weights (float64) are
 * scratch of the model's size, all zero, left all zero. Returns a list of floats, one per
 * chunk. No Python object is made while the scratch is in use.
 */
PyObject *
hk_token_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "token_shares takes 9 arguments");
        return NULL;
    }
    PyObject *chunks = hk_tuple(args[1], "token_shares: chunks");
    if (chunks == NULL)
        return NULL;
    TfidfArgs a;
    Py_buffer counts_v, weights_v, marks_v;
    PyObject *result = NULL;
    double *shares = NULL;
    if (hk_tfidf_args(&a, args[0], args + 2) < 0)
        goto release_chunks;
    if (hk_buffer(args[6], &counts_v, 'i', 1, "counts") < 0)
        goto release_args;
    if (hk_buffer(args[7], &weights_v, 'd', 1, "weights") < 0)
        goto release_counts;
    if (hk_buffer(args[8], &marks_v, 'i', 1, "marks") < 0)
        goto release_weights;
    int32_t *counts = counts_v.buf, *marks = marks_v.buf;
    double *weights = weights_v.buf;
    Py_ssize_t n_chunks = PyTuple_GET_SIZE(chunks);
    if (counts_v.len / 4 != a.size || weights_v.len / 8 != a.size || marks_v.len / 4 != a.size) {
        PyErr_SetString(PyExc_ValueError, "idf_pairs and the scratch differ in length");
        goto release_all;
    }
    if (n_chunks >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "token_shares: too many chunks");
        goto release_all;
    }
    /* every index is checked before any scratch is touched, so an error leaves it zeroed */
    for (Py_ssize_t t = 0; t < n_chunks; t++) {
        const int32_t *own = NULL, *inner = NULL;
        Py_ssize_t n_own = 0, n_inner = 0;
        if (chunk_ids(PyTuple_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner) < 0)
            goto release_all;
        for (Py_ssize_t k = 0; k < n_own + n_inner; k++) {
            int32_t f = k < n_own ? own[k] : inner[k - n_own];
            if (f < 0 || f >= a.size) {
                PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                             (int)f, a.size);
                goto release_all;
            }
        }
    }
    shares = PyMem_Malloc((size_t)(n_chunks ? n_chunks : 1) * sizeof(double));
    if (shares == NULL) {
        PyErr_NoMemory();
        goto release_all;
    }
    Tally tally;
    double weight[2], square[2];
    if (hk_tfidf_sums(&a, &tally, weight, square, weights) < 0)
        goto release_all;
    double norm[2] = {sqrt(square[0]), sqrt(square[1])};
    for (Py_ssize_t k = 0; k < tally.n_distinct; k++) {
        int32_t f = tally.slots[tally.order[k]].key;
        double by = norm[f >= a.n_word];
        if (by > 0.0)
            weights[f] /= by;
    }
    share_pass(chunks, n_chunks, 0, counts, marks, weights, NULL);
    share_pass(chunks, n_chunks, 1, counts, marks, weights, shares);
    clear_chunk_features(chunks, n_chunks, counts);
    clear_chunk_features(chunks, n_chunks, marks);
    for (Py_ssize_t k = 0; k < tally.n_distinct; k++)
        weights[tally.slots[tally.order[k]].key] = 0.0;
    hk_tally_close(&tally);
    result = hk_float_list(shares, n_chunks);
release_all:
    PyMem_Free(shares);
    PyBuffer_Release(&marks_v);
release_weights:
    PyBuffer_Release(&weights_v);
release_counts:
    PyBuffer_Release(&counts_v);
release_args:
    hk_tfidf_release(&a);
release_chunks:
    Py_DECREF(chunks);
    return result;
}
