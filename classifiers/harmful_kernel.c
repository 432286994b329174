/* The wording model's per-post arithmetic, compiled: classifiers._harmful_kernel.
 *
 * Each function is the C form of one numpy or plain-Python block in harmful_scorer.py and
 * conv_block.py (harmful_kernel_py.py holds those forms, the reference a test compares these
 * against). A post has a few hundred features, so numpy's cost per call, not the arithmetic,
 * was most of the model's time; here a block is one call. Floating-point order follows the
 * Python forms where it changes results beyond rounding (float32 in the conv block).
 *
 * Built by hatch_build.py when the package is installed; without a C compiler the package
 * falls back to the Python forms (same values, slower). Only the buffer protocol is used,
 * so no numpy headers are needed to build it. The GIL is held throughout: the scratch
 * counts passed in belong to one scorer and are left zeroed on every return.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* A read-only (or writable) contiguous buffer of `itemsize`-byte items, or an error. */
static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if ((view->itemsize != 1 && view->itemsize != itemsize) || view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd-byte items, got %zd bytes of %zd",
                     what, itemsize, view->len, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* tfidf_decision(ids, idf_coef, idf_square, n_word, sublinear_word, sublinear_char, scratch)
 *
 * ids: int32 feature indices of one post (word block below n_word, char block above), with
 * repeats. Returns sum over the two blocks of (tf * idf * coef) / l2 norm of (tf * idf),
 * tf = log(count) + 1 when the block is sublinear, else count: the post's TF-IDF part of
 * the decision value. scratch: int32 counts of the model's size, all zero, left all zero.
 */
static PyObject *
tfidf_decision(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "tfidf_decision takes 7 arguments");
        return NULL;
    }
    Py_ssize_t n_word = PyLong_AsSsize_t(args[3]);
    int sub[2] = {PyObject_IsTrue(args[4]), PyObject_IsTrue(args[5])};
    if ((n_word == -1 && PyErr_Occurred()) || sub[0] < 0 || sub[1] < 0)
        return NULL;
    Py_buffer ids_v, coef_v, square_v, scratch_v;
    PyObject *result = NULL;
    if (get_buffer(args[0], &ids_v, 4, 0, "ids") < 0)
        return NULL;
    if (get_buffer(args[1], &coef_v, 8, 0, "idf_coef") < 0)
        goto release_ids;
    if (get_buffer(args[2], &square_v, 8, 0, "idf_square") < 0)
        goto release_coef;
    if (get_buffer(args[6], &scratch_v, 4, 1, "scratch") < 0)
        goto release_square;

    const int32_t *ids = ids_v.buf;
    const double *idf_coef = coef_v.buf, *idf_square = square_v.buf;
    int32_t *counts = scratch_v.buf;
    Py_ssize_t n = ids_v.len / 4, size = coef_v.len / 8;
    if (square_v.len / 8 != size || scratch_v.len / 4 != size) {
        PyErr_SetString(PyExc_ValueError, "idf_coef, idf_square and scratch differ in length");
        goto release_all;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        if (ids[k] < 0 || ids[k] >= size) {
            PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                         (int)ids[k], size);
            goto release_all;
        }
    }
    int32_t *distinct = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (distinct == NULL) {
        PyErr_NoMemory();
        goto release_all;
    }
    Py_ssize_t n_distinct = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (counts[ids[k]]++ == 0)
            distinct[n_distinct++] = ids[k];
    }
    double weight[2] = {0.0, 0.0}, square[2] = {0.0, 0.0};
    int seen[2] = {0, 0};
    for (Py_ssize_t k = 0; k < n_distinct; k++) {
        int32_t f = distinct[k];
        int block = f >= n_word;
        double c = (double)counts[f];
        double tf = sub[block] ? log(c) + 1.0 : c;
        counts[f] = 0;
        weight[block] += tf * idf_coef[f];
        square[block] += tf * tf * idf_square[f];
        seen[block] = 1;
    }
    PyMem_Free(distinct);
    double total = 0.0;
    for (int b = 0; b < 2; b++) {
        if (seen[b] && square[b] > 0.0)
            total += weight[b] / sqrt(square[b]);
    }
    result = PyFloat_FromDouble(total);
