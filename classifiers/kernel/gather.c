/* A post's chunk records read into what the post needs (gather). */
#include "kernel.h"

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

static int
extend(PyObject *list, PyObject *tuple)
{
    Py_ssize_t n = PyTuple_GET_SIZE(tuple);
    for (Py_ssize_t k = 0; k < n; k++)
        if (PyList_Append(list, PyTuple_GET_ITEM(tuple, k)) < 0)
            return -1;
    return 0;
}

PyObject *
hk_gather(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
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
    PyObject *chunks = hk_tuple(args[0], "gather: chunks");
    if (chunks == NULL)
        return NULL;
    PyObject *prof = PyList_New(0), *rows = PyList_New(0), *conv = PyList_New(0);
    PyObject *tokens = PyList_New(0), *bigrams = PyList_New(0), *main = NULL, *result = NULL;
    if (prof == NULL || rows == NULL || conv == NULL || tokens == NULL || bigrams == NULL)
        goto done;
    Py_ssize_t n = PyTuple_GET_SIZE(chunks), main_len = 0;
    long signal = 0, letters = 0;
    int you = 0, head = 0, hit = 0;
    double push = 0.0;
    PyObject *after = NULL; /* borrowed: the words that would continue a phrase here */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PyTuple_GET_ITEM(chunks, i);
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
        if (sig == -1 && PyErr_Occurred())
            goto done;
        double p = PyFloat_AsDouble(PyTuple_GET_ITEM(c, F_PUSH));
        if (p == -1.0 && PyErr_Occurred())
            goto done;
        int y = PyObject_IsTrue(PyTuple_GET_ITEM(c, F_YOU));
        if (y < 0)
            goto done;
        int h = PyObject_IsTrue(PyTuple_GET_ITEM(c, F_HEAD));
        if (h < 0)
            goto done;
        signal += sig;
        push += p;
        you |= y;
        head |= h;
        if (!hit) { /* lexicon.may_hit, step by step */
            PyObject *gate = PyTuple_GET_ITEM(c, F_GATE);
            PyObject *word = PyTuple_GET_ITEM(gate, G_WORD);
            int t = PyObject_IsTrue(PyTuple_GET_ITEM(gate, G_TERM));
            if (t < 0)
                goto done;
            int l = PyObject_IsTrue(PyTuple_GET_ITEM(gate, G_LETTER));
            if (l < 0)
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
        Py_INCREF(following); /* a key's __eq__ could change pairs meanwhile */
        PyObject *id = PyDict_GetItemWithError(following, PyList_GET_ITEM(tokens, k + 1));
        int failed = (id == NULL && PyErr_Occurred()) || (id != NULL && PyList_Append(bigrams, id) < 0);
        Py_DECREF(following);
        if (failed)
            goto done;
    }
    Py_ssize_t n_bigrams = PyList_GET_SIZE(bigrams);
    main = PyBytes_FromStringAndSize(NULL, main_len + 4 * n_bigrams);
    if (main == NULL)
        goto done;
    char *at = PyBytes_AS_STRING(main);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *bytes = PyTuple_GET_ITEM(PyTuple_GET_ITEM(chunks, i), F_MAIN);
        memcpy(at, PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes));
        at += PyBytes_GET_SIZE(bytes);
    }
    for (Py_ssize_t k = 0; k < n_bigrams; k++) {
        long id = PyLong_AsLong(PyList_GET_ITEM(bigrams, k));
        if (id == -1 && PyErr_Occurred())
            goto done;
        if (id < 0 || id > INT32_MAX) {
            PyErr_Format(PyExc_ValueError, "gather: bigram feature %ld is not an int32 index", id);
            goto done;
        }
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
