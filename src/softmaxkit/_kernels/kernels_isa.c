/*
 * One instruction set's build of the kernels. meson.build compiles this file once per
 * ISA with -DSK_BUILD_AVX512, -DSK_BUILD_AVX2 or neither (the baseline, which is also
 * what non-x86 machines build), each with its own -m flags and SK_ISA_SUFFIX. The
 * kernel code itself (kernels.inc) is written once with GCC vector extensions; what
 * differs per ISA is the vector width, FMA, how a 16-entry table is looked up, and
 * where an instruction does better than the generic code (masked loads, vscalef).
 *
 * Built with -ffp-contract=off: the exact two-sum and Dekker products must not be
 * fused behind our back; every fused multiply-add is an explicit VFMA.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "exp_tables.h"
#include "softmax.h"

#if defined(SK_BUILD_AVX512)
#include <immintrin.h>
#define SK_VBYTES 64
#define SK_HAS_FMA 1
#elif defined(SK_BUILD_AVX2)
#include <immintrin.h>
#define SK_VBYTES 32
#define SK_HAS_FMA 1
#elif defined(__aarch64__)
#include <arm_neon.h> /* every aarch64 CPU has NEON with fused multiply-add */
#define SK_VBYTES 16
#define SK_HAS_FMA 1
#else
#if defined(__SSE2__)
#include <emmintrin.h> /* x86's baseline: max and min */
#endif
#define SK_VBYTES 16
#define SK_HAS_FMA 0
#endif

/* a*b + c on double vectors of the machine's width, fused where the ISA has FMA: the
 * float64 kernels' VFMA, and the float32 panels' log, which works in double. */
#if defined(SK_BUILD_AVX512)
#define SK_DFMA(a, b, c) _mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c))
#elif defined(SK_BUILD_AVX2)
#define SK_DFMA(a, b, c) _mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c))
#elif defined(__aarch64__)
#define SK_DFMA(a, b, c) vfmaq_f64((float64x2_t)(c), (float64x2_t)(a), (float64x2_t)(b))
#else
#define SK_DFMA(a, b, c) ((a) * (b) + (c))
#endif

#define SK_CAT_(a, b) a##b
#define SK_CAT(a, b) SK_CAT_(a, b)
#define SK_NAME(f) SK_CAT(f, SK_ISA_SUFFIX)

/* Slices at least this long are worked in fixed parts, shared by the threads when there
 * are fewer slices than threads ([Note: long slices] in kernels.inc). */
#define SK_SPLIT_SLICE (1 << 15)
#define SK_SLICE_PARTS 64 /* [Note: long slices] in kernels.inc */
#define SK_SLICE_PART_MIN (1 << 14)
#define SK_ACC_CHUNK (1 << 14) /* [Note: long sums] in kernels.inc */
#define SK_PANEL_ROWS 2048     /* the same, for the lanes of a panel */
#define SK_MAX_THREADS 256

/* float32, then float64: each type's parameters, then the kernels written over them */
#include "type_f32.h"
#include "kernels.inc"
#include "type_undef.h"

#include "type_f64.h"
#include "kernels.inc"