release_all:
    PyBuffer_Release(&scratch_v);
release_square:
    PyBuffer_Release(&square_v);
release_coef:
    PyBuffer_Release(&coef_v);
release_ids:
    PyBuffer_Release(&ids_v);
    return result;
}

/* profanity_probability(ids, idf, coef, intercept, cal_a, cal_b, sublinear)
 *
 * alt-profanity-check's block: ids is a list of its vocabulary indices (repeats allowed);
 * coef is float64 (features, folds); each fold's LinearSVC decision over the l2-normalised
 * TF-IDF row, Platt-calibrated, averaged over the folds.
 */
static PyObject *
profanity_probability(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "profanity_probability takes 7 arguments");
        return NULL;
    }
    int sublinear = PyObject_IsTrue(args[6]);
    if (sublinear < 0)
        return NULL;
    PyObject *seq = PySequence_Fast(args[0], "profanity_probability: ids must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_buffer idf_v, coef_v, icpt_v, a_v, b_v;
    PyObject *result = NULL;
    if (get_buffer(args[1], &idf_v, 8, 0, "idf") < 0)
        goto release_seq;
    if (get_buffer(args[2], &coef_v, 8, 0, "coef") < 0)
        goto release_idf;
    if (get_buffer(args[3], &icpt_v, 8, 0, "intercept") < 0)
        goto release_coef;
    if (get_buffer(args[4], &a_v, 8, 0, "cal_a") < 0)
        goto release_icpt;
    if (get_buffer(args[5], &b_v, 8, 0, "cal_b") < 0)
        goto release_a;

    Py_ssize_t size = idf_v.len / 8, folds = icpt_v.len / 8;
    if (folds == 0 || a_v.len / 8 != folds || b_v.len / 8 != folds
        || coef_v.len / 8 != size * folds) {
        PyErr_SetString(PyExc_ValueError, "profanity_probability: tables of mismatched sizes");
        goto release_all;
    }
    const double *idf = idf_v.buf, *coef = coef_v.buf;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    /* distinct ids in first-seen order with their counts, as the Python form's dict */
    Py_ssize_t *seen = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_ssize_t));
    double *tally = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(double));
    double *d = PyMem_Malloc((size_t)folds * sizeof(double));
    if (seen == NULL || tally == NULL || d == NULL) {
        PyErr_NoMemory();
        goto free_all;
    }
    Py_ssize_t n_distinct = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, k));
        if (i == -1 && PyErr_Occurred())
            goto free_all;
        if (i < 0 || i >= size) {
            PyErr_Format(PyExc_ValueError, "profanity index %zd outside its %zd", i, size);
            goto free_all;
        }
        Py_ssize_t j = 0;
        while (j < n_distinct && seen[j] != i)
            j++;
        if (j == n_distinct) {
            seen[n_distinct] = i;
            tally[n_distinct++] = 0.0;
        }
        tally[j] += 1.0;
    }
    double norm = 0.0;
    for (Py_ssize_t j = 0; j < n_distinct; j++) {
        double c = tally[j];
        tally[j] = (sublinear ? log(c) + 1.0 : c) * idf[seen[j]];
        norm += tally[j] * tally[j];
    }
    norm = sqrt(norm);
    if (norm == 0.0)
        norm = 1.0;
    memcpy(d, icpt_v.buf, (size_t)folds * sizeof(double));
    for (Py_ssize_t j = 0; j < n_distinct; j++) {
        double v = tally[j] / norm;
        const double *row = coef + seen[j] * folds;
        for (Py_ssize_t k = 0; k < folds; k++)
            d[k] += v * row[k];
    }
    const double *cal_a = a_v.buf, *cal_b = b_v.buf;
    double prob = 0.0;
    for (Py_ssize_t k = 0; k < folds; k++)
        prob += 1.0 / (1.0 + exp(cal_a[k] * d[k] + cal_b[k]));
    result = PyFloat_FromDouble(prob / (double)folds);
