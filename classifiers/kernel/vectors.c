/* The post's word vectors. */
#include "kernel.h"

/* vector_norm(rows, matrix): the l2 norm of the sum of the given rows of a float64 matrix
 * (a post's word vectors), 1.0 for no rows or a zero sum. */
PyObject *
hk_vector_norm(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "vector_norm takes 2 arguments");
        return NULL;
    }
    PyObject *seq = hk_tuple(args[0], "vector_norm: rows");
    if (seq == NULL)
        return NULL;
    Py_buffer matrix_v;
    PyObject *result = NULL;
    if (hk_buffer(args[1], &matrix_v, 'd', 0, "matrix") < 0) {
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
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r = hk_index(PyTuple_GET_ITEM(seq, i));
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
