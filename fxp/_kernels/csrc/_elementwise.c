/* Dispatch and OpenMP driver of the elementwise kernels (see fxp_elementwise.h). */
#include <math.h>
#include <stdint.h>
#include "fxp_rng.h"
#include "fxp_round.h"
#include "fxp_elementwise.h"

#define FXP_SFX _portable
#define FXP_TGT
#define FXP_BLOCK_FILL fxp_rng_block_fill
#include "fxp_elementwise_body.h"
#undef FXP_SFX
#undef FXP_TGT

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FXP_X86_DISPATCH 1
/* feature lists rather than "arch=x86-64-v3/v4", which older compilers do not know */
#define FXP_AVX2_TARGET __attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c")))
#define FXP_AVX512_TARGET \
    __attribute__((target("avx2,fma,bmi,bmi2,lzcnt,popcnt,f16c,avx512f,avx512bw,avx512cd,avx512dq,avx512vl")))
#include <immintrin.h>

/* One xoroshiro128+ step of the 8 lane streams held in (*a, *b); returns their 8 words. */
FXP_AVX512_TARGET
static inline __m512i xoroshiro_next_avx512(__m512i *a, __m512i *b)
{
    const __m512i word = _mm512_add_epi64(*a, *b);
    *b = _mm512_xor_si512(*b, *a);
    *a = _mm512_xor_si512(_mm512_xor_si512(_mm512_rol_epi64(*a, 24), *b), _mm512_slli_epi64(*b, 16));
    *b = _mm512_rol_epi64(*b, 37);
    return word;
}

/* fxp_rng_block_fill with the 8 lanes in one AVX-512 register (same bits; tested). */
FXP_AVX512_TARGET
static void block_fill_avx512(uint64_t key, uint64_t block, uint64_t *out, int64_t n)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    __m512i a = _mm512_loadu_si512(s0), b = _mm512_loadu_si512(s1);
    int64_t p = 0;
    for (; p + FXP_RNG_LANES <= n; p += FXP_RNG_LANES)
        _mm512_storeu_si512(out + p, xoroshiro_next_avx512(&a, &b));
    if (p < n) {
        uint64_t tail[FXP_RNG_LANES];
        _mm512_storeu_si512(tail, _mm512_add_epi64(a, b));
        for (int l = 0; p + l < n; ++l) out[p + l] = tail[l];
    }
}
#define FXP_SFX _avx2
#define FXP_TGT FXP_AVX2_TARGET
#include "fxp_elementwise_body.h"
#undef FXP_SFX
#undef FXP_TGT
/* Stochastic quantize with AVX-512 of the elements of stream block `block` (n <= 1024):
 * v[i] = clamp(floor(x[i]*scale + r[i]*2**-64), lo, hi), the rule of fxp_round_double, counting
 * out-of-range / NaN / inf elements into counts[0..2] like the portable loop.  The 8 lanes of
 * the block's streams advance in one register, so r[i..i+7] never touch memory.  Floor and the
 * round-up conversion use embedded rounding; the carry test is an unsigned compare. */
