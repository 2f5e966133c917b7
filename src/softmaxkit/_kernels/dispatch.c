/*
 * The public kernel entry points: choose the instruction set at run time and bound the
 * thread count. Each ISA's kernels come from kernels_isa.c compiled with its own flags;
 * on x86-64 the CPU is asked once (through GCC's __builtin_cpu_supports, which also
 * checks that the OS saves the wide registers).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "softmax.h"

/* Each instruction set's build of every kernel (kernels_isa.c): sk_softmax_f32_avx2, ... */
#define SK_DECLARE_ISA(name, PARAMS, sfx)                                                  \
    int sk_##name##_f32##sfx(PARAMS(SK_PARAM, float) int nthreads);                        \
    int sk_##name##_f64##sfx(PARAMS(SK_PARAM, double) int nthreads);
#define SK_DECLARE_BASELINE(name, PARAMS, WORK) SK_DECLARE_ISA(name, PARAMS, _baseline)
SK_KERNELS(SK_DECLARE_BASELINE)
#ifdef SK_HAVE_X86_ISAS
#define SK_DECLARE_AVX2(name, PARAMS, WORK) SK_DECLARE_ISA(name, PARAMS, _avx2)
#define SK_DECLARE_AVX512(name, PARAMS, WORK) SK_DECLARE_ISA(name, PARAMS, _avx512)
SK_KERNELS(SK_DECLARE_AVX2)
SK_KERNELS(SK_DECLARE_AVX512)
#endif

static int current_isa = -1;

int sk_cpu_isa(void)
{
#ifdef SK_HAVE_X86_ISAS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return SK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return SK_ISA_AVX2;
#endif
    return SK_ISA_BASELINE;
}

int sk_isa(void)
{
    if (current_isa < 0) current_isa = sk_cpu_isa();
    return current_isa;
}

int sk_set_isa(int isa)
{
    int best = sk_cpu_isa();
    current_isa = isa < SK_ISA_BASELINE ? best : (isa > best ? best : isa);
    return current_isa;
}

int sk_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Fewer threads than asked when OpenMP's limit is lower (threadpoolctl, OMP_NUM_THREADS),
 * and one thread for small work, where starting the team costs more than it saves. */
static int threads_for(ptrdiff_t work, int nthreads)
{
    int limit = sk_max_threads();
    int nt = nthreads < limit ? nthreads : limit;
    if (work < (1 << 15)) nt = 1;
    return nt < 1 ? 1 : nt;
}

#ifdef SK_HAVE_X86_ISAS
#define DISPATCH(fn, ...)                                                    \
    switch (sk_isa()) {                                                      \
    case SK_ISA_AVX512: return fn##_avx512(__VA_ARGS__);                     \
    case SK_ISA_AVX2: return fn##_avx2(__VA_ARGS__);                         \
    default: return fn##_baseline(__VA_ARGS__);                              \
    }
#else
#define DISPATCH(fn, ...) return fn##_baseline(__VA_ARGS__);
#endif

/* The public entry points, sk_softmax_f32 and the rest of softmax.h's list: the thread
 * count bounded by the work, then the ISA's build. */
#define SK_DEFINE_ENTRY(name, PARAMS, WORK, T, tsfx)                                       \
    int sk_##name##tsfx(PARAMS(SK_PARAM, T) int nthreads)                                  \
    {                                                                                      \
        int nt = threads_for(WORK, nthreads);                                              \
        DISPATCH(sk_##name##tsfx, PARAMS(SK_ARG, T) nt)                                    \
    }
#define SK_DEFINE_ENTRIES(name, PARAMS, WORK)                                              \
    SK_DEFINE_ENTRY(name, PARAMS, WORK, float, _f32)                                       \
    SK_DEFINE_ENTRY(name, PARAMS, WORK, double, _f64)
SK_KERNELS(SK_DEFINE_ENTRIES)

/* memcpy of nbytes split over nthreads: the bandwidth bound the benchmarks compare
 * against (reading the input once and writing the output once). */
void sk_parallel_copy(void *dst, const void *src, size_t nbytes, int nthreads)
{
    int nt = threads_for((ptrdiff_t)(nbytes / 4), nthreads);
    size_t per = (nbytes / (size_t)nt + 63) & ~(size_t)63;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        size_t a = (size_t)t * per < nbytes ? (size_t)t * per : nbytes;
        size_t b = (size_t)(t + 1) * per < nbytes ? (size_t)(t + 1) * per : nbytes;
        if (t == nt - 1) b = nbytes;
        memcpy((char *)dst + a, (const char *)src + a, b - a);
    }
}
