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
 * passed to token_shares belongs to one scorer and is left zeroed on every return.
 *
 * Memory errors: build it with -fsanitize=address,undefined into classifiers/ and run
 * tests/classifiers/test_harmful_kernel.py and test_harmful_model.py with libasan and
 * libubsan in LD_PRELOAD (ASAN_OPTIONS=detect_leaks=0: the interpreter's own allocations).
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

/* A new list of n floats, or NULL with an exception set. */
static PyObject *
float_list(const double *values, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list != NULL && i < n; i++) {
        PyObject *v = PyFloat_FromDouble(values[i]);
        if (v == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* A post's distinct feature indices and their counts, in order of first occurrence: a
 * small open-addressing table that stays in the processor's cache (a table the size of the
 * vocabulary did not, between the other detectors' work). */
typedef struct {
    int32_t key; /* -1: empty */
    int32_t count;
} TallySlot;

enum { TALLY_LOCAL = 1024 };

typedef struct {
    TallySlot *slots;
    int32_t *order; /* slot numbers in order of first occurrence */
    Py_ssize_t n_distinct;
    size_t mask;
    TallySlot local[TALLY_LOCAL];
    int32_t local_order[TALLY_LOCAL / 2];
} Tally;

static int
tally_open(Tally *t, Py_ssize_t n)
{
    size_t cap = TALLY_LOCAL;
    while (cap < 2 * (size_t)n)
        cap <<= 1;
    t->n_distinct = 0;
    t->mask = cap - 1;
    if (cap == TALLY_LOCAL) {
        t->slots = t->local;
        t->order = t->local_order;
    } else {
        t->slots = PyMem_Malloc(cap * sizeof(TallySlot));
        t->order = PyMem_Malloc(cap / 2 * sizeof(int32_t));
        if (t->slots == NULL || t->order == NULL) {
            PyMem_Free(t->slots);
            PyMem_Free(t->order);
            PyErr_NoMemory();
            return -1;
        }
    }
    memset(t->slots, 0xff, cap * sizeof(TallySlot));
    return 0;
}

static inline void
tally_add(Tally *t, int32_t key)
{
    size_t at = ((uint32_t)key * 2654435761u) & t->mask;
    while (t->slots[at].key != key) {
        if (t->slots[at].key == -1) {
            t->slots[at].key = key;
            t->slots[at].count = 0;
            t->order[t->n_distinct++] = (int32_t)at;
            break;
        }
        at = (at + 1) & t->mask;
    }
    t->slots[at].count++;
}

static void
tally_close(Tally *t)
{
    if (t->slots != t->local) {
        PyMem_Free(t->slots);
        PyMem_Free(t->order);
    }
}

/* tfidf_decision(ids, idf_pairs, n_word, sublinear_word, sublinear_char)
 *
 * ids: int32 feature indices of one post (word block below n_word, char block above), with
 * repeats. idf_pairs: float64 (features, 2), each row (idf * coef, idf * idf), side by side
 * so that a feature costs one memory read. Returns the sum over the two blocks of
 * (tf * idf * coef) / l2 norm of (tf * idf), tf = log(count) + 1 when the block is
 * sublinear, else count: the post's TF-IDF part of the decision value.
 */
static PyObject *
tfidf_decision(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "tfidf_decision takes 5 arguments");
        return NULL;
    }
    Py_ssize_t n_word = PyLong_AsSsize_t(args[2]);
    int sub[2] = {PyObject_IsTrue(args[3]), PyObject_IsTrue(args[4])};
    if ((n_word == -1 && PyErr_Occurred()) || sub[0] < 0 || sub[1] < 0)
        return NULL;
    Py_buffer ids_v, pairs_v;
    PyObject *result = NULL;
    if (get_buffer(args[0], &ids_v, 4, 0, "ids") < 0)
        return NULL;
    if (get_buffer(args[1], &pairs_v, 8, 0, "idf_pairs") < 0)
        goto release_ids;
    const int32_t *ids = ids_v.buf;
    const double *pairs = pairs_v.buf;
    Py_ssize_t n = ids_v.len / 4, size = pairs_v.len / 16;
    if (pairs_v.len % 16 != 0) {
        PyErr_SetString(PyExc_ValueError, "idf_pairs must hold two floats a feature");
        goto release_all;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        if (ids[k] < 0 || ids[k] >= size) {
            PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                         (int)ids[k], size);
            goto release_all;
        }
    }
    Tally tally;
    if (tally_open(&tally, n) < 0)
        goto release_all;
    for (Py_ssize_t k = 0; k < n; k++)
        tally_add(&tally, ids[k]);
    double weight[2] = {0.0, 0.0}, square[2] = {0.0, 0.0};
    int seen[2] = {0, 0};
    for (Py_ssize_t k = 0; k < tally.n_distinct; k++) {
        const TallySlot *slot = tally.slots + tally.order[k];
        int32_t f = slot->key;
        int block = f >= n_word;
        double c = (double)slot->count;
        double tf = sub[block] ? log(c) + 1.0 : c;
        weight[block] += tf * pairs[2 * f];
        square[block] += tf * tf * pairs[2 * f + 1];
        seen[block] = 1;
    }
    tally_close(&tally);
    double total = 0.0;
    for (int b = 0; b < 2; b++) {
        if (seen[b] && square[b] > 0.0)
            total += weight[b] / sqrt(square[b]);
    }
    result = PyFloat_FromDouble(total);
release_all:
    PyBuffer_Release(&pairs_v);
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
    if (get_buffer(fused, &t->fused, 4, 0, "fused") < 0)
        return -1;
    if (get_buffer(layout, &t->layout, 8, 0, "layout") < 0) {
        conv_release(t, 1);
        return -1;
    }
    if (get_buffer(out, &t->out, 8, 0, "out") < 0) {
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
        Py_ssize_t id = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
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
    PyObject *seq = PySequence_Fast(args[0], "conv block: ids must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t total = PySequence_Fast_GET_SIZE(seq);
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
    result = float_list(out_shares, total);
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

static PyObject *
conv_logit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return conv_run(args, nargs, 0);
}

static PyObject *
conv_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return conv_run(args, nargs, 1);
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

/* gather(chunks, pairs)
 *
 * One post's chunks (harmful_scorer._Chunk tuples, fields in CHUNK_FIELDS order) read into
 * what the post needs: (main, profanity, vector_rows, conv_ids, tokens, signal, you,
 * phrase_head, may_hit, vector_push). main is the chunks' int32 feature bytes followed by
 * the word bigrams across chunks found in pairs (first token -> second token -> feature;
 * None: the word block has no bigrams); the lists are the chunks' own, concatenated; signal
 * is a sum, you and phrase_head any-of, vector_push the sum; may_hit is lexicon.may_hit over
 * the chunks' lexicon gates (a term, three letters, or a phrase start followed by a word that
 * may continue it, skipping chunks without a word).
 */
enum { F_TOKENS, F_PROFANITY, F_SIGNAL, F_YOU, F_HEAD, F_MAIN, F_INNER, F_ROWS, F_CONV,
       F_PUSH, F_GATE, N_FIELDS };
/* lexicon.TokenGate's fields */
enum { G_TERM, G_LETTER, G_WORD, G_PHRASE_NEXT, N_GATE };

static int
extend(PyObject *list, PyObject *tuple)
{
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    for (Py_ssize_t k = 0; k < n; k++)
        if (PyList_Append(list, PyTuple_GET_ITEM(tuple, k)) < 0)
            return -1;
    return 0;
}

static PyObject *
gather(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "gather takes 2 arguments");
        return NULL;
    }
    PyObject *pairs = args[1] == Py_None ? NULL : args[1];
    if (pairs != NULL && !PyDict_Check(pairs)) {
        PyErr_SetString(PyExc_TypeError, "gather: pairs must be a dict or None");
        return NULL;
    }
    PyObject *chunks = PySequence_Fast(args[0], "gather: chunks must be a sequence");
    if (chunks == NULL)
        return NULL;
    PyObject *prof = PyList_New(0), *rows = PyList_New(0), *conv = PyList_New(0);
    PyObject *tokens = PyList_New(0), *bigrams = PyList_New(0), *main = NULL, *result = NULL;
    if (prof == NULL || rows == NULL || conv == NULL || tokens == NULL || bigrams == NULL)
        goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(chunks), main_len = 0;
    long signal = 0, letters = 0;
    int you = 0, head = 0, hit = 0;
    double push = 0.0;
    PyObject *after = NULL; /* borrowed: the words that would continue a phrase here */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PySequence_Fast_GET_ITEM(chunks, i);
        if (!PyTuple_Check(c) || PyTuple_GET_SIZE(c) != N_FIELDS
            || !PyBytes_Check(PyTuple_GET_ITEM(c, F_MAIN))
            || !PyTuple_Check(PyTuple_GET_ITEM(c, F_TOKENS))
            || !PyTuple_Check(PyTuple_GET_ITEM(c, F_PROFANITY))
            || !PyTuple_Check(PyTuple_GET_ITEM(c, F_ROWS))
            || !PyTuple_Check(PyTuple_GET_ITEM(c, F_CONV))
            || !PyTuple_Check(PyTuple_GET_ITEM(c, F_GATE))
            || PyTuple_GET_SIZE(PyTuple_GET_ITEM(c, F_GATE)) != N_GATE) {
            PyErr_Format(PyExc_TypeError, "gather: chunk %zd is not a chunk record", i);
            goto done;
        }
        if (extend(tokens, PyTuple_GET_ITEM(c, F_TOKENS)) < 0
            || extend(prof, PyTuple_GET_ITEM(c, F_PROFANITY)) < 0
            || extend(rows, PyTuple_GET_ITEM(c, F_ROWS)) < 0
            || extend(conv, PyTuple_GET_ITEM(c, F_CONV)) < 0)
            goto done;
        main_len += PyBytes_GET_SIZE(PyTuple_GET_ITEM(c, F_MAIN));
        long sig = PyLong_AsLong(PyTuple_GET_ITEM(c, F_SIGNAL));
        double p = PyFloat_AsDouble(PyTuple_GET_ITEM(c, F_PUSH));
        int y = PyObject_IsTrue(PyTuple_GET_ITEM(c, F_YOU));
        int h = PyObject_IsTrue(PyTuple_GET_ITEM(c, F_HEAD));
        if (PyErr_Occurred() || y < 0 || h < 0)
            goto done;
        signal += sig;
        push += p;
        you |= y;
        head |= h;
        if (!hit) { /* lexicon.may_hit, step by step */
            PyObject *gate = PyTuple_GET_ITEM(c, F_GATE);
            PyObject *word = PyTuple_GET_ITEM(gate, G_WORD);
            int t = PyObject_IsTrue(PyTuple_GET_ITEM(gate, G_TERM));
            int l = PyObject_IsTrue(PyTuple_GET_ITEM(gate, G_LETTER));
            if (t < 0 || l < 0)
                goto done;
            letters += l;
            if (t) {
                hit = 1;
            } else if (word != Py_None) {
                if (after != NULL) {
                    int in = PySet_Contains(after, word);
                    if (in < 0)
                        goto done;
                    hit = in;
                }
                PyObject *next = PyTuple_GET_ITEM(gate, G_PHRASE_NEXT);
                if (next != Py_None && !PyAnySet_Check(next)) {
                    PyErr_SetString(PyExc_TypeError, "gather: phrase_next must be a set");
                    goto done;
                }
                after = next == Py_None ? NULL : next;
            }
        }
    }
    hit = hit || letters >= 3;
    Py_ssize_t n_tokens = PyList_GET_SIZE(tokens);
    for (Py_ssize_t k = 0; pairs != NULL && k + 1 < n_tokens; k++) {
        PyObject *following = PyDict_GetItemWithError(pairs, PyList_GET_ITEM(tokens, k));
        if (following == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        if (!PyDict_Check(following)) {
            PyErr_SetString(PyExc_TypeError, "gather: pairs must map a token to a dict");
            goto done;
        }
        PyObject *id = PyDict_GetItemWithError(following, PyList_GET_ITEM(tokens, k + 1));
        if (id == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        if (PyList_Append(bigrams, id) < 0)
            goto done;
    }
    Py_ssize_t n_bigrams = PyList_GET_SIZE(bigrams);
    main = PyBytes_FromStringAndSize(NULL, main_len + 4 * n_bigrams);
    if (main == NULL)
        goto done;
    char *at = PyBytes_AS_STRING(main);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *bytes = PyTuple_GET_ITEM(PySequence_Fast_GET_ITEM(chunks, i), F_MAIN);
        memcpy(at, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
        at += PyBytes_GET_SIZE(bytes);
    }
    for (Py_ssize_t k = 0; k < n_bigrams; k++) {
        long id = PyLong_AsLong(PyList_GET_ITEM(bigrams, k));
        if (id == -1 && PyErr_Occurred())
            goto done;
        int32_t id32 = (int32_t)id;
        memcpy(at, &id32, 4);
        at += 4;
    }
    result = Py_BuildValue("(OOOOOlNNNd)", main, prof, rows, conv, tokens, signal,
                           PyBool_FromLong(you), PyBool_FromLong(head), PyBool_FromLong(hit),
                           push);
done:
    Py_XDECREF(main);
    Py_XDECREF(prof);
    Py_XDECREF(rows);
    Py_XDECREF(conv);
    Py_XDECREF(tokens);
    Py_XDECREF(bigrams);
    Py_DECREF(chunks);
    return result;
}

/* token_shares(main, chunks, idf_pairs, n_word, sublinear_word, sublinear_char, counts,
 *              weights, marks)
 *
 * Each chunk's share of the post's TF-IDF part (explanations): the post's features (main,
 * as tfidf_decision reads it) weigh tf * idf * coef / their block's norm; a chunk gets the
 * weight of each distinct feature of its own (its record's main and inner bytes), split
 * evenly between the chunks that hold it. counts and marks (int32) and weights (float64) are
 * scratch of the model's size, all zero, left all zero. Returns a list of floats, one per
 * chunk.
 */
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

static PyObject *
token_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "token_shares takes 9 arguments");
        return NULL;
    }
    Py_ssize_t n_word = PyLong_AsSsize_t(args[3]);
    int sub[2] = {PyObject_IsTrue(args[4]), PyObject_IsTrue(args[5])};
    if ((n_word == -1 && PyErr_Occurred()) || sub[0] < 0 || sub[1] < 0)
        return NULL;
    PyObject *chunks = PySequence_Fast(args[1], "token_shares: chunks must be a sequence");
    if (chunks == NULL)
        return NULL;
    Py_buffer ids_v, pairs_v, counts_v, weights_v, marks_v;
    PyObject *result = NULL;
    int32_t *distinct = NULL;
    double *shares = NULL;
    if (get_buffer(args[0], &ids_v, 4, 0, "main") < 0)
        goto release_chunks;
    if (get_buffer(args[2], &pairs_v, 8, 0, "idf_pairs") < 0)
        goto release_ids;
    if (get_buffer(args[6], &counts_v, 4, 1, "counts") < 0)
        goto release_pairs;
    if (get_buffer(args[7], &weights_v, 8, 1, "weights") < 0)
        goto release_counts;
    if (get_buffer(args[8], &marks_v, 4, 1, "marks") < 0)
        goto release_weights;

    const int32_t *ids = ids_v.buf;
    const double *pairs = pairs_v.buf;
    int32_t *counts = counts_v.buf, *marks = marks_v.buf;
    double *weights = weights_v.buf;
    Py_ssize_t n = ids_v.len / 4, size = pairs_v.len / 16;
    Py_ssize_t n_chunks = PySequence_Fast_GET_SIZE(chunks);
    if (n_chunks >= INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "token_shares: too many chunks");
        goto release_all;
    }
    if (pairs_v.len % 16 != 0 || counts_v.len / 4 != size || weights_v.len / 8 != size
        || marks_v.len / 4 != size) {
        PyErr_SetString(PyExc_ValueError, "idf_pairs and the scratch differ in length");
        goto release_all;
    }
    /* every index is checked before any scratch is touched, so an error leaves it zeroed */
    for (Py_ssize_t k = 0; k < n; k++) {
        if (ids[k] < 0 || ids[k] >= size) {
            PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                         (int)ids[k], size);
            goto release_all;
        }
    }
    for (Py_ssize_t t = 0; t < n_chunks; t++) {
        const int32_t *own = NULL, *inner = NULL;
        Py_ssize_t n_own = 0, n_inner = 0;
        if (chunk_ids(PySequence_Fast_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner) < 0)
            goto release_all;
        for (Py_ssize_t k = 0; k < n_own + n_inner; k++) {
            int32_t f = k < n_own ? own[k] : inner[k - n_own];
            if (f < 0 || f >= size) {
                PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                             (int)f, size);
                goto release_all;
            }
        }
    }
    /* No Python object is made while the scratch is in use: nothing can run in between. */
    distinct = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    shares = PyMem_Malloc((size_t)(n_chunks ? n_chunks : 1) * sizeof(double));
    if (distinct == NULL || shares == NULL) {
        PyErr_NoMemory();
        goto release_all;
    }
    /* the post's weights, as tfidf_decision computes them */
    Py_ssize_t n_distinct = 0;
    for (Py_ssize_t k = 0; k < n; k++)
        if (counts[ids[k]]++ == 0)
            distinct[n_distinct++] = ids[k];
    double square[2] = {0.0, 0.0};
    for (Py_ssize_t k = 0; k < n_distinct; k++) {
        int32_t f = distinct[k];
        int block = f >= n_word;
        double c = (double)counts[f];
        double tf = sub[block] ? log(c) + 1.0 : c;
        counts[f] = 0;
        weights[f] = tf * pairs[2 * f];
        square[block] += tf * tf * pairs[2 * f + 1];
    }
    double norm[2] = {sqrt(square[0]), sqrt(square[1])};
    for (Py_ssize_t k = 0; k < n_distinct; k++) {
        int32_t f = distinct[k];
        double by = norm[f >= n_word];
        if (by > 0.0)
            weights[f] /= by;
    }
    /* how many chunks hold each feature (counts, now zero, serve), then each chunk's sum */
    for (int pass = 0; pass < 2; pass++) {
        for (Py_ssize_t t = 0; t < n_chunks; t++) {
            const int32_t *own = NULL, *inner = NULL;
            Py_ssize_t n_own = 0, n_inner = 0;
            chunk_ids(PySequence_Fast_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner);
            double share = 0.0;
            /* marks[f] names the last chunk (and pass) that counted f: once per chunk */
            int32_t stamp = (int32_t)(pass * n_chunks + t + 1);
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
            if (pass == 1)
                shares[t] = share;
        }
    }
    for (Py_ssize_t t = 0; t < n_chunks; t++) {
        const int32_t *own = NULL, *inner = NULL;
        Py_ssize_t n_own = 0, n_inner = 0;
        chunk_ids(PySequence_Fast_GET_ITEM(chunks, t), &own, &n_own, &inner, &n_inner);
        for (Py_ssize_t k = 0; k < n_own + n_inner; k++) {
            int32_t f = k < n_own ? own[k] : inner[k - n_own];
            counts[f] = 0;
            marks[f] = 0;
        }
    }
    for (Py_ssize_t k = 0; k < n_distinct; k++)
        weights[distinct[k]] = 0.0;
    result = float_list(shares, n_chunks);
