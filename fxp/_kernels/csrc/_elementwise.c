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
#include <immintrin.h>

/* fxp_rng_block_fill with the 8 lanes in one AVX-512 register (same bits; tested). */
__attribute__((target("arch=x86-64-v4")))
static void block_fill_avx512(uint64_t key, uint64_t block, uint64_t *out, int64_t n)
{
    uint64_t s0[FXP_RNG_LANES], s1[FXP_RNG_LANES];
    fxp_rng_block_seed(key, block, s0, s1);
    __m512i a = _mm512_loadu_si512(s0), b = _mm512_loadu_si512(s1);
    int64_t p = 0;
    for (; p + FXP_RNG_LANES <= n; p += FXP_RNG_LANES) {
        _mm512_storeu_si512(out + p, _mm512_add_epi64(a, b));
        b = _mm512_xor_si512(b, a);
        a = _mm512_xor_si512(_mm512_xor_si512(_mm512_rol_epi64(a, 24), b), _mm512_slli_epi64(b, 16));
        b = _mm512_rol_epi64(b, 37);
    }
    if (p < n) {
        uint64_t tail[FXP_RNG_LANES];
        _mm512_storeu_si512(tail, _mm512_add_epi64(a, b));
        for (int l = 0; p + l < n; ++l) out[p + l] = tail[l];
    }
}
#define FXP_SFX _avx2
#define FXP_TGT __attribute__((target("arch=x86-64-v3")))
#include "fxp_elementwise_body.h"
#undef FXP_SFX
#undef FXP_TGT
#undef FXP_BLOCK_FILL
#define FXP_BLOCK_FILL block_fill_avx512
#define FXP_SFX _avx512
#define FXP_TGT __attribute__((target("arch=x86-64-v4")))
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
    if (__builtin_cpu_supports("x86-64-v4")) return 2;
    if (__builtin_cpu_supports("x86-64-v3")) return 1;
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

void fxp_int_op(const fxp_int_op_t *p, int64_t n, int n_threads, int64_t *n_over)
{
    int_chunk_fn fn = int_op_chunk_portable;
#ifdef FXP_X86_DISPATCH
    if (level() == 2) fn = int_op_chunk_avx512;
    else if (level() == 1) fn = int_op_chunk_avx2;
#endif
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    int64_t over = 0;
    #pragma omp parallel for schedule(static) num_threads(n_threads) reduction(+:over) if(n_threads > 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
        const int64_t start = c * FXP_RNG_BLOCK;
        over += fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK);
    }
    *n_over += over;
}

void fxp_quantize(const fxp_quantize_t *p, int64_t n, int n_threads, int64_t counts[3])
{
    quantize_chunk_fn fn = quantize_chunk_portable;
#ifdef FXP_X86_DISPATCH
    if (level() == 2) fn = quantize_chunk_avx512;
    else if (level() == 1) fn = quantize_chunk_avx2;
#endif
    const int64_t n_chunks = (n + FXP_RNG_BLOCK - 1) / FXP_RNG_BLOCK;
    int64_t c0 = 0, c1 = 0, c2 = 0;
    #pragma omp parallel for schedule(static) num_threads(n_threads) reduction(+:c0, c1, c2) if(n_threads > 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
        int64_t local[3] = {0, 0, 0};
        const int64_t start = c * FXP_RNG_BLOCK;
        fn(p, start, n - start < FXP_RNG_BLOCK ? n - start : FXP_RNG_BLOCK, local);
        c0 += local[0]; c1 += local[1]; c2 += local[2];
    }
    counts[0] += c0; counts[1] += c1; counts[2] += c2;
}
