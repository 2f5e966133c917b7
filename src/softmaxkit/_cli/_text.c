/*
 * softmaxkit._cli._text: the number commands' text output, row by row, as NumPy's
 * array2string(row, precision=p, floatmode="maxprec", separator=" ") prints each row
 * (without brackets and the outer blanks), at the speed of C's printf.
 *
 * NumPy's rules, per row:
 *   - scientific notation when the largest finite nonzero |x| is >= 1e8 (1e6 for float32,
 *     10**min(8, the dtype's decimal precision) since NumPy 2.3), or the smallest is
 *     < 1e-4, or their ratio is > 1e3 (computed in the row's dtype); else positional;
 *   - each number with the shortest digits that round-trip in its dtype, cut at p digits
 *     after the point (the exact value correctly rounded there), trailing zeros removed
 *     but the point kept ("1.");
 *   - positional: integer parts right-aligned, fractions left-aligned and padded with
 *     blanks to the longest; scientific: every mantissa with the longest fraction's
 *     digit count (further exact digits), exponents zero-padded to the longest;
 *   - nan and inf right-aligned in the common width.
 *
 * Shortest digits come from the proof below rather than a search where possible: the
 * printf rounding r of x to p places (after the point, or of the mantissa) has s
 * significant digits; when s <= DIG (15 for double, 6 for float), every other decimal of
 * that grid lies more than an ulp of x away, so r is also the only decimal of its length
 * that rounds to x: NumPy's unique-then-cut digits are r. Longer r (float32 rows at 8
 * places, mostly) need the shortest round-tripping digits: for float32 from one 17-digit
 * printf and an exact interval test (shortest_f32), otherwise by trying %.{k}e for
 * k = DIG..max (and, at a power of two, the next decimal up as well).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 48 /* one number's text: at most 9 integer + 17 fraction digits, or an exponent form */

typedef struct {
    char s[SLOT];
    int len;  /* characters in s */
    int ilen; /* characters before the point (sign included) */
    int flen; /* digits after the point */
    char d[24]; /* scientific: the shortest digits when they are what NumPy prints, */
    int nd, de; /* their count (0: printf's rounding is) and decimal exponent */
} num;

/* Replace a locale's decimal comma by the point NumPy prints. */
static void point(char *s)
{
    for (; *s; s++)
        if (*s == ',') *s = '.';
}

/* Significant digits of a printf result, trailing zeros excluded. */
static int significant(const char *s, int len)
{
    int first = -1, last = -1, pos = 0;
    for (int i = 0; i < len; i++) {
        char c = s[i];
        if (c == 'e') break;
        if (c < '0' || c > '9') continue;
        if (first < 0 && c != '0') first = pos;
        if (c != '0') last = pos;
        pos++;
    }
    if (first < 0) return 0;
    return last - first + 1;
}

/* Nonzero and below the dtype's smallest normal number: fewer significant bits, so
 * the digit-count argument for DIG does not hold. */
static int subnormal(double x, int f32)
{
    return x != 0 && fabs(x) < (f32 ? (double)FLT_MIN : DBL_MIN);
}

/* The k significant digits and decimal exponent of printf's %.{k-1}e of |x|. */
static void printf_digits(double x, int k, char *d, int *e)
{
    char buf[SLOT];
    snprintf(buf, sizeof buf, "%.*e", k - 1, fabs(x));
    int n = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') d[n++] = *p;
    d[n] = 0;
    *e = atoi(p + 1);
}

/* Does the decimal 0.d * 10**(e+1) (k digits) round to |x| in x's dtype? */
static int round_trips(const char *d, int k, int e, double x, int f32)
{
    char buf[SLOT];
    snprintf(buf, sizeof buf, "%.*se%d", k, d, e - (k - 1)); /* no point: any locale */
    return f32 ? strtof(buf, NULL) == (float)fabs(x) : strtod(buf, NULL) == fabs(x);
}

/* The next k-digit decimal up: d + 1 in the last place. */
static void bump(char *d, int k, int *e)
{
    int i = k - 1;
    while (i >= 0 && d[i] == '9') d[i--] = '0';
    if (i >= 0) {
        d[i]++;
    } else {
        d[0] = '1';
        ++*e;
    }
}

