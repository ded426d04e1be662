/* Dispatch and OpenMP driver of the elementwise kernels (see fxp_elementwise.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "fxp_rng.h"
#include "fxp_round.h"
#include "fxp_cpu.h"
#include "fxp_elementwise.h"

/* an internal load_op code: a product of two factors that fit int32 (no shifts) */
#define FXP_OP_MUL32 4
static inline int fxp_load_op_code(const fxp_int_op_t *p)
{
    const int fits32 = p->a_shift == 0 && p->b_shift == 0 &&
                       fxp_type_magnitude_bits(p->a_type) <= 31 && fxp_type_magnitude_bits(p->b_type) <= 31;
    return p->op == FXP_OP_MUL && fits32 ? FXP_OP_MUL32 : p->op;
}

#define FXP_SFX _portable
#define FXP_TGT
#define FXP_BLOCK_FILL fxp_rng_block_fill
#include "fxp_elementwise_body.inc"
#undef FXP_SFX
#undef FXP_TGT

#if FXP_X86
#include "fxp_elementwise_simd.inc"
#include "fxp_elementwise_avx2.inc"
#include "fxp_elementwise_avx512.inc"

#define FXP_QUANTIZE_CLAMP_FN quantize_clamp_avx2
#define FXP_SFX _avx2
#define FXP_TGT FXP_AVX2_TARGET
#include "fxp_elementwise_body.inc"
#undef FXP_SFX
#undef FXP_TGT
#undef FXP_QUANTIZE_CLAMP_FN
#undef FXP_BLOCK_FILL
#define FXP_BLOCK_FILL block_fill_avx512
#define FXP_QUANTIZE_CLAMP_FN quantize_clamp_avx512
#define FXP_SFX _avx512
#define FXP_TGT FXP_AVX512_TARGET
#include "fxp_elementwise_body.inc"
#undef FXP_SFX
#undef FXP_TGT
#endif

/* Integer ops whose exact result may not fit int64 (unsigned 32 x 32-bit products, sums of
 * operands aligned by more than 30 bits): scalar, through __int128 and fxp_requantize_i128.
 * Callers guarantee the aligned operands and the result fit 127 bits. */
static int64_t int_op_chunk_wide(const fxp_int_op_t *p, int64_t start, int64_t n)
{
    int64_t a[FXP_RNG_BLOCK], b[FXP_RNG_BLOCK];
    uint64_t r[FXP_RNG_BLOCK];
    load_portable(p->a, p->a_type, p->a_stride, start, n, 0, a);
    load_portable(p->b, p->b_type, p->b_stride, start, n, 0, b);
    const int stochastic = p->mode == FXP_STOCHASTIC && p->s > 0;
    if (stochastic) fxp_rng_block_fill(p->key, (uint64_t)(start / FXP_RNG_BLOCK), r, n);
    int64_t over = 0;
    for (int64_t i = 0; i < n; ++i) {
        /* shifts through unsigned: a left shift of a negative value is undefined in C */
        const fxp_i128 x = (fxp_i128)((unsigned __int128)(fxp_i128)a[i] << p->a_shift);
        const fxp_i128 y = (fxp_i128)((unsigned __int128)(fxp_i128)b[i] << p->b_shift);
        const fxp_i128 v = p->op == FXP_OP_ADD ? x + y : p->op == FXP_OP_SUB ? x - y : x * y;
        a[i] = fxp_requantize_i128(v, p->s, p->mode, stochastic ? r[i] : 0, p->lo, p->hi, p->w,
                                   p->ovf, &over);
    }
    return over + round_narrow_store_portable(a, n, 0, p->mode, r, p->out, p->out_type, start,
                                              p->lo, p->hi, p->w, FXP_SATURATE);
}

/* whether the exact op fits int64 (else int_op_chunk_wide): see fxp_type_magnitude_bits */
static int fits_int64(const fxp_int_op_t *p)
{
    const int a = fxp_type_magnitude_bits(p->a_type) + p->a_shift;
    const int b = fxp_type_magnitude_bits(p->b_type) + p->b_shift;
    switch (p->op) {
    case FXP_OP_COPY: return 1;               /* fxp_requantize_i64 shifts any int64 exactly */
    case FXP_OP_MUL: return a + b <= 63;
    default: return a <= 62 && b <= 62;       /* |sum| <= 2**63, and +2**63 is impossible */
    }
}

