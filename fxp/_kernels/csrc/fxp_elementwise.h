/* Elementwise fixed-point kernels: quantize floats, requantize / add / subtract / multiply raws.
 *
 * Design: the flat output is cut into chunks of FXP_RNG_BLOCK (1024) elements, aligned to the
 * flat index, so a chunk is exactly one block of the stochastic stream rule.  Chunks are the
 * OpenMP work items, scheduled dynamically 16 at a time (a thread slowed by another process
 * does not hold the others up; the bits never depend on who ran a chunk).  A chunk runs a short
 * pipeline through L1-resident buffers: load (widen + align) -> exact op -> one rounding ->
 * narrow (saturate / wrap, counting overflows) -> store.  Each stage is a simple loop the
 * compiler vectorises; the loops are compiled three times (AVX-512 = the x86-64-v4 features,
 * AVX2 = v3, portable) and picked at run time.  All stages are exact integer code or exact
 * floating-point steps, so every variant gives the same bits.
 */
#ifndef FXP_ELEMENTWISE_H
#define FXP_ELEMENTWISE_H
#include <stdint.h>
#include "fxp_types.h"

enum { FXP_OP_COPY = 0, FXP_OP_ADD = 1, FXP_OP_SUB = 2, FXP_OP_MUL = 3 };

/* Integer op: out = narrow(round((a << a_shift) OP (b << b_shift), s)).  Operand strides are
 * 1 (contiguous, n elements) or 0 (one broadcast element).  Ops whose exact result fits int64
 * run vectorised; the others (unsigned 32 x 32-bit products, sums of operands aligned by more
 * than 30 bits) run through __int128.  Callers guarantee |a << a_shift| and |b << b_shift|
 * <= 2**126 (sums) or a product below 2**127. */
typedef struct {
    const void *a; int a_type; int64_t a_stride; int a_shift;
    const void *b; int b_type; int64_t b_stride; int b_shift;
    int op;
    void *out; int out_type;
    int s;          /* right shift of the exact result (negative: left shift) */
    int mode, ovf;  /* FXP_NEAREST_EVEN..FXP_STOCHASTIC, FXP_SATURATE/WRAP/RAISE */
    int64_t lo, hi; int w;
    uint64_t key;   /* stochastic key */
} fxp_int_op_t;

/* Quantize: out = narrow(round(x * scale)).  counts[0] += out-of-range (incl. +-inf),
 * counts[1] += NaN, counts[2] += +-inf.  The output of NaN elements (and, under wrap, of +-inf
 * elements) is unspecified: callers raise on them. */
typedef struct {
    const double *x;
    const float *x32;   /* float32 input instead of x when not NULL (widened per chunk, exact) */
    void *out; int out_type;
    double scale;   /* 2**frac_bits */
    int mode, ovf;
    int64_t lo, hi; int w;
    uint64_t key;
} fxp_quantize_t;

void fxp_int_op(const fxp_int_op_t *p, int64_t n, int n_threads, int64_t *n_over);
void fxp_quantize(const fxp_quantize_t *p, int64_t n, int n_threads, int64_t counts[3]);
/* SIMD level (fxp_cpu.h): 0 portable, 1 AVX2, 2 AVX-512.  `want` < 0 selects the
 * level FXP_SIMD_LEVEL asks for, or without it the best the CPU supports; returns the level in
 * use (never above what the CPU supports). */
int fxp_simd_level(int want);

#endif
