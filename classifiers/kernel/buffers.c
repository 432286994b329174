/* Argument helpers shared by the kernel's functions (see kernel.h). */
#include "kernel.h"

static const char *
kind_name(char kind)
{
    switch (kind) {
    case 'd': return "float64";
    case 'f': return "float32";
    case 'i': return "int32";
    default: return "int64";
    }
}

/* A contiguous buffer of `kind` values ('d' float64, 'f' float32, 'i' int32, 'q' int64),
 * read-only or writable, its format checked; int32 values may also come as raw bytes (a
 * bytes object, one dimension). Otherwise a ValueError naming `what`. */
int
hk_buffer(PyObject *obj, Py_buffer *view, char kind, int writable, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    Py_ssize_t itemsize = kind == 'd' || kind == 'q' ? 8 : 4;
    const char *f = view->format != NULL ? view->format : "B";
    if (*f == '@' || *f == '=' || (PY_LITTLE_ENDIAN && *f == '<'))
        f++;
    int single = f[0] != '\0' && f[1] == '\0';
    int ok;
    if (kind == 'i' && view->ndim <= 1 && view->itemsize == 1 && single
        && (f[0] == 'B' || f[0] == 'b' || f[0] == 'c'))
        ok = view->len % 4 == 0; /* int32 values as raw bytes */
    else
        ok = single && view->itemsize == itemsize
             && (f[0] == kind || (kind == 'i' && f[0] == 'l')
                 || (kind == 'q' && (f[0] == 'l' || f[0] == 'n')));
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s: expected %s values, got format '%s' of %zd-byte items",
                     what, kind_name(kind), view->format != NULL ? view->format : "B",
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* A tuple of the items of a sequence: a snapshot the caller owns, which Python code run
 * meanwhile (an item's __index__, __bool__, __hash__) cannot change. */
PyObject *
hk_tuple(PyObject *seq, const char *what)
{
    if (!PySequence_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence", what);
        return NULL;
    }
    return PySequence_Tuple(seq);
}

/* An index from an int or anything with __index__ (numpy integers); -1 with an exception. */
Py_ssize_t
hk_index(PyObject *item)
{
    return PyNumber_AsSsize_t(item, PyExc_OverflowError);
}

/* A new list of n floats, or NULL with an exception set. */
PyObject *
hk_float_list(const double *values, Py_ssize_t n)
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