/*
 * The shortest decimal digits that round-trip to x in its dtype, the nearest to x among
 * them (as NumPy's Dragon4 picks): digits in d (no trailing zeros), the count returned,
 * the decimal exponent of the first digit in *e. Below DIG digits the first round trip
 * is the shortest, trailing zeros trimmed (the uniqueness argument above); subnormals
 * have fewer bits, so there every length is tried. printf's nearest k digits are the
 * candidate; only at a power of two, where the interval of numbers rounding to x is
 * twice as wide above x as below, can the next decimal up round to x when the nearest
 * (below) does not.
 */
/*
 * float32's shortest digits with one printf: |x|'s 17 digits, rounded to k = 6..9 digits
 * in the string, and the k-digit candidate tested in double against the exact interval
 * of reals that round to x (its ends are exact in double). The few decisions that double
 * cannot make (a remainder that is exactly "5000..." at 17 digits, a candidate within
 * 1e-15 of an end) return 0 and go the general way.
 */
static int shortest_f32(double x, char *d, int *e)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                 1e20, 1e21, 1e22};
    const double ax = fabs(x);
    const float f = (float)ax;
    const double up = ((double)nextafterf(f, INFINITY) + ax) / 2; /* exact: 25 bits */
    const double down = ((double)nextafterf(f, 0) + ax) / 2;
    int bits;
    memcpy(&bits, &f, sizeof bits);
    const int closed = (bits & 1) == 0; /* a tie rounds to the even neighbour */
    int exp2;
    const int pow2 = frexp(ax, &exp2) == 0.5;
    char all[24];
    int e17;
    printf_digits(ax, 17, all, &e17);
    for (int k = 6; k <= 9; k++) {
        char cand[24];
        int ec = e17;
        memcpy(cand, all, (size_t)k);
        cand[k] = 0;
        const char *rest = all + k;
        int tie = rest[0] == '5';
        for (const char *r = rest + 1; *r && tie; r++) tie = *r == '0';
        if (tie) return 0;
        if (rest[0] >= '5') bump(cand, k, &ec);
        for (int attempt = 0; attempt < 1 + pow2; attempt++) {
            if (attempt) bump(cand, k, &ec);
            double m = 0;
            for (int i = 0; i < k; i++) m = m * 10 + (cand[i] - '0');
            const int q = ec - (k - 1);
            if (q > 22 || q < -22) return 0;
            const double c = q >= 0 ? m * p10[q] : m / p10[-q];
            const double slack = 1e-15 * c;
            if (fabs(c - up) <= slack || fabs(c - down) <= slack) return 0;
            if ((c < up || (closed && c == up)) && (c > down || (closed && c == down))) {
                memcpy(d, cand, (size_t)k + 1);
                *e = ec;
                while (k > 1 && d[k - 1] == '0') k--;
                d[k] = 0;
                return k;
            }
        }
    }
    return 0;
}

static int shortest(double x, int f32, char *d, int *e)
{
    if (f32 && !subnormal(x, f32)) {
        int n = shortest_f32(x, d, e);
        if (n) return n;
    }
    const int lo = subnormal(x, f32) ? 1 : f32 ? 6 : 15, hi = f32 ? 9 : 17;
    int exp2;
    const int pow2 = frexp(x, &exp2) == 0.5 || frexp(x, &exp2) == -0.5;
    int k = lo;
    for (;; k++) {
        printf_digits(x, k, d, e);
        if (k == hi || round_trips(d, k, *e, x, f32)) break;
        if (pow2) {
            char up[24];
            int eu = *e;
            memcpy(up, d, (size_t)k + 1);
            bump(up, k, &eu);
            if (round_trips(up, k, eu, x, f32)) {
                memcpy(d, up, (size_t)k + 1);
                *e = eu;
                break;
            }
        }
    }
    while (k > 1 && d[k - 1] == '0') k--;
    d[k] = 0;
    return k;
}

/* Trim trailing zeros after the point (keeping the point); fill ilen/flen. */
static void trim_fixed(num *v)
{
    char *dot = strchr(v->s, '.');
    int end = v->len;
    while (end > 0 && v->s[end - 1] == '0' && v->s + end - 1 > dot) end--;
    v->s[end] = 0;
    v->len = end;
    v->ilen = (int)(dot - v->s);
    v->flen = end - v->ilen - 1;
}

