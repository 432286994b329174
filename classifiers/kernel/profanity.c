/* alt-profanity-check's block of the wording model for one post. */
#include "kernel.h"

/* profanity_probability(ids, idf, coef, intercept, cal_a, cal_b, sublinear)
 *
 * alt-profanity-check's block: ids is a list of its vocabulary indices (repeats allowed);
 * coef is float64 (features, folds); each fold's LinearSVC decision over the l2-normalised
 * TF-IDF row, Platt-calibrated, averaged over the folds.
 */
PyObject *
hk_profanity_probability(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "profanity_probability takes 7 arguments");
        return NULL;
    }
    int sublinear = PyObject_IsTrue(args[6]);
    if (sublinear < 0)
        return NULL;
    PyObject *seq = hk_tuple(args[0], "profanity_probability: ids");
    if (seq == NULL)
        return NULL;
    Py_buffer idf_v, coef_v, icpt_v, a_v, b_v;
    PyObject *result = NULL;
    if (hk_buffer(args[1], &idf_v, 'd', 0, "idf") < 0)
        goto release_seq;
    if (hk_buffer(args[2], &coef_v, 'd', 0, "coef") < 0)
        goto release_idf;
    if (hk_buffer(args[3], &icpt_v, 'd', 0, "intercept") < 0)
        goto release_coef;
    if (hk_buffer(args[4], &a_v, 'd', 0, "cal_a") < 0)
        goto release_icpt;
    if (hk_buffer(args[5], &b_v, 'd', 0, "cal_b") < 0)
        goto release_a;

    Py_ssize_t size = idf_v.len / 8, folds = icpt_v.len / 8;
    if (folds == 0 || a_v.len / 8 != folds || b_v.len / 8 != folds
        || coef_v.len / 8 != size * folds) {
        PyErr_SetString(PyExc_ValueError, "profanity_probability: tables of mismatched sizes");
        goto release_all;
    }
    const double *idf = idf_v.buf, *coef = coef_v.buf;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
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
        Py_ssize_t i = hk_index(PyTuple_GET_ITEM(seq, k));
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
