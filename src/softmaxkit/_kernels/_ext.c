/*
 * softmaxkit._kernels._ext: a thin Python wrapper over the C kernels.
 *
 * It takes arrays (or data pointers), extents and element strides that the Python layer
 * (softmaxkit._backends.native) has already computed and validated from NumPy arrays it keeps
 * alive for the call; it releases the GIL while a kernel runs and returns the kernel's
 * status code. It does no validation of its own beyond argument types.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>

#include "softmax.h"

/* ------------------------------------------------ the kernels, from softmax.h's list */

/* One argument of a kernel, read from Python as its kind says ([Note: the kernel list]). */
typedef union {
    void *p;
    ptrdiff_t n;
    ptrdiff_t a[3];
    double d;
    int i;
} arg_value;

static PyObject *arg_item(PyObject *args, Py_ssize_t *pos)
{
    if (*pos >= PyTuple_GET_SIZE(args)) return NULL;
    return PyTuple_GET_ITEM(args, (*pos)++);
}

static int read_arg(PyObject *args, Py_ssize_t *pos, const char *kind, arg_value *v)
{
    PyObject *item = NULL;
    int count = kind[0] == 'a' ? kind[1] - '0' : 1;
    for (int k = 0; k < count; k++) {
        if ((item = arg_item(args, pos)) == NULL) {
            PyErr_SetString(PyExc_TypeError, "too few arguments");
            return -1;
        }
        switch (kind[0]) {
        case 'p':
        case 'w':
            if (PyLong_Check(item)) {
                v->p = PyLong_AsVoidPtr(item);
            } else {
                /* an array: its first element's address from the buffer protocol, which
                 * costs a tenth of ndarray.ctypes.data on small calls (outputs must be
                 * writable); the argument tuple holds the array for the whole call, so
                 * the buffer is released at once */
                Py_buffer view;
                int flags = kind[0] == 'w' ? PyBUF_RECORDS : PyBUF_RECORDS_RO;
                if (PyObject_GetBuffer(item, &view, flags) < 0) return -1;
                v->p = view.buf;
                PyBuffer_Release(&view);
            }
            break;
        case 'n': v->n = PyLong_AsSsize_t(item); break;
        case 'a': v->a[k] = PyLong_AsSsize_t(item); break;
        case 'd': v->d = PyFloat_AsDouble(item); break;
        default: {
            long value = PyLong_AsLong(item);
            if (!PyErr_Occurred() && (value < INT_MIN || value > INT_MAX))
                PyErr_SetString(PyExc_OverflowError, "int argument out of range");
            v->i = (int)value;
        }
        }
        if (PyErr_Occurred()) return -1;
    }
    return 0;
}

#define SK_VALUE_a2(v) (v).a
#define SK_VALUE_a3(v) (v).a
#define SK_VALUE_p(v) (v).p
#define SK_VALUE_w(v) (v).p
#define SK_VALUE_n(v) (v).n
#define SK_VALUE_d(v) (v).d
#define SK_VALUE_i(v) (v).i
#define SK_LOCAL(kind, type, name) arg_value name##_arg;
#define SK_READ(kind, type, name) \
    if (read_arg(args, &pos, #kind, &name##_arg)) return NULL;
#define SK_CALL_ARG(kind, type, name) (type)SK_VALUE_##kind(name##_arg),
#define SK_DOC_NAME(kind, type, name) #name ", "

/* ext_softmax(f64, x, shape0, shape1, shape2, ...) -> status, and one for each kernel:
 * the arguments in the list's order (an array's entries one by one), f64 first and
 * nthreads last; the GIL is released while the kernel runs. */
#define SK_EXT_FUNCTION(name, PARAMS, WORK)                                                 \
    static PyObject *ext_##name(PyObject *self, PyObject *args)                             \
    {                                                                                       \
        Py_ssize_t pos = 1;                                                                 \
        int f64, status;                                                                    \
        arg_value nthreads_arg;                                                             \
        PARAMS(SK_LOCAL, float)                                                             \
        if (PyTuple_GET_SIZE(args) < 1 || (f64 = PyObject_IsTrue(PyTuple_GET_ITEM(args, 0))) < 0) \
            return NULL;                                                                    \
        PARAMS(SK_READ, float)                                                              \
        if (read_arg(args, &pos, "i", &nthreads_arg)) return NULL;                          \
        if (pos != PyTuple_GET_SIZE(args)) {                                                \
            PyErr_SetString(PyExc_TypeError, #name ": too many arguments");                 \
            return NULL;                                                                    \
        }                                                                                   \
        Py_BEGIN_ALLOW_THREADS                                                              \
        if (f64)                                                                            \
            status = sk_##name##_f64(PARAMS(SK_CALL_ARG, double) nthreads_arg.i);           \
        else                                                                                \
            status = sk_##name##_f32(PARAMS(SK_CALL_ARG, float) nthreads_arg.i);            \
        Py_END_ALLOW_THREADS                                                                \
        return PyLong_FromLong(status);                                                     \
    }
SK_KERNELS(SK_EXT_FUNCTION)

static PyObject *ext_copy(PyObject *self, PyObject *args)
{
    unsigned long long dst, src;
    Py_ssize_t nbytes;
    int nthreads;
    if (!PyArg_ParseTuple(args, "KKni", &dst, &src, &nbytes, &nthreads)) return NULL;
    if (nbytes < 0) {
        PyErr_SetString(PyExc_ValueError, "copy: nbytes must be >= 0");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    sk_parallel_copy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, (size_t)nbytes,
                     nthreads);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *ext_isa(PyObject *self, PyObject *noargs) { return PyLong_FromLong(sk_isa()); }

static PyObject *ext_cpu_isa(PyObject *self, PyObject *noargs)
{
    return PyLong_FromLong(sk_cpu_isa());
}

static PyObject *ext_set_isa(PyObject *self, PyObject *arg)
{
    long isa = PyLong_AsLong(arg);
    if (isa == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(sk_set_isa((int)isa));
}

static PyObject *ext_max_threads(PyObject *self, PyObject *noargs)
{
    return PyLong_FromLong(sk_max_threads());
}

static PyMethodDef methods[] = {
#define SK_METHOD(name, PARAMS, WORK)                                                       \
    {#name, ext_##name, METH_VARARGS,                                                       \
     #name "(f64, " PARAMS(SK_DOC_NAME, float) "nthreads) -> status (see softmax.h)"},
    SK_KERNELS(SK_METHOD)
    {"copy", ext_copy, METH_VARARGS, "copy(dst, src, nbytes, nthreads): memcpy over threads."},
    {"isa", ext_isa, METH_NOARGS, "The instruction set in use (0 baseline, 1 AVX2, 2 AVX-512)."},
    {"cpu_isa", ext_cpu_isa, METH_NOARGS, "The best instruction set this CPU runs."},
    {"set_isa", ext_set_isa, METH_O, "Use an instruction set (at most the CPU's best)."},
    {"max_threads", ext_max_threads, METH_NOARGS, "OpenMP's current thread limit."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ext", "softmaxkit's native kernels (private).", -1, methods,
};

PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&module); }
