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