typedef int64_t (*int_chunk_fn)(const fxp_int_op_t *, int64_t, int64_t);
typedef void (*quantize_chunk_fn)(const fxp_quantize_t *, int64_t, int64_t, int64_t *);

static int g_level = -1;

int fxp_simd_level(int want)
{
    const int best = fxp_cpu_level();
    if (want < 0) want = fxp_simd_level_from_env();
    g_level = (want < 0 || want > best) ? best : want;
    return g_level;
}

static int level(void) { return g_level < 0 ? fxp_simd_level(-1) : g_level; }

/* the variant of chunk function `name` for the SIMD level in use */
#if FXP_X86
#define FXP_PICK(name) (level() == 2 ? name##_avx512 : level() == 1 ? name##_avx2 : name##_portable)
#else
#define FXP_PICK(name) name##_portable
#endif

/* Chunks [c0, c1) of an n-element int op; returns their overflow count. */
static int64_t int_op_chunks(int_chunk_fn fn, const fxp_int_op_t *p, int64_t n, int64_t c0, int64_t c1)
{
    int64_t over = 0;
    for (int64_t c = c0; c < c1; ++c) {
        const int64_t start = c * FXP_RNG_BLOCK;
        over += fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK);
    }
    return over;
}

/* Chunks [c0, c1) of an n-element quantize, adding to counts. */
static void quantize_chunks(quantize_chunk_fn fn, const fxp_quantize_t *p, int64_t n, int64_t c0, int64_t c1,
                            int64_t counts[3])
{
    for (int64_t c = c0; c < c1; ++c) {
        const int64_t start = c * FXP_RNG_BLOCK;
        fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK, counts);
    }
}

/* The drivers enter an OpenMP region only for n_threads > 1: even a one-thread region costs
 * a futex system call per kernel call in libgomp. */
void fxp_int_op(const fxp_int_op_t *p, int64_t n, int n_threads, int64_t *n_over)
{
    int_chunk_fn fn = fits_int64(p) ? FXP_PICK(int_op_chunk) : int_op_chunk_wide;
#if FXP_X86
    /* a widening copy (s < 0) is the same op as a copy of the operand shifted left by -s */
    fxp_int_op_t widened = *p;
    if (p->op == FXP_OP_COPY && p->s < 0 && p->s > -32) {
        widened.a_shift -= p->s;
        widened.s = 0;
    }
    if (level() >= 1 && int_op32_fits(&widened)) {
        fn = level() == 2 ? int_op32_avx512 : int_op32_avx2;
        p = &widened;
    } else if (level() == 2 && int_op64_fits_avx512(p)) {
        fn = int_op64_avx512;
    }
#endif
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    int64_t over = 0;
    if (n_threads <= 1) {
        over = int_op_chunks(fn, p, n, 0, n_chunks);
    } else {
        #pragma omp parallel for schedule(dynamic, 16) num_threads(n_threads) reduction(+:over)
        for (int64_t c = 0; c < n_chunks; ++c) over += int_op_chunks(fn, p, n, c, c + 1);
    }
    *n_over += over;
}

void fxp_quantize(const fxp_quantize_t *p, int64_t n, int n_threads, int64_t counts[3])
{
    const quantize_chunk_fn fn = FXP_PICK(quantize_chunk);
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    if (n_threads <= 1) {
        quantize_chunks(fn, p, n, 0, n_chunks, counts);
        return;
    }
    int64_t c0 = 0, c1 = 0, c2 = 0;
    #pragma omp parallel for schedule(dynamic, 16) num_threads(n_threads) reduction(+:c0, c1, c2)
    for (int64_t c = 0; c < n_chunks; ++c) {
        int64_t local[3] = {0, 0, 0};
        quantize_chunks(fn, p, n, c, c + 1, local);
        c0 += local[0]; c1 += local[1]; c2 += local[2];
    }
    counts[0] += c0; counts[1] += c1; counts[2] += c2;
}
