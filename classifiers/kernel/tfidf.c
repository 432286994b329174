/* The post's TF-IDF part of the wording model's decision value (tfidf_decision), and what
 * it shares with the explanations' shares (shares.c): the checked arguments and the tally. */
#include "kernel.h"

/* The tally is a small open-addressing table that stays in the processor's cache (a count
 * array the size of the vocabulary did not, between the other detectors' work). */
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

void
hk_tally_close(Tally *t)
{
    if (t->slots != t->local) {
        PyMem_Free(t->slots);
        PyMem_Free(t->order);
    }
}

/* ids: int32 feature indices (bytes or an int32 array); rest: idf_pairs (float64, two a
 * feature), n_word, sublinear_word, sublinear_char. Every index is checked against the
 * model's size here, before anything is counted. */
int
hk_tfidf_args(TfidfArgs *a, PyObject *ids, PyObject *const *rest)
{
    a->n_word = PyLong_AsSsize_t(rest[1]);
    if (a->n_word == -1 && PyErr_Occurred())
        return -1;
    if ((a->sub[0] = PyObject_IsTrue(rest[2])) < 0 || (a->sub[1] = PyObject_IsTrue(rest[3])) < 0)
        return -1;
    if (hk_buffer(ids, &a->ids_v, 'i', 0, "ids") < 0)
        return -1;
    if (hk_buffer(rest[0], &a->pairs_v, 'd', 0, "idf_pairs") < 0) {
        PyBuffer_Release(&a->ids_v);
        return -1;
    }
    a->ids = a->ids_v.buf;
    a->n = a->ids_v.len / 4;
    a->pairs = a->pairs_v.buf;
    a->size = a->pairs_v.len / 16;
    if (a->pairs_v.len % 16 != 0) {
        PyErr_SetString(PyExc_ValueError, "idf_pairs must hold two floats a feature");
        hk_tfidf_release(a);
        return -1;
    }
    for (Py_ssize_t k = 0; k < a->n; k++) {
        if (a->ids[k] < 0 || a->ids[k] >= a->size) {
            PyErr_Format(PyExc_ValueError, "feature index %d outside the model's %zd",
                         (int)a->ids[k], a->size);
            hk_tfidf_release(a);
            return -1;
        }
    }
    return 0;
}

void
hk_tfidf_release(TfidfArgs *a)
{
    PyBuffer_Release(&a->pairs_v);
    PyBuffer_Release(&a->ids_v);
}

/* Tallies the post's features into t (open on success: the caller closes it) and sums per
 * block tf * idf * coef (weight) and (tf * idf)^2 (square), tf = log(count) + 1 in a
 * sublinear block, else count. weights, when not NULL, gets each feature's tf * idf * coef
 * at its index. */
int
hk_tfidf_sums(const TfidfArgs *a, Tally *t, double weight[2], double square[2], double *weights)
{
    if (tally_open(t, a->n) < 0)
        return -1;
    for (Py_ssize_t k = 0; k < a->n; k++)
        tally_add(t, a->ids[k]);
    weight[0] = weight[1] = square[0] = square[1] = 0.0;
    for (Py_ssize_t k = 0; k < t->n_distinct; k++) {
        const TallySlot *slot = t->slots + t->order[k];
        int32_t f = slot->key;
        int block = f >= a->n_word;
        double c = (double)slot->count;
        double tf = a->sub[block] ? log(c) + 1.0 : c;
        double w = tf * a->pairs[2 * f];
        weight[block] += w;
        square[block] += tf * tf * a->pairs[2 * f + 1];
        if (weights != NULL)
            weights[f] = w;
    }
    return 0;
}

/* tfidf_decision(ids, idf_pairs, n_word, sublinear_word, sublinear_char)
 *
 * ids: int32 feature indices of one post (word block below n_word, char block above), with
 * repeats. idf_pairs: float64 (features, 2), each row (idf * coef, idf * idf), side by side
 * so that a feature costs one memory read. Returns the sum over the two blocks of
 * (tf * idf * coef) / l2 norm of (tf * idf): the post's TF-IDF part of the decision value.
 */
PyObject *
hk_tfidf_decision(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "tfidf_decision takes 5 arguments");
        return NULL;
    }
    TfidfArgs a;
    if (hk_tfidf_args(&a, args[0], args + 1) < 0)
        return NULL;
    Tally tally;
    double weight[2], square[2];
    PyObject *result = NULL;
    if (hk_tfidf_sums(&a, &tally, weight, square, NULL) == 0) {
        hk_tally_close(&tally);
        double total = 0.0;
        for (int b = 0; b < 2; b++)
            if (square[b] > 0.0)
                total += weight[b] / sqrt(square[b]);
        result = PyFloat_FromDouble(total);
    }
    hk_tfidf_release(&a);
    return result;
}