/* Positional, unique digits cut at p places (NumPy's trim '.'). */
static void positional(double x, int f32, int p, num *v)
{
    const int dig = f32 ? 6 : 15;
    v->len = snprintf(v->s, SLOT, "%#.*f", p, x);
    point(v->s);
    trim_fixed(v);
    if (significant(v->s, v->len) <= dig && !subnormal(x, f32)) return;
    char d[24];
    int e;
    int nd = shortest(x, f32, d, &e);
    int need = nd - 1 - e;
    if (need > p) return; /* the cut digits: printf's rounding, already in v */
    /* the shortest digits, written out positionally */
    char *o = v->s;
    if (signbit(x)) *o++ = '-';
    if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e - 1; i++) *o++ = '0';
        memcpy(o, d, (size_t)nd);
        o += nd;
    } else {
        for (int i = 0; i <= e; i++) *o++ = i < nd ? d[i] : '0';
        *o++ = '.';
        for (int i = e + 1; i < nd; i++) *o++ = d[i];
    }
    *o = 0;
    v->len = (int)(o - v->s);
    v->ilen = (int)(strchr(v->s, '.') - v->s);
    v->flen = v->len - v->ilen - 1;
}

static int digits_of(int e)
{
    e = e < 0 ? -e : e;
    return e >= 100 ? 3 : 2; /* printf and NumPy write at least two */
}

/* Scientific, first pass: the fraction digits of unique digits cut at p, and in *w the
 * exponent's digit count of that text; the shortest digits kept in v where printf's
 * rounding may not give them. */
static int scientific_digits(double x, int f32, int p, int *w, num *v)
{
    const int dig = f32 ? 6 : 15;
    char buf[SLOT];
    snprintf(buf, sizeof buf, "%.*e", p, x);
    char *e = strchr(buf, 'e');
    *w = digits_of(atoi(e + 1));
    int sig = significant(buf, (int)(e - buf));
    v->nd = 0;
    if (sig <= dig && !subnormal(x, f32)) return sig > 0 ? sig - 1 : 0;
    int nd = shortest(x, f32, v->d, &v->de);
    if (nd - 1 > p) return sig - 1; /* cut: printf's rounding */
    v->nd = nd;
    *w = digits_of(v->de);
    return nd - 1;
}

/* Scientific, second pass: exactly f fraction digits, the exponent with >= w digits.
 * Shortest digits of exactly that length are printed as they are; more places are
 * further digits of the exact value, as printf rounds them. */
static void scientific(double x, int f, int w, num *v)
{
    char buf[SLOT];
    int ex;
    if (v->nd == f + 1) {
        char *o = buf;
        if (signbit(x)) *o++ = '-';
        *o++ = v->d[0];
        *o++ = '.';
        memcpy(o, v->d + 1, (size_t)f);
        o[f] = 0;
        ex = v->de;
    } else {
        snprintf(buf, sizeof buf, "%#.*e", f, x);
        point(buf);
        char *e = strchr(buf, 'e');
        ex = atoi(e + 1);
        *e = 0;
    }
    int mant = (int)strlen(buf);
    memcpy(v->s, buf, (size_t)mant);
    v->ilen = (int)(strchr(buf, '.') - buf);
    v->flen = f;
    int n = snprintf(v->s + mant, (size_t)(SLOT - mant), "e%c%0*d", ex < 0 ? '-' : '+', w,
                     ex < 0 ? -ex : ex);
    v->len = mant + n;
}

typedef struct {
    char *p;
    size_t len, cap;
} out_buf;

static int put(out_buf *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 1 << 16;
        while (cap < o->len + n) cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) return -1;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    return 0;
}

static int blanks(out_buf *o, int n)
{
    static const char sp[] = "                                                                ";
    while (n > 0) {
        int k = n < 64 ? n : 64;
        if (put(o, sp, (size_t)k)) return -1;
        n -= k;
    }
    return 0;
}

static double get(const void *data, int f32, Py_ssize_t i)
{
    return f32 ? (double)((const float *)data)[i] : ((const double *)data)[i];
}

