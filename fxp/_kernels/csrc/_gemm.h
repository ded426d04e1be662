/* Bounded-accumulator integer GEMM: C[b] = A[b] @ B[b] with acc_bits-wide
 * per-addition saturating or wrapping accumulation (see _gemm.c). */
#ifndef FXP_GEMM_H
#define FXP_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* Operand element types: the storage codes; the GEMM takes FXP_I8 .. FXP_I32. */
#include "fxp_types.h"

/* Which kernel ran (for tests and benchmarks). */
enum { FXP_PATH_NONE = 0, FXP_PATH_BLIS16 = 1, FXP_PATH_ROW32 = 2, FXP_PATH_ROW64 = 3,
       FXP_PATH_VNNI8 = 4 };

typedef struct {
    const char *a;              /* IN: operand A, element type a_type          */
    int a_type;
    ptrdiff_t a_rs, a_cs;       /* row / column strides of A, in elements      */
    const ptrdiff_t *a_off;     /* per batch item: offset of A, in elements    */
    const char *b;              /* IN: operand B                               */
    int b_type;
    ptrdiff_t b_rs, b_cs;
    const ptrdiff_t *b_off;
    int64_t *c;                 /* OUT: n_batch x m x n accumulators, C order  */
    ptrdiff_t n_batch, m, n, k;
    int acc_bits;               /* 2..64                                       */
    int wrap;                   /* 0: saturate, 1: wrap                        */
    ptrdiff_t chunk;            /* chunk length; >= k (or <= 0) means one level */
    int n_threads;              /* the team size, decided by the caller (threads_for in
                                 * fxp/_context.py); a shape with fewer work items
                                 * than threads leaves some idle (see fxpg_d1_run) */
    int isa;                    /* -1: the best FXP_SIMD_LEVEL allows; tests only: 0
                                 * portable, 1 avx2, 2 avx512bw, 3 +vnni (capped at the CPU's) */
    int force_row;              /* 1: never take the BLIS path (tests)         */
    int out_int32;              /* IN: 1 lets a one-item product leave C as int32
                                 * (first half of c); OUT: whether it did       */
    int path;                   /* OUT: FXP_PATH_* of the last batch item      */
} fxp_gemm_args;

/* Returns the number of outputs whose accumulation hit the bound (exact in
 * both modes), or -1 when out of memory. */
int64_t fxp_gemm(fxp_gemm_args *args);

/* The best kernel set the running CPU supports: 0 portable, 1 AVX2, 2 AVX-512BW, 3 AVX-512
 * VNNI (levels 0, 1, 2 of fxp_cpu.h, and VNNI within level 2). */
int fxp_gemm_best_isa(void);

#endif
