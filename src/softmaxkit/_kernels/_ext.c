/*
 * softmaxkit._kernels._ext: a thin Python wrapper over the C kernels.
 *
 * It takes data pointers, extents and element strides that the Python layer
 * (softmaxkit._native) has already computed and validated from NumPy arrays it keeps
 * alive for the call; it releases the GIL while a kernel runs and returns the kernel's
 * status code. It does no validation of its own beyond argument types.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "softmax.h"

static PyObject *ext_softmax(PyObject *self, PyObject *args)
{
    int f64, flags, nthreads, status;
    unsigned long long xp, yp;
    Py_ssize_t shape[3], xs[3], ys[3];
    double temperature;
    if (!PyArg_ParseTuple(args, "pKnnnnnnKnnndii", &f64, &xp, &shape[0], &shape[1], &shape[2],
                          &xs[0], &xs[1], &xs[2], &yp, &ys[0], &ys[1], &ys[2], &temperature,
                          &flags, &nthreads))
        return NULL;
    ptrdiff_t s[3] = {shape[0], shape[1], shape[2]};
    ptrdiff_t a[3] = {xs[0], xs[1], xs[2]}, b[3] = {ys[0], ys[1], ys[2]};
    Py_BEGIN_ALLOW_THREADS
    if (f64)
        status = sk_softmax_f64((const double *)(uintptr_t)xp, s, a, (double *)(uintptr_t)yp, b,
                                temperature, flags, nthreads);
    else
        status = sk_softmax_f32((const float *)(uintptr_t)xp, s, a, (float *)(uintptr_t)yp, b,
                                temperature, flags, nthreads);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(status);
}

static PyObject *ext_logsumexp(PyObject *self, PyObject *args)
{
    int f64, nthreads, status;
    unsigned long long xp, yp;
    Py_ssize_t shape[3], xs[3], ys[2];
    if (!PyArg_ParseTuple(args, "pKnnnnnnKnni", &f64, &xp, &shape[0], &shape[1], &shape[2],
                          &xs[0], &xs[1], &xs[2], &yp, &ys[0], &ys[1], &nthreads))
        return NULL;
    ptrdiff_t s[3] = {shape[0], shape[1], shape[2]};
    ptrdiff_t a[3] = {xs[0], xs[1], xs[2]}, b[2] = {ys[0], ys[1]};
    Py_BEGIN_ALLOW_THREADS
    if (f64)
        status = sk_logsumexp_f64((const double *)(uintptr_t)xp, s, a, (double *)(uintptr_t)yp,
                                  b, nthreads);
    else
        status = sk_logsumexp_f32((const float *)(uintptr_t)xp, s, a, (float *)(uintptr_t)yp,
                                  b, nthreads);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(status);
}

static PyObject *ext_xent(PyObject *self, PyObject *args)
{
    int f64, nthreads, status;
    unsigned long long xp, yp, rsp, gp, nllp;
    Py_ssize_t rows, C, xs, ys, gs;
    if (!PyArg_ParseTuple(args, "pKnnnKnKKnKi", &f64, &xp, &rows, &C, &xs, &yp, &ys, &rsp, &gp,
                          &gs, &nllp, &nthreads))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (f64)
        status = sk_xent_f64((const double *)(uintptr_t)xp, rows, C, xs,
                             (const int64_t *)(uintptr_t)yp, ys, (const double *)(uintptr_t)rsp,
                             (double *)(uintptr_t)gp, gs, (double *)(uintptr_t)nllp, nthreads);
    else
        status = sk_xent_f32((const float *)(uintptr_t)xp, rows, C, xs,
                             (const int64_t *)(uintptr_t)yp, ys, (const double *)(uintptr_t)rsp,
                             (float *)(uintptr_t)gp, gs, (double *)(uintptr_t)nllp, nthreads);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(status);
}

static PyObject *ext_softmax_backward(PyObject *self, PyObject *args)
{
    int f64, flags, nthreads, status;
    unsigned long long yp, dp, xp;
    Py_ssize_t ys, ds, xs, rows, n;
    double scale;
    if (!PyArg_ParseTuple(args, "pKnKnKnnnidi", &f64, &yp, &ys, &dp, &ds, &xp, &xs, &rows, &n,
                          &flags, &scale, &nthreads))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (f64)
        status = sk_softmax_backward_f64((const double *)(uintptr_t)yp, ys,
                                         (const double *)(uintptr_t)dp, ds,
                                         (double *)(uintptr_t)xp, xs, rows, n, flags, scale,
                                         nthreads);
    else
        status = sk_softmax_backward_f32((const float *)(uintptr_t)yp, ys,
                                         (const float *)(uintptr_t)dp, ds,
                                         (float *)(uintptr_t)xp, xs, rows, n, flags, scale,
                                         nthreads);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(status);
}

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
    {"softmax", ext_softmax, METH_VARARGS,
     "softmax(f64, x, outer, n, inner, xs0, xs1, xs2, y, ys0, ys1, ys2, temperature, flags, "
     "nthreads) -> status"},
    {"logsumexp", ext_logsumexp, METH_VARARGS,
     "logsumexp(f64, x, outer, n, inner, xs0, xs1, xs2, y, ys0, ys1, nthreads) -> status"},
    {"xent", ext_xent, METH_VARARGS,
     "xent(f64, x, rows, C, xs, y, ys, rs, g, gs, nll, nthreads) -> status"},
    {"softmax_backward", ext_softmax_backward, METH_VARARGS,
     "softmax_backward(f64, y, ys, dy, ds, dx, xs, rows, n, flags, scale, nthreads) -> status"},
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