/* One row; leading and trailing blanks left out. */
static int format_row(out_buf *o, const void *data, int f32, Py_ssize_t n, int p, num *v)
{
    /* NumPy's switch to scientific, in the row's dtype */
    int any_finite = 0, any_nonzero = 0, neginf = 0, nonfinite = 0;
    double mx = 0, mn = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = get(data, f32, i);
        if (!isfinite(x)) {
            nonfinite = 1;
            if (isinf(x) && x < 0) neginf = 1;
            continue;
        }
        any_finite = 1;
        double a = fabs(x);
        if (a == 0) continue;
        if (!any_nonzero || a > mx) mx = a;
        if (!any_nonzero || a < mn) mn = a;
        any_nonzero = 1;
    }
    int sci = 0;
    if (any_nonzero) {
        if (f32) {
            float fx = (float)mx, fn = (float)mn;
            sci = fx >= 1.e6f || fn < 0.0001f || fx / fn > 1000.f;
        } else {
            sci = mx >= 1.e8 || mn < 0.0001 || mx / mn > 1000.;
        }
    }
    int pad_left = 0, pad_right = 0, prec = 0, ew = 0;
    if (any_finite) {
        for (Py_ssize_t i = 0; i < n; i++) {
            double x = get(data, f32, i);
            if (!isfinite(x)) continue;
            if (sci) {
                int w, f = scientific_digits(x, f32, p, &w, &v[i]);
                if (f > prec) prec = f;
                if (w > ew) ew = w;
            } else {
                positional(x, f32, p, &v[i]);
                if (v[i].ilen > pad_left) pad_left = v[i].ilen;
                if (v[i].flen > pad_right) pad_right = v[i].flen;
            }
        }
        if (sci) {
            for (Py_ssize_t i = 0; i < n; i++) {
                double x = get(data, f32, i);
                if (!isfinite(x)) continue;
                scientific(x, prec, ew, &v[i]);
                if (v[i].ilen > pad_left) pad_left = v[i].ilen;
            }
            pad_right = ew + 2 + prec;
        }
    }
    if (nonfinite) {
        int offset = pad_right + 1;
        if (3 - offset > pad_left) pad_left = 3 - offset;
        if (3 + neginf - offset > pad_left) pad_left = 3 + neginf - offset;
    }
    const int width = pad_left + pad_right + 1;
    int pending = 0; /* blanks owed before the next text: none before the first */
    int started = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = get(data, f32, i);
        const char *s;
        int len, left, right = 0;
        if (!isfinite(x)) {
            s = isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
            len = (int)strlen(s);
            left = width - len;
        } else {
            s = v[i].s;
            len = v[i].len;
            left = pad_left - v[i].ilen;
            if (!sci) right = pad_right - v[i].flen;
        }
        if (started && blanks(o, pending + 1 + left)) return -1;
        if (put(o, s, (size_t)len)) return -1;
        started = 1;
        pending = right;
    }
    return 0;
}

static PyObject *format_rows(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *obj;
    Py_ssize_t rows, cols;
    int f32, p;
    if (!PyArg_ParseTuple(args, "Onnpi", &obj, &rows, &cols, &f32, &p)) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    const Py_ssize_t item = f32 ? 4 : 8;
    if (rows < 0 || cols < 0 || p < 0 || p > 17 || view.len != rows * cols * item) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "buffer does not match rows x cols");
        return NULL;
    }
    num *v = PyMem_Malloc((size_t)(cols > 0 ? cols : 1) * sizeof(num));
    out_buf o = {0};
    int failed = v == NULL;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < rows && !failed; r++) {
        if (r && put(&o, "\n", 1)) failed = 1;
        else if (format_row(&o, (const char *)view.buf + r * cols * item, f32, cols, p, v))
            failed = 1;
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(v);
    PyBuffer_Release(&view);
    if (failed) {
        free(o.p);
        return PyErr_NoMemory();
    }
    PyObject *text = PyUnicode_DecodeASCII(o.p ? o.p : "", (Py_ssize_t)o.len, "strict");
    free(o.p);
    return text;
}

static PyMethodDef methods[] = {
    {"format_rows", format_rows, METH_VARARGS,
     "format_rows(buffer, rows, cols, is_float32, precision) -> str\n\n"
     "Each row of a C-contiguous float32/float64 buffer as NumPy's array2string prints it\n"
     "with floatmode='maxprec' (brackets and outer blanks left out), rows joined by\n"
     "newlines."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_text", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__text(void) { return PyModule_Create(&module); }