FXP_AVX512_TARGET
static void sr_quantize_avx512(const double *x, double scale, uint64_t key, uint64_t block, int64_t n,
                               double lo, double hi, int64_t *v, int64_t counts[3])
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    __m512i ra = _mm512_loadu_si512(s0), rb = _mm512_loadu_si512(s1);
    const __m512d vscale = _mm512_set1_pd(scale), zero = _mm512_setzero_pd();
    const __m512d two64 = _mm512_set1_pd(0x1p64), minus_two64 = _mm512_set1_pd(-0x1p64);
    const __m512d minus1 = _mm512_set1_pd(-1.0), one = _mm512_set1_pd(1.0);
    const __m512d vlo = _mm512_set1_pd(lo), vhi = _mm512_set1_pd(hi), inf = _mm512_set1_pd(INFINITY);
    const __m512i sign = _mm512_set1_epi64(INT64_MIN), tiny = _mm512_set1_epi64(1);  /* 2**-1074 */
    const int may_underflow = scale < 1.0;   /* x * scale can only underflow to 0 when scale < 1 */
    int64_t over = 0, nan = 0, infs = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d xv = _mm512_loadu_pd(x + i);
        __m512d y = _mm512_mul_pd(xv, vscale);
        if (may_underflow) {
            const __mmask8 under = _mm512_cmp_pd_mask(y, zero, _CMP_EQ_OQ) & _mm512_cmp_pd_mask(xv, zero, _CMP_NEQ_UQ);
            y = _mm512_mask_mov_pd(y, under, _mm512_castsi512_pd(
                    _mm512_or_si512(_mm512_and_si512(_mm512_castpd_si512(xv), sign), tiny)));
        }
        const __m512d fl = _mm512_roundscale_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        __m512i F = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_sub_pd(y, fl), two64));
        const __mmask8 small = _mm512_cmp_pd_mask(fl, minus1, _CMP_EQ_OQ) & _mm512_cmp_pd_mask(y, minus1, _CMP_NEQ_UQ);
        if (small) {   /* y in (-1, 0): rare in practice, so branch */
            const __m512i c = _mm512_cvt_roundpd_epu64(_mm512_mul_pd(y, minus_two64), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
            F = _mm512_mask_sub_epi64(F, small, _mm512_setzero_si512(), c);
        }
        const __m512i rv = xoroshiro_next_avx512(&ra, &rb);
        const __mmask8 carry = _mm512_cmp_epu64_mask(_mm512_add_epi64(rv, F), rv, _MM_CMPINT_LT);
        __m512d q = _mm512_mask_add_pd(fl, carry, fl, one);
        nan += __builtin_popcount(_mm512_cmp_pd_mask(xv, xv, _CMP_UNORD_Q));
        infs += __builtin_popcount(_mm512_cmp_pd_mask(_mm512_abs_pd(xv), inf, _CMP_EQ_OQ));
        over += __builtin_popcount(_mm512_cmp_pd_mask(q, vlo, _CMP_LT_OQ) | _mm512_cmp_pd_mask(q, vhi, _CMP_GT_OQ));
        q = _mm512_min_pd(_mm512_max_pd(q, vlo), vhi);   /* a NaN becomes hi; NaN input raises anyway */
        _mm512_storeu_si512(v + i, _mm512_cvttpd_epi64(q));
    }
    uint64_t tail[FXP_RNG_LANES];
    _mm512_storeu_si512(tail, _mm512_add_epi64(ra, rb));
    for (; i < n; ++i) {
        const double xv = x[i];
        double y = xv * scale;
        y = (y == 0.0 && xv != 0.0) ? copysign(0x1p-1074, xv) : y;
        double q = fxp_round_double(y, FXP_STOCHASTIC, tail[i % FXP_RNG_LANES]);
        nan += xv != xv;
        infs += fabs(xv) == INFINITY;
        over += (q < lo) | (q > hi);
        q = q < lo ? lo : q;
        q = q > hi ? hi : q;
        v[i] = q == q ? (int64_t)q : 0;
    }
    counts[0] += over;
    counts[1] += nan;
    counts[2] += infs;
}

#undef FXP_BLOCK_FILL
#define FXP_BLOCK_FILL block_fill_avx512
#define FXP_SR_QUANTIZE_FN sr_quantize_avx512
#define FXP_SFX _avx512
#define FXP_TGT FXP_AVX512_TARGET
#include "fxp_elementwise_body.h"
#undef FXP_SFX
#undef FXP_TGT
#endif

typedef int64_t (*int_chunk_fn)(const fxp_int_op_t *, int64_t, int64_t);
typedef void (*quantize_chunk_fn)(const fxp_quantize_t *, int64_t, int64_t, int64_t *);

static int g_level = -1;

static int cpu_level(void)
{
#ifdef FXP_X86_DISPATCH
    __builtin_cpu_init();
    const int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
    const int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("avx512cd");
    if (v4) return 2;
    if (v3) return 1;
#endif
    return 0;
}

int fxp_simd_level(int want)
{
    const int best = cpu_level();
    g_level = (want < 0 || want > best) ? best : want;
    return g_level;
}

static int level(void) { return g_level < 0 ? fxp_simd_level(-1) : g_level; }

/* the variant of chunk function `name` for the SIMD level in use */
#ifdef FXP_X86_DISPATCH
#define FXP_PICK(name) (level() == 2 ? name##_avx512 : level() == 1 ? name##_avx2 : name##_portable)
#else
#define FXP_PICK(name) name##_portable
#endif

void fxp_int_op(const fxp_int_op_t *p, int64_t n, int n_threads, int64_t *n_over)
{
    const int_chunk_fn fn = FXP_PICK(int_op_chunk);
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    int64_t over = 0;
    #pragma omp parallel for schedule(dynamic, 16) num_threads(n_threads) reduction(+:over) if(n_threads > 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
        const int64_t start = c * FXP_RNG_BLOCK;
        over += fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK);
    }
    *n_over += over;
}

void fxp_quantize(const fxp_quantize_t *p, int64_t n, int n_threads, int64_t counts[3])
{
    const quantize_chunk_fn fn = FXP_PICK(quantize_chunk);
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    int64_t c0 = 0, c1 = 0, c2 = 0;
    #pragma omp parallel for schedule(dynamic, 16) num_threads(n_threads) reduction(+:c0, c1, c2) if(n_threads > 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
        int64_t local[3] = {0, 0, 0};
        const int64_t start = c * FXP_RNG_BLOCK;
        fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK, local);
        c0 += local[0]; c1 += local[1]; c2 += local[2];
    }
    counts[0] += c0; counts[1] += c1; counts[2] += c2;
}
