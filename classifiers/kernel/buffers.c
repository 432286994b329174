/* Argument helpers shared by the kernel's functions (see kernel.h). */
#include "kernel.h"

/* A read-only (or writable) contiguous buffer of `itemsize`-byte items, or an error. */
int
hk_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *what)
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