release_all:
    PyMem_Free(distinct);
    PyMem_Free(shares);
    PyBuffer_Release(&marks_v);
release_weights:
    PyBuffer_Release(&weights_v);
release_counts:
    PyBuffer_Release(&counts_v);
release_pairs:
    PyBuffer_Release(&pairs_v);
release_ids:
    PyBuffer_Release(&ids_v);
release_chunks:
    Py_DECREF(chunks);
    return result;
}

static PyMethodDef methods[] = {
    {"tfidf_decision", (PyCFunction)(void (*)(void))tfidf_decision, METH_FASTCALL,
     "A post's two TF-IDF blocks' part of the decision value."},
    {"profanity_probability", (PyCFunction)(void (*)(void))profanity_probability,
     METH_FASTCALL, "alt-profanity-check's calibrated probability for one post."},
    {"conv_logit", (PyCFunction)(void (*)(void))conv_logit, METH_FASTCALL,
     "The conv block's logit for one post."},
    {"conv_shares", (PyCFunction)(void (*)(void))conv_shares, METH_FASTCALL,
     "Each word id's share of the conv block's weighted logit."},
    {"vector_norm", (PyCFunction)(void (*)(void))vector_norm, METH_FASTCALL,
     "The l2 norm of a post's summed word vectors."},
    {"gather", (PyCFunction)(void (*)(void))gather, METH_FASTCALL,
     "One post's chunk records read into what the post needs."},
    {"token_shares", (PyCFunction)(void (*)(void))token_shares, METH_FASTCALL,
     "Each chunk's share of the post's TF-IDF part."},
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
