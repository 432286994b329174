/* classifiers._harmful_kernel: the method table (see kernel.h). */
#include "kernel.h"

static PyMethodDef methods[] = {
    {"tfidf_decision", (PyCFunction)(void (*)(void))hk_tfidf_decision, METH_FASTCALL,
     "A post's two TF-IDF blocks' part of the decision value."},
    {"profanity_probability", (PyCFunction)(void (*)(void))hk_profanity_probability,
     METH_FASTCALL, "alt-profanity-check's calibrated probability for one post."},
    {"conv_logit", (PyCFunction)(void (*)(void))hk_conv_logit, METH_FASTCALL,
     "The conv block's logit for one post."},
    {"conv_shares", (PyCFunction)(void (*)(void))hk_conv_shares, METH_FASTCALL,
     "Each word id's share of the conv block's weighted logit."},
    {"vector_norm", (PyCFunction)(void (*)(void))hk_vector_norm, METH_FASTCALL,
     "The l2 norm of a post's summed word vectors."},
    {"gather", (PyCFunction)(void (*)(void))hk_gather, METH_FASTCALL,
     "One post's chunk records read into what the post needs."},
    {"token_shares", (PyCFunction)(void (*)(void))hk_token_shares, METH_FASTCALL,
     "Each chunk's share of the post's TF-IDF part."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_harmful_kernel",
    "The wording model's per-post arithmetic, compiled (see classifiers/kernel/kernel.h).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__harmful_kernel(void)
{
    return PyModule_Create(&module);
}
