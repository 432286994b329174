/* The wording model's per-post arithmetic, compiled into classifiers._harmful_kernel.
 *
 * Each function is the C form of one numpy or plain-Python block of the wording model
 * (classifiers/harmful_kernel.py holds those forms: the fallback where this is not built,
 * and the reference the tests hold these to). A post has a few hundred features, so numpy's
 * cost per call, not the arithmetic, was most of the model's time; here a block is one call.
 * Floating-point order follows the Python forms where it changes results beyond rounding
 * (float32 in the conv block).
 *
 * One file per block: buffers.c (argument helpers), tfidf.c (the TF-IDF part and its
 * tally), shares.c (explanations' TF-IDF shares), profanity.c, conv.c, vectors.c, gather.c
 * (a post's chunk records), module.c (the method table). hatch_build.py compiles them all
 * into one module when the package is installed; only the buffer protocol is used, so no
 * numpy headers are needed. The GIL is held throughout: the scratch passed to token_shares
 * belongs to one scorer and is left zeroed on every return.
 *
 * Memory errors: build with -fsanitize=address,undefined into classifiers/ and run
 * tests/classifiers/test_harmful_kernel.py and test_harmful_model.py with libasan and
 * libubsan in LD_PRELOAD (ASAN_OPTIONS=detect_leaks=0: the interpreter's own allocations).
 */
#ifndef SOCIAL_MONITOR_KERNEL_H
#define SOCIAL_MONITOR_KERNEL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* buffers.c */
int hk_buffer(PyObject *obj, Py_buffer *view, char kind, int writable, const char *what);
PyObject *hk_tuple(PyObject *seq, const char *what);
Py_ssize_t hk_index(PyObject *item);
PyObject *hk_float_list(const double *values, Py_ssize_t n);

/* tfidf.c: a post's feature indices with the model's tables, checked (see hk_tfidf_args) */
typedef struct {
    Py_buffer ids_v, pairs_v;
    const int32_t *ids; /* the post's feature indices, with repeats */
    Py_ssize_t n;
    const double *pairs; /* per feature: idf * coef, idf * idf */
    Py_ssize_t size;     /* features in the model */
    Py_ssize_t n_word;   /* word block below, char block from here */
    int sub[2];          /* sublinear tf, per block */
} TfidfArgs;

/* A post's distinct features and their counts, in order of first occurrence (tfidf.c). */
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

int hk_tfidf_args(TfidfArgs *a, PyObject *ids, PyObject *const *rest);
void hk_tfidf_release(TfidfArgs *a);
int hk_tfidf_sums(const TfidfArgs *a, Tally *t, double weight[2], double square[2],
                  double *weights);
void hk_tally_close(Tally *t);

/* harmful_scorer._Chunk's fields, in harmful_kernel.CHUNK_FIELDS order */
enum { F_TOKENS, F_PROFANITY, F_SIGNAL, F_YOU, F_HEAD, F_MAIN, F_INNER, F_ROWS, F_CONV,
       F_PUSH, F_GATE, N_FIELDS };
/* lexicon_gate.TokenGate's fields */
enum { G_TERM, G_LETTER, G_WORD, G_PHRASE_NEXT, N_GATE };

/* The module's functions (METH_FASTCALL), each documented where it is defined. */
PyObject *hk_tfidf_decision(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_token_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_profanity_probability(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_conv_logit(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_conv_shares(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_vector_norm(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *hk_gather(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