free_all:
    PyMem_Free(seen);
    PyMem_Free(tally);
    PyMem_Free(d);
release_all:
    PyBuffer_Release(&b_v);
release_a:
    PyBuffer_Release(&a_v);
release_icpt:
    PyBuffer_Release(&icpt_v);
release_coef:
    PyBuffer_Release(&coef_v);
release_idf:
    PyBuffer_Release(&idf_v);
release_seq:
    Py_DECREF(seq);
    return result;
}

/* conv_logit(ids, fused, layout, out, out_bias, max_tokens)
 *
 * The conv block's logit for one post (ConvBlock.logit). fused: float32 (table rows,
 * columns); layout: int64 [offsets, then per offset j: lo, hi, first pooled column]; out:
 * float64 output weights, one per pooled column (the columns of offset 0). Window values are
 * summed in float32, offset by offset, as numpy does; a window running past the post's end
 * is -inf; each column's maximum over the post, then the ReLU, feeds the output layer.
 */
static PyObject *
conv_logit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "conv_logit takes 6 arguments");
        return NULL;
    }
    double out_bias = PyFloat_AsDouble(args[4]);
    Py_ssize_t max_tokens = PyLong_AsSsize_t(args[5]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *seq = PySequence_Fast(args[0], "conv_logit: ids must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > max_tokens)
        n = max_tokens;
    if (n <= 0) {
        Py_DECREF(seq);
        return PyFloat_FromDouble(out_bias);
    }

    Py_buffer fused_v, layout_v, out_v;
    PyObject *result = NULL;
    if (get_buffer(args[1], &fused_v, 4, 0, "fused") < 0)
        goto release_seq;
    if (get_buffer(args[2], &layout_v, 8, 0, "layout") < 0)
        goto release_fused;
    if (get_buffer(args[3], &out_v, 8, 0, "out") < 0)
        goto release_layout;

    const int64_t *layout = layout_v.buf;
    Py_ssize_t n_layout = layout_v.len / 8, columns = out_v.len / 8;
    if (n_layout < 4 || layout[0] < 1 || n_layout != 1 + 3 * layout[0]
        || fused_v.ndim != 2 || layout[2] - layout[1] != columns) {
        PyErr_SetString(PyExc_ValueError, "conv_logit: layout does not fit the tables");
        goto release_all;
    }
    int64_t offsets = layout[0];
    const int64_t *span = layout + 1; /* lo, hi, first column, for each offset */
    Py_ssize_t rows = fused_v.shape[0], width = fused_v.shape[1];
    for (int64_t j = 0; j < offsets; j++) {
        int64_t lo = span[3 * j], hi = span[3 * j + 1], from = span[3 * j + 2];
        if (lo < 0 || hi > width || hi - lo != columns - from || from < 0) {
            PyErr_SetString(PyExc_ValueError, "conv_logit: an offset's columns do not fit");
            goto release_all;
        }
    }
    const float *fused = fused_v.buf;
    const double *out = out_v.buf;
    Py_ssize_t *row_of = PyMem_Malloc((size_t)n * sizeof(Py_ssize_t));
    float *best = PyMem_Malloc((size_t)columns * sizeof(float));
    float *act = PyMem_Malloc((size_t)columns * sizeof(float));
    if (row_of == NULL || best == NULL || act == NULL) {
        PyErr_NoMemory();
        goto free_all;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t id = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (id == -1 && PyErr_Occurred())
            goto free_all;
        if (id < 0 || id >= rows) {
            PyErr_Format(PyExc_ValueError, "conv block: word id %zd beyond its table (%zd)",
                         id, rows);
            goto free_all;
        }
        row_of[i] = id;
    }
    for (Py_ssize_t c = 0; c < columns; c++)
        best[c] = -INFINITY;
    for (Py_ssize_t i = 0; i < n; i++) {
        const float *first = fused + row_of[i] * width + span[0];
        for (Py_ssize_t c = 0; c < columns; c++)
            act[c] = first[c];
        for (int64_t j = 1; j < offsets; j++) {
            int64_t lo = span[3 * j], from = span[3 * j + 2];
            if (i + j >= n) {
                for (Py_ssize_t c = from; c < columns; c++)
                    act[c] = -INFINITY;
                continue;
            }
            const float *part = fused + row_of[i + j] * width + lo - from;
            for (Py_ssize_t c = from; c < columns; c++)
                act[c] += part[c];
        }
        for (Py_ssize_t c = 0; c < columns; c++)
            if (act[c] > best[c])
                best[c] = act[c];
    }
    double logit = 0.0;
    for (Py_ssize_t c = 0; c < columns; c++)
        if (best[c] > 0.0f)
            logit += (double)best[c] * out[c];
    result = PyFloat_FromDouble(logit + out_bias);
free_all:
    PyMem_Free(row_of);
    PyMem_Free(best);
    PyMem_Free(act);
release_all:
    PyBuffer_Release(&out_v);
release_layout:
    PyBuffer_Release(&layout_v);
release_fused:
    PyBuffer_Release(&fused_v);
release_seq:
    Py_DECREF(seq);
    return result;
}

/* vector_norm(rows, matrix): the l2 norm of the sum of the given rows of a float64 matrix
 * (a post's word vectors), 1.0 for no rows or a zero sum. */
static PyObject *
vector_norm(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "vector_norm takes 2 arguments");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "vector_norm: rows must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_buffer matrix_v;
    PyObject *result = NULL;
    if (get_buffer(args[1], &matrix_v, 8, 0, "matrix") < 0) {
        Py_DECREF(seq);
        return NULL;
    }
    if (matrix_v.ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "vector_norm: matrix must be two-dimensional");
        goto release;
    }
    Py_ssize_t rows = matrix_v.shape[0], dims = matrix_v.shape[1];
    double *total = PyMem_Calloc((size_t)(dims ? dims : 1), sizeof(double));
    if (total == NULL) {
        PyErr_NoMemory();
        goto release;
    }
    const double *matrix = matrix_v.buf;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (r == -1 && PyErr_Occurred())
            goto free_total;
        if (r < 0 || r >= rows) {
            PyErr_Format(PyExc_ValueError, "word-vector row %zd outside its %zd", r, rows);
            goto free_total;
        }
        const double *row = matrix + r * dims;
        for (Py_ssize_t k = 0; k < dims; k++)
            total[k] += row[k];
    }
    double square = 0.0;
    for (Py_ssize_t k = 0; k < dims; k++)
        square += total[k] * total[k];
    double norm = sqrt(square);
    result = PyFloat_FromDouble(norm == 0.0 ? 1.0 : norm);
free_total:
    PyMem_Free(total);
release:
    PyBuffer_Release(&matrix_v);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef methods[] = {
    {"tfidf_decision", (PyCFunction)(void (*)(void))tfidf_decision, METH_FASTCALL,
     "A post's two TF-IDF blocks' part of the decision value."},
    {"profanity_probability", (PyCFunction)(void (*)(void))profanity_probability,
     METH_FASTCALL, "alt-profanity-check's calibrated probability for one post."},
    {"conv_logit", (PyCFunction)(void (*)(void))conv_logit, METH_FASTCALL,
     "The conv block's logit for one post."},
    {"vector_norm", (PyCFunction)(void (*)(void))vector_norm, METH_FASTCALL,
     "The l2 norm of a post's summed word vectors."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_harmful_kernel",
    "The wording model's per-post arithmetic, compiled (see harmful_kernel.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__harmful_kernel(void)
{
    return PyModule_Create(&module);
}
