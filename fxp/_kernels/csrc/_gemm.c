/* Bounded-accumulator integer GEMM.
 *
 * Design
 * ------
 * The specification is fxp/_reference_gemm.py: for every output, products
 * a[i,k]*b[k,j] (exact) are added in the order k = 0..K-1 into an acc_bits
 * accumulator, clamping (saturate) or wrapping after every addition, with an
 * optional second level for chunked accumulation.  Saturating addition is not
 * associative, so the order is part of the spec.  Two drivers reproduce it:
 *
 * 1. BLIS16 (d1_*): the five BLIS loops (jc/NC, pc/KC, ic/MC, jr/NR, ir/MR)
 *    around a register-blocked micro-kernel that multiplies int16 pairs into
 *    int32 lanes (vpmaddwd; AVX-512BW 12x32, AVX2 6x16, portable C 6x16).  It
 *    runs in ANY order, so it is used only when the order cannot matter:
 *    (a) saturate mode when the cheap bound
 *          min(max_i sum_k|a_ik| * max|b|,  max|a| * max_j sum_k|b_kj|)
 *        is <= the accumulator's largest value and <= INT32_MAX: no partial
 *        sum of any output, in any order or chunking, can reach the bound; or
 *    (b) wrap mode with acc_bits <= 32: per-addition wrapping equals one wrap
 *        of the int32 (mod 2**32) sum, since addition mod 2**n is associative;
 *    (c) otherwise with checkpoints: every G products (G * max|a*b| <= lim/2)
 *        each |partial sum| is compared with lim - G * max|a*b|; a row whose
 *        checkpoints all pass never reached the bound, so its int32 sum is the
 *        sequential result; failing rows are recomputed by driver 2.
 * 2. ROW (d2_*): for one output row and a block of NB columns, the whole K
 *    loop runs sequentially, vectorised across the NB columns, in int32 lanes
 *    (int8/int16 operands, acc_bits <= 32) or int64 lanes.  Each (row, column
 *    block) task re-checks the bound with its own row and columns and, when it
 *    holds, takes the plain (unclamped) loop, else a checked plain loop, else
 *    the per-addition saturating or wrapping loop, which also records which
 *    outputs hit the bound.  With AVX-512 and int32 lanes, saturating tasks are
 *    queued and run four rows at a time (sat4_avx512).
 * Every path is exact integer arithmetic, so all paths, ISAs, thread counts
 * and block sizes give the same bits.  Extra memory: packing buffers only
 * (the accumulator array C is owned by the caller; driver 1 keeps int32 sums
 * in its first half).
 *
 * Arithmetic: signed overflow is never relied on; wrapping sums use unsigned
 * types.  Right shifts of negative values are assumed arithmetic
 * (implementation-defined in C, arithmetic on every compiler we build with).
 */
#include "_gemm.h"
#include "fxp_cpu.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define FXP_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void *fxp_alloc(size_t bytes)
{
    size_t size = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, size ? size : 64);
}

static ptrdiff_t min_pd(ptrdiff_t x, ptrdiff_t y) { return x < y ? x : y; }

/* the GEMM's kernel sets on the level scale of fxp_cpu.h, VNNI within level 2 counting as 3 */
int fxp_gemm_best_isa(void)
{
    const int level = fxp_cpu_level();
    return level == 2 && fxp_cpu_has_vnni() ? 3 : level;
}

/* A view of one batch item's operands. */
typedef struct {
    const char *a, *b;
    int a_type, b_type;
    ptrdiff_t a_rs, a_cs, b_rs, b_cs;
    ptrdiff_t m, n, k;
    int64_t *c;
} mat_view;


/* Per-row sums and maxima of |A| and per-column ones of |B|: the bound data. */
typedef struct {
    uint64_t *rowabs, *rowmax, *colabs, *colmax;
} bound_data;

#define FXP_TYPED_SWITCH(type, FN, ...)                 \
    switch (type) {                                     \
    case FXP_I8: FN##_int8_t(__VA_ARGS__); break;       \
    case FXP_U8: FN##_uint8_t(__VA_ARGS__); break;      \
    case FXP_I16: FN##_int16_t(__VA_ARGS__); break;     \
    case FXP_U16: FN##_uint16_t(__VA_ARGS__); break;    \
    default: FN##_int32_t(__VA_ARGS__); break;          \
    }
#define FXP_FOR_TYPES(X) X(int8_t) X(uint8_t) X(int16_t) X(uint16_t) X(int32_t)

/* sum and max of |x[l*ls + k*ks]| over k, for lines l in [l0, l1); the loop
 * order follows the smaller stride so both operand layouts stream, and the
 * unit-stride cases are spelled out so that they vectorise. */
#define ABS_U(e) ((uint64_t)((e) < 0 ? -(int64_t)(e) : (int64_t)(e)))
/* A row with unit stride: 32-bit partial sums for 8/16-bit types (|x| <= 2**16,
 * 2**15 terms per block) so that the loop vectorises. */
#define DEF_ABS_ROW(T, A)                                                                     \
    FXP_INLINE void abs_row_##T(const T *row, ptrdiff_t K, uint64_t *sum, uint64_t *mx)       \
    {                                                                                         \
        uint64_t s_ = 0;                                                                      \
        A m_ = 0;                                                                             \
        for (ptrdiff_t k0 = 0; k0 < K; k0 += 32768) {                                         \
            const ptrdiff_t k1 = K - k0 < 32768 ? K : k0 + 32768;                             \
            A b_ = 0;                                                                         \
            for (ptrdiff_t k = k0; k < k1; k++) {                                             \
                A ae = (A)(row[k] < 0 ? -(int64_t)row[k] : (int64_t)row[k]);                  \
                b_ += ae;                                                                     \
                m_ = ae > m_ ? ae : m_;                                                       \
            }                                                                                 \
            s_ += b_;                                                                         \
        }                                                                                     \
        *sum = s_, *mx = m_;                                                                  \
    }
/* Up to COLS_MAX unit-stride lines, k steps ks apart: the same 32-bit partial sums,
 * so that the loop over the lines vectorises in 32-bit lanes; many lines at a time,
 * so that each k step reads whole cache lines of a row-major operand. */
#define COLS_MAX 512
#define DEF_ABS_COLS(T, A)                                                                    \
    FXP_INLINE void abs_cols_##T(const T *x, ptrdiff_t nl, ptrdiff_t K, ptrdiff_t ks,          \
                                 uint64_t *sum, uint64_t *mx)                                  \
    {                                                                                         \
        A s_[COLS_MAX], m_[COLS_MAX];                                                         \
        for (ptrdiff_t l = 0; l < nl; l++)                                                    \
            m_[l] = 0;                                                                        \
        for (ptrdiff_t k0 = 0; k0 < K; k0 += 32768) {                                         \
            const ptrdiff_t k1 = K - k0 < 32768 ? K : k0 + 32768;                             \
            for (ptrdiff_t l = 0; l < nl; l++)                                                \
                s_[l] = 0;                                                                    \
            for (ptrdiff_t k = k0; k < k1; k++) {                                             \
                const T *col = x + k * ks;                                                    \
                for (ptrdiff_t l = 0; l < nl; l++) {                                          \
                    A ae = (A)(col[l] < 0 ? -(int64_t)col[l] : (int64_t)col[l]);              \
                    s_[l] += ae;                                                              \
                    m_[l] = ae > m_[l] ? ae : m_[l];                                          \
                }                                                                             \
            }                                                                                 \
            for (ptrdiff_t l = 0; l < nl; l++)                                                \
                sum[l] += s_[l];                                                              \
        }                                                                                     \
        for (ptrdiff_t l = 0; l < nl; l++)                                                    \
            mx[l] = m_[l];                                                                    \
    }
#define DEF_ABS(T, A) DEF_ABS_ROW(T, A) DEF_ABS_COLS(T, A)
DEF_ABS(int8_t, uint32_t)
DEF_ABS(uint8_t, uint32_t)
DEF_ABS(int16_t, uint32_t)
DEF_ABS(uint16_t, uint32_t)
DEF_ABS(int32_t, uint64_t)

#define DEF_ABS_LINES(T)                                                                      \
    FXP_INLINE void abs_lines_##T(const char *base, ptrdiff_t l0, ptrdiff_t l1, ptrdiff_t ls,      \
                              ptrdiff_t K, ptrdiff_t ks, uint64_t *sum, uint64_t *mx)          \
    {                                                                                         \
        const T *x = (const T *)base;                                                         \
        for (ptrdiff_t l = l0; l < l1; l++)                                                   \
            sum[l] = 0, mx[l] = 0;                                                            \
        if ((ks < 0 ? -ks : ks) <= (ls < 0 ? -ls : ls)) {                                     \
            for (ptrdiff_t l = l0; l < l1; l++) {                                             \
                const T *row = x + l * ls;                                                    \
                uint64_t s_ = 0, m_ = 0;                                                      \
                if (ks == 1) {                                                                \
                    abs_row_##T(row, K, &s_, &m_);                                            \
                } else {                                                                      \
                    for (ptrdiff_t k = 0; k < K; k++) {                                       \
                        uint64_t ae = ABS_U(row[k * ks]);                                     \
                        s_ += ae;                                                             \
                        m_ = ae > m_ ? ae : m_;                                               \
                    }                                                                         \
                }                                                                             \
                sum[l] = s_, mx[l] = m_;                                                      \
            }                                                                                 \
        } else {                                                                              \
            uint64_t *sp = sum + l0, *mp = mx + l0;                                           \
            const ptrdiff_t nl = l1 - l0;                                                     \
            for (ptrdiff_t q = 0; ls == 1 && q < nl; q += COLS_MAX)                           \
                abs_cols_##T(x + (l0 + q), min_pd(COLS_MAX, nl - q), K, ks, sp + q, mp + q);   \
            for (ptrdiff_t k = 0; ls != 1 && k < K; k++) {                                    \
                const T *col = x + l0 * ls + k * ks;                                          \
                for (ptrdiff_t l = 0; l < nl; l++) {                                          \
                    uint64_t ae = ABS_U(col[l * ls]);                                         \
                    sp[l] += ae;                                                              \
                    mp[l] = ae > mp[l] ? ae : mp[l];                                          \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }
FXP_FOR_TYPES(DEF_ABS_LINES)

/* One bound pass (both operands), compiled per ISA (the inline bodies above
 * vectorise with the caller's target). */
#define DEF_BOUNDS(SUFFIX, TARGET)                                                            \
    TARGET static void bounds_lines_##SUFFIX(const mat_view *v, bound_data *bd, int which,    \
                                             ptrdiff_t l0, ptrdiff_t l1)                      \
    {                                                                                         \
        if (which == 0) {                                                                     \
            FXP_TYPED_SWITCH(v->a_type, abs_lines, v->a, l0, l1, v->a_rs, v->k, v->a_cs,      \
                             bd->rowabs, bd->rowmax)                                          \
        } else {                                                                              \
            FXP_TYPED_SWITCH(v->b_type, abs_lines, v->b, l0, l1, v->b_cs, v->k, v->b_rs,      \
                             bd->colabs, bd->colmax)                                          \
        }                                                                                     \
    }
DEF_BOUNDS(portable, )
#if FXP_X86
DEF_BOUNDS(avx2, FXP_AVX2_TARGET)
DEF_BOUNDS(avx512, FXP_AVX512_TARGET)
#endif

static void bounds_compute(const mat_view *v, bound_data *bd, int nt, int isa)
{
    void (*lines)(const mat_view *, bound_data *, int, ptrdiff_t, ptrdiff_t) = bounds_lines_portable;
#if FXP_X86
    if (isa >= 2)
        lines = bounds_lines_avx512;
    else if (isa == 1)
        lines = bounds_lines_avx2;
#endif
    /* lines per task: 64 reductions along a unit stride, or COLS_MAX unit-stride lines */
    const ptrdiff_t la = v->a_rs == 1 && v->a_cs != 1 ? COLS_MAX : 64;
    const ptrdiff_t lb = v->b_cs == 1 && v->b_rs != 1 ? COLS_MAX : 64;
    const ptrdiff_t nm = (v->m + la - 1) / la, nn = (v->n + lb - 1) / lb;
    ptrdiff_t t;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (t = 0; t < nm + nn; t++) {
        if (t < nm)
            lines(v, bd, 0, t * la, min_pd(v->m, t * la + la));
        else
            lines(v, bd, 1, (t - nm) * lb, min_pd(v->n, (t - nm) * lb + lb));
    }
}

static uint64_t max_u64(const uint64_t *x, ptrdiff_t lo, ptrdiff_t hi)
{
    uint64_t mx = 0;
    for (ptrdiff_t i = lo; i < hi; i++)
        mx = x[i] > mx ? x[i] : mx;
    return mx;
}

/* Upper bound of sum_k |a_ik b_kj| over a set of outputs, saturated to 2**64-1. */
static uint64_t tile_bound(uint64_t rowabs, uint64_t rowmax, uint64_t colabs, uint64_t colmax)
{
    unsigned __int128 x = (unsigned __int128)rowabs * colmax;
    unsigned __int128 y = (unsigned __int128)rowmax * colabs;
    unsigned __int128 z = x < y ? x : y;
    return z > (unsigned __int128)UINT64_MAX ? UINT64_MAX : (uint64_t)z;
}

/* ------------------------------------------------------------------------ */
/* Driver 1: BLIS loops, int16 pairs -> int32 lanes                          */
/* ------------------------------------------------------------------------ */

#define NB 64          /* driver-2 column block; driver-1 flags use the same blocks */
#ifndef KC_PAIRS
#define KC_PAIRS 192   /* K block, in pairs of k: B sliver KC x NR in L1 (24 KiB) */
#endif
#ifndef MC_MAX
#define MC_MAX 144     /* A block MC x KC (multiple of 12 and 6) stays in L2 */
#endif
#define NC_MAX 3072    /* B block KC x NC stays in L3 */

FXP_INLINE uint32_t pair16(int32_t lo, int32_t hi)
{
    return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16);
}

/* Byte quads for vpdpbusd: four consecutive k of one row of A (unsigned bytes;
 * signed A is offset by 128 through xor_a = 0x80808080) or of one column of B
 * (signed bytes).  Padding is zero in B, so A's padding never contributes. */
FXP_INLINE uint32_t quad8(int32_t x0, int32_t x1, int32_t x2, int32_t x3)
{
    return (uint32_t)(uint8_t)x0 | (uint32_t)(uint8_t)x1 << 8 | (uint32_t)(uint8_t)x2 << 16 |
           (uint32_t)(uint8_t)x3 << 24;
}

/* The dword of KPD consecutive k (2: int16 pair, 4: byte quad) starting at x,
 * elements `step` apart. */
#define D1_WORD(KPD, x, step)                                                   \
    ((KPD) == 2 ? pair16((x)[0], (x)[step])                                     \
                : quad8((x)[0], (x)[step], (x)[2 * (step)], (x)[3 * (step)]))

/* Pack A[i0:i0+mc, k0:k0+KPD*kp] into MR-row panels of KPD-k dwords (xor xor_a),
 * zero-padded to MR rows and to the K end.  Rows lying wholly inside A take a
 * branch-free loop (contiguous when A's rows are). */
#define DEF_D1_PACK_A(T, KPD)                                                                 \
    FXP_INLINE void d1_pack_a##KPD##_##T(const mat_view *v, ptrdiff_t i0, ptrdiff_t mc,       \
                                     ptrdiff_t k0, ptrdiff_t kp, int mr, uint32_t xor_a,      \
                                     uint32_t *ap)                                            \
    {                                                                                         \
        const T *a = (const T *)v->a;                                                         \
        const ptrdiff_t rs = v->a_rs, cs = v->a_cs, K = v->k;                                 \
        const ptrdiff_t kp_full = k0 + KPD * kp <= K ? kp : (K - k0) / KPD;                   \
        for (ptrdiff_t ir = 0; ir < mc; ir += mr) {                                           \
            uint32_t *dst = ap + ir * kp;                                                     \
            for (int r = 0; r < mr; r++) {                                                    \
                const ptrdiff_t i = i0 + ir + r;                                              \
                if (ir + r >= mc) {                                                           \
                    for (ptrdiff_t p = 0; p < kp; p++)                                        \
                        dst[p * mr + r] = 0;                                                  \
                    continue;                                                                 \
                }                                                                             \
                const T *row = a + i * rs + k0 * cs;                                          \
                if (cs == 1 && sizeof(T) * KPD == 4) { /* the dword is the memory word */  \
                    for (ptrdiff_t p = 0; p < kp_full; p++) {                                 \
                        uint32_t w_;                                                          \
                        memcpy(&w_, row + KPD * p, 4);                                        \
                        dst[p * mr + r] = w_ ^ xor_a;                                         \
                    }                                                                         \
                } else if (cs == 1) {                                                         \
                    for (ptrdiff_t p = 0; p < kp_full; p++)                                   \
                        dst[p * mr + r] = D1_WORD(KPD, row + KPD * p, 1) ^ xor_a;             \
                } else {                                                                      \
                    for (ptrdiff_t p = 0; p < kp_full; p++)                                   \
                        dst[p * mr + r] = D1_WORD(KPD, row + KPD * p * cs, cs) ^ xor_a;       \
                }                                                                             \
                for (ptrdiff_t p = kp_full; p < kp; p++) {                                    \
                    int32_t e[4] = {0, 0, 0, 0};                                              \
                    for (int q = 0; q < KPD; q++)                                             \
                        if (k0 + KPD * p + q < K)                                             \
                            e[q] = a[i * rs + (k0 + KPD * p + q) * cs];                       \
                    dst[p * mr + r] = D1_WORD(KPD, e, 1) ^ xor_a;                             \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }

/* Pack one NR-column sliver of B[k0:k0+KPD*kp, j0:j0+nr_valid]; full slivers of
 * a row-major B take a branch-free, vectorisable loop. */
#define DEF_D1_PACK_B(T, KPD)                                                                 \
    FXP_INLINE void d1_pack_b##KPD##_##T(const mat_view *v, ptrdiff_t j0, ptrdiff_t nr_valid, \
                                     ptrdiff_t k0, ptrdiff_t kp, int nr, uint32_t *bp)        \
    {                                                                                         \
        const T *b = (const T *)v->b;                                                         \
        const ptrdiff_t rs = v->b_rs, cs = v->b_cs, K = v->k;                                 \
        const ptrdiff_t kp_full = k0 + KPD * kp <= K ? kp : (K - k0) / KPD;                   \
        ptrdiff_t p = 0;                                                                      \
        if (nr_valid == nr && cs == 1) {                                                      \
            for (; p < kp_full; p++) {                                                        \
                const T *r0 = b + (k0 + KPD * p) * rs + j0;                                   \
                for (int c = 0; c < nr; c++)                                                  \
                    bp[p * nr + c] = D1_WORD(KPD, r0 + c, rs);                                \
            }                                                                                 \
        }                                                                                     \
        for (; p < kp; p++) {                                                                 \
            for (int c = 0; c < nr; c++) {                                                    \
                int32_t e[4] = {0, 0, 0, 0};                                                  \
                for (int q = 0; q < KPD; q++)                                                 \
                    if (c < nr_valid && k0 + KPD * p + q < K)                                 \
                        e[q] = b[(k0 + KPD * p + q) * rs + (j0 + c) * cs];                    \
                bp[p * nr + c] = D1_WORD(KPD, e, 1);                                          \
            }                                                                                 \
        }                                                                                     \
    }
#define DEF_D1_PACK2(T) DEF_D1_PACK_A(T, 2) DEF_D1_PACK_B(T, 2)
FXP_FOR_TYPES(DEF_D1_PACK2)
DEF_D1_PACK_A(int8_t, 4)
DEF_D1_PACK_A(uint8_t, 4)
DEF_D1_PACK_B(int8_t, 4)

/* The packing routines compiled per ISA (they vectorise with the caller's target):
 * pack the A block [i0, i0+mc) x [k0, ...) and one B sliver at column j0. */
typedef void (*d1_pack_a_fn)(const mat_view *v, int kpd, uint32_t xor_a, ptrdiff_t i0,
                             ptrdiff_t mc, ptrdiff_t k0, ptrdiff_t kp, int mr, uint32_t *ap);
typedef void (*d1_pack_b_fn)(const mat_view *v, int kpd, ptrdiff_t j0, ptrdiff_t nr_valid,
                             ptrdiff_t k0, ptrdiff_t kp, int nr, uint32_t *bp);
#define DEF_D1_PACKERS(SUFFIX, TARGET)                                                        \
    TARGET static void d1_pack_a_##SUFFIX(const mat_view *v, int kpd, uint32_t xor_a,          \
                                          ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t k0,            \
                                          ptrdiff_t kp, int mr, uint32_t *ap)                  \
    {                                                                                         \
        if (kpd == 4 && v->a_type == FXP_I8)                                                  \
            d1_pack_a4_int8_t(v, i0, mc, k0, kp, mr, xor_a, ap);                              \
        else if (kpd == 4)                                                                    \
            d1_pack_a4_uint8_t(v, i0, mc, k0, kp, mr, xor_a, ap);                             \
        else                                                                                  \
            FXP_TYPED_SWITCH(v->a_type, d1_pack_a2, v, i0, mc, k0, kp, mr, 0, ap)             \
    }                                                                                         \
    TARGET static void d1_pack_b_##SUFFIX(const mat_view *v, int kpd, ptrdiff_t j0,            \
                                          ptrdiff_t nr_valid, ptrdiff_t k0, ptrdiff_t kp,      \
                                          int nr, uint32_t *bp)                                \
    {                                                                                         \
        if (kpd == 4)                                                                         \
            d1_pack_b4_int8_t(v, j0, nr_valid, k0, kp, nr, bp);                               \
        else                                                                                  \
            FXP_TYPED_SWITCH(v->b_type, d1_pack_b2, v, j0, nr_valid, k0, kp, nr, bp)          \
    }
DEF_D1_PACKERS(portable, )
#if FXP_X86
DEF_D1_PACKERS(avx2, FXP_AVX2_TARGET)
DEF_D1_PACKERS(avx512, FXP_AVX512_TARGET)
#endif

/* -128 * (sum over k of b[k, j]) mod 2**32: the initial C row that removes the
 * +128 offset of signed A in the byte kernel.  Every sum is exact modulo 2**32,
 * and the path runs only where the true result fits int32, so the result is exact
 * whatever K (no K splitting is needed). */
static void d1_offset_row(const mat_view *v, int32_t *row)
{
    const int8_t *b = (const int8_t *)v->b;
    uint32_t *s = (uint32_t *)row;
    for (ptrdiff_t j = 0; j < v->n; j++)
        s[j] = 0;
    if (v->b_cs == 1) {
        for (ptrdiff_t k = 0; k < v->k; k++)
            for (ptrdiff_t j = 0; j < v->n; j++)
                s[j] += (uint32_t)(int32_t)b[k * v->b_rs + j];
    } else {
        for (ptrdiff_t j = 0; j < v->n; j++)
            for (ptrdiff_t k = 0; k < v->k; k++)
                s[j] += (uint32_t)(int32_t)b[k * v->b_rs + j * v->b_cs];
    }
    for (ptrdiff_t j = 0; j < v->n; j++)
        s[j] = 0u - 128u * s[j];
}

/* Widen the int32 values stored in the first half of c (size of them) to
 * int64 in place, last block first: the int64 block [s, s+16) overlaps int32
 * elements [2s, 2s+32), all at or after s, so already read once s >= 16. */
static void widen_in_place(int64_t *c, ptrdiff_t size)
{
    const int32_t *c32 = (const int32_t *)c;
    ptrdiff_t s = size;
    while (s >= 32) {
        int32_t tmp[16];
        s -= 16;
        memcpy(tmp, c32 + s, sizeof(tmp));
        for (int j = 0; j < 16; j++)
            c[s + j] = tmp[j];
    }
    for (ptrdiff_t i = s - 1; i >= 0; i--)
        c[i] = c32[i];
}

/* Micro-kernels: ct[MR][NR] (int32, row-major) = src[MR][NR] + the kp dword steps
 * of ap x bp (src: ct itself, or at the first K block the initial row, lds = 0, so
 * that C needs no zeroing pass).
 * Checkpoints: before every group of `group` pairs (and at the end) every
 * |partial sum| is compared with `thresh`; the kernel returns the bit mask of
 * the tile rows where one exceeded it.  The caller picks group and thresh so
 * that no partial sum between two checkpoints can leave the accumulator's
 * range unless a checkpoint is above thresh; flagged rows are recomputed by
 * the exact path.  The per-row test runs only when the tile-wide maximum
 * fails, so proven tiles pay one max per accumulator per checkpoint. */
typedef int (*ukr_fn)(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,
                      ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh);

static uint32_t abs_u32(int32_t x) { return x < 0 ? 0u - (uint32_t)x : (uint32_t)x; }

static int ukr_portable(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp, const int32_t *src,
                        ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc, ptrdiff_t group, uint32_t thresh)
{
    enum { MR = 6, NR = 16 };
    uint32_t acc[MR][NR];
    int rows = 0;
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NR; c++)
            acc[r][c] = (uint32_t)src[r * lds + c];
    for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {
        for (int r = 0; r < MR; r++)
            for (int c = 0; c < NR; c++)
                if (abs_u32((int32_t)acc[r][c]) > thresh)
                    rows |= 1 << r;
        ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;
        for (ptrdiff_t p = p0; p < p1; p++) {
            const uint32_t *a = ap + p * MR, *b = bp + p * NR;
            for (int r = 0; r < MR; r++) {
                int32_t a0 = (int16_t)(a[r] & 0xffff), a1 = (int16_t)(a[r] >> 16);
                for (int c = 0; c < NR; c++) {
                    int32_t b0 = (int16_t)(b[c] & 0xffff), b1 = (int16_t)(b[c] >> 16);
                    acc[r][c] += (uint32_t)(a0 * b0) + (uint32_t)(a1 * b1);
                }
            }
        }
    }
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NR; c++)
            ct[r * ldc + c] = (int32_t)acc[r][c];
    return rows;
}

#if FXP_X86
/* every unsigned lane of x <= the matching lane of t */
FXP_AVX2_TARGET static inline int all_le(__m256i x, __m256i t)
{
    return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(x, t), t)) == -1;
}

FXP_AVX2_TARGET static int ukr_avx2(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,
                                    const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,
                                    ptrdiff_t group, uint32_t thresh)
{
    /* 6 x 16: 12 accumulators + 2 B vectors + 1 broadcast + 1 max = 16 ymm */
#define FXP_ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define FXP_LOAD(i)                                                          \
    __m256i c##i##a = _mm256_loadu_si256((const __m256i *)(src + (i) * lds));  \
    __m256i c##i##b = _mm256_loadu_si256((const __m256i *)(src + (i) * lds + 8));
#define FXP_MAX(i)                                             \
    mx = _mm256_max_epu32(mx, _mm256_abs_epi32(c##i##a));      \
    mx = _mm256_max_epu32(mx, _mm256_abs_epi32(c##i##b));
#define FXP_ROW(i)                                                                        \
    if (!all_le(_mm256_max_epu32(_mm256_abs_epi32(c##i##a), _mm256_abs_epi32(c##i##b)), thr)) \
        rows |= 1 << (i);
#define FXP_STEP(i)                                                   \
    {                                                                 \
        __m256i a = _mm256_set1_epi32((int)ap[i]);                    \
        c##i##a = _mm256_add_epi32(c##i##a, _mm256_madd_epi16(a, b0)); \
        c##i##b = _mm256_add_epi32(c##i##b, _mm256_madd_epi16(a, b1)); \
    }
#define FXP_STORE(i)                                          \
    _mm256_storeu_si256((__m256i *)(ct + (i) * ldc), c##i##a);  \
    _mm256_storeu_si256((__m256i *)(ct + (i) * ldc + 8), c##i##b);
    FXP_ROWS6(FXP_LOAD)
    const __m256i thr = _mm256_set1_epi32((int)thresh);
    int rows = 0;
    for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {
        __m256i mx = _mm256_setzero_si256();
        FXP_ROWS6(FXP_MAX)
        if (!all_le(mx, thr)) {
            FXP_ROWS6(FXP_ROW)
        }
        ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;
        for (ptrdiff_t p = p0; p < p1; p++) {
            __m256i b0 = _mm256_loadu_si256((const __m256i *)bp);
            __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + 8));
            FXP_ROWS6(FXP_STEP)
            ap += 6;
            bp += 16;
        }
    }
    FXP_ROWS6(FXP_STORE)
    return rows;
#undef FXP_LOAD
#undef FXP_MAX
#undef FXP_ROW
#undef FXP_STEP
#undef FXP_STORE
}

/* 12 x 32 int32 tile: 24 accumulators + 2 B vectors + broadcast + max + temps <= 32 zmm.
 * MAC(c, a, b) adds the products of one dword step (2 int16 pairs or 4 byte quads). */
#define FXP_ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define FXP_Z_LOAD(i)                                                     \
    __m512i c##i##a = _mm512_loadu_si512((const void *)(src + (i) * lds)); \
    __m512i c##i##b = _mm512_loadu_si512((const void *)(src + (i) * lds + 16));
#define FXP_Z_MAX(i)                                       \
    mx = _mm512_max_epu32(mx, _mm512_abs_epi32(c##i##a)); \
    mx = _mm512_max_epu32(mx, _mm512_abs_epi32(c##i##b));
#define FXP_Z_ROW(i)                                                                \
    if (_mm512_cmpgt_epu32_mask(_mm512_max_epu32(_mm512_abs_epi32(c##i##a),         \
                                                 _mm512_abs_epi32(c##i##b)), thr)) \
        rows |= 1 << (i);
#define FXP_Z_STORE(i)                                        \
    _mm512_storeu_si512((void *)(ct + (i) * ldc), c##i##a); \
    _mm512_storeu_si512((void *)(ct + (i) * ldc + 16), c##i##b);
#define DEF_UKR_ZMM(NAME, TARGET, MAC)                                                          \
    TARGET static int NAME(ptrdiff_t kp, const uint32_t *ap, const uint32_t *bp,               \
                           const int32_t *src, ptrdiff_t lds, int32_t *ct, ptrdiff_t ldc,      \
                           ptrdiff_t group, uint32_t thresh)                                   \
    {                                                                                          \
        FXP_ROWS12(FXP_Z_LOAD)                                                                 \
        const __m512i thr = _mm512_set1_epi32((int)thresh);                                    \
        int rows = 0;                                                                          \
        for (ptrdiff_t p0 = 0; p0 <= kp; p0 += group) {                                        \
            __m512i mx = _mm512_setzero_si512();                                               \
            FXP_ROWS12(FXP_Z_MAX)                                                              \
            if (_mm512_cmpgt_epu32_mask(mx, thr)) {                                            \
                FXP_ROWS12(FXP_Z_ROW)                                                          \
            }                                                                                  \
            ptrdiff_t p1 = p0 + group < kp ? p0 + group : kp;                                  \
            for (ptrdiff_t p = p0; p < p1; p++) {                                              \
                const __m512i b0 = _mm512_loadu_si512((const void *)bp);                       \
                const __m512i b1 = _mm512_loadu_si512((const void *)(bp + 16));                \
                FXP_ROWS12(FXP_Z_STEP_##MAC)                                                   \
                ap += 12;                                                                      \
                bp += 32;                                                                      \
            }                                                                                  \
        }                                                                                      \
        FXP_ROWS12(FXP_Z_STORE)                                                                \
        return rows;                                                                           \
    }
/* vpmaddwd + vpaddd (AVX-512BW); vpdpwssd (VNNI, one fused instruction, same int32
 * result mod 2**32); vpdpbusd (VNNI, unsigned bytes of A x signed bytes of B) */
#define FXP_Z_STEP_MADD(i)                                                         \
    {                                                                              \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);                           \
        c##i##a = _mm512_add_epi32(c##i##a, _mm512_madd_epi16(a, b0));             \
        c##i##b = _mm512_add_epi32(c##i##b, _mm512_madd_epi16(a, b1));             \
    }
#define FXP_Z_STEP_DPWSSD(i)                               \
    {                                                      \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);   \
        c##i##a = _mm512_dpwssd_epi32(c##i##a, a, b0);     \
        c##i##b = _mm512_dpwssd_epi32(c##i##b, a, b1);     \
    }
#define FXP_Z_STEP_DPBUSD(i)                               \
    {                                                      \
        const __m512i a = _mm512_set1_epi32((int)ap[i]);   \
        c##i##a = _mm512_dpbusd_epi32(c##i##a, a, b0);     \
        c##i##b = _mm512_dpbusd_epi32(c##i##b, a, b1);     \
    }
DEF_UKR_ZMM(ukr_avx512, FXP_AVX512_TARGET, MADD)
DEF_UKR_ZMM(ukr_vnni16, FXP_VNNI_TARGET, DPWSSD)
DEF_UKR_ZMM(ukr_vnni8, FXP_VNNI_TARGET, DPBUSD)
#endif

/* ct <-> the valid mr x nr corner of the int32 C tile (zero padding). */
static void d1_load_tile(const int32_t *c, ptrdiff_t ldc, int32_t *ct, int nr_pad, int mr_pad,
                         ptrdiff_t mr, ptrdiff_t nr)
{
    memset(ct, 0, sizeof(int32_t) * (size_t)(mr_pad * nr_pad));
    for (ptrdiff_t r = 0; r < mr; r++)
        memcpy(ct + r * nr_pad, c + r * ldc, sizeof(int32_t) * (size_t)nr);
}

static void d1_store_tile(int32_t *c, ptrdiff_t ldc, const int32_t *ct, int nr_pad, ptrdiff_t mr, ptrdiff_t nr)
{
    for (ptrdiff_t r = 0; r < mr; r++)
        memcpy(c + r * ldc, ct + r * nr_pad, sizeof(int32_t) * (size_t)nr);
}

typedef struct {
    int mr, nr;
    int kpd;                  /* k per packed dword: 2 (int16 pairs) or 4 (byte quads) */
    uint32_t xor_a;           /* byte quads: 0x80808080 turns signed A into unsigned */
    const int32_t *c_init;    /* byte quads of signed A: every C row starts here */
    d1_pack_a_fn pack_a;
    d1_pack_b_fn pack_b;
    ptrdiff_t group;          /* dword steps between checkpoints */
    uint32_t thresh;          /* largest |checkpoint| that proves the tile exact */
    unsigned char *flags;     /* OUT: per (row, NB-column block), 1 = recompute exactly */
} d1_plan;

/* One MC block of rows [ic, ic+mcur) x the packed B panel [jc, jc+nc), K block at pc
 * (kp dword steps): pack A, then loop 2 (NR columns) and loop 1 (MR rows) around the
 * micro-kernel.  Flags are per (row, NB-column block); the callers give each thread
 * whole rows or whole NB blocks, so no two threads write one flag. */
static void d1_block(const mat_view *v, ukr_fn ukr, const d1_plan *pl, const int32_t *init_row,
                     ptrdiff_t ic, ptrdiff_t mcur, ptrdiff_t jc, ptrdiff_t nc, ptrdiff_t pc,
                     ptrdiff_t kp, uint32_t *ap, const uint32_t *bp)
{
    const int mr = pl->mr, nr = pl->nr;
    const ptrdiff_t n = v->n, n_blocks = (n + NB - 1) / NB;
    int32_t *c32 = (int32_t *)v->c;
    int32_t ct[12 * 32];
    pl->pack_a(v, pl->kpd, pl->xor_a, ic, mcur, pl->kpd * pc, kp, mr, ap);
    for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
        for (ptrdiff_t ir = 0; ir < mcur; ir += mr) {
            ptrdiff_t mv = min_pd(mr, mcur - ir), nv = min_pd(nr, nc - jr);
            int32_t *ctile = c32 + (ic + ir) * n + jc + jr;
            const int32_t *src = pc ? ctile : init_row + jc + jr;
            const ptrdiff_t lds = pc ? n : 0;
            int over, blk = (int)((jc + jr) / NB);
            if (mv == mr && nv == nr) {
                over = ukr(kp, ap + ir * kp, bp + jr * kp, src, lds, ctile, n, pl->group, pl->thresh);
            } else {  /* edge tile: through a zero-padded copy */
                d1_load_tile(src, lds, ct, nr, mr, mv, nv);
                over = ukr(kp, ap + ir * kp, bp + jr * kp, ct, nr, ct, nr, pl->group, pl->thresh);
                d1_store_tile(ctile, n, ct, nr, mv, nv);
            }
            for (ptrdiff_t r = 0; over && r < mv; r++)
                if (over & (1 << r))
                    pl->flags[(ic + ir + r) * n_blocks + blk] = 1;
        }
    }
}

/* C (int32, m x n, stored in the first half of v->c) = A @ B in int32 lanes;
 * the caller widens it to int64 (or hands the int32 values on).
 * Threads: with enough columns each thread takes its own range of NB-column blocks
 * and runs the whole loop nest on it with its own B panel (no barriers; the panel,
 * KC x NC/2, stays in that core's L2; A is packed by both); otherwise they share
 * the B packing and split the MC row blocks. */
static int d1_run(const mat_view *v, ukr_fn ukr, const d1_plan *pl, int nt)
{
    const int mr = pl->mr, nr = pl->nr;
    const int kpd = pl->kpd;
    const ptrdiff_t m = v->m, n = v->n, ksteps = (v->k + kpd - 1) / kpd;
    const ptrdiff_t n_blocks = (n + NB - 1) / NB;
    const int split_cols = nt > 1 && n_blocks >= 2 * nt;
    const ptrdiff_t n_own = split_cols ? (n_blocks + nt - 1) / nt * NB : n;
    const ptrdiff_t nc_max = min_pd(NC_MAX, (n_own + nr - 1) / nr * nr);
    /* K blocks of nearly equal length (no short last block reloading every C tile) */
    const ptrdiff_t kc_max = ksteps ? (ksteps + (ksteps + KC_PAIRS - 1) / KC_PAIRS - 1) /
                                          ((ksteps + KC_PAIRS - 1) / KC_PAIRS) : 0;
    /* row blocks of at most MC_MAX rows, their count a multiple of the number of threads
     * sharing them and their sizes nearly equal, so that threads get the same work */
    const int nt_rows = split_cols ? 1 : nt;
    ptrdiff_t n_mblocks = (m + MC_MAX - 1) / MC_MAX;
    n_mblocks = (n_mblocks + nt_rows - 1) / nt_rows * nt_rows;
    ptrdiff_t mc = (m + n_mblocks - 1) / n_mblocks;
    mc = min_pd(MC_MAX, (mc + mr - 1) / mr * mr);
    int failed = 0;

    if (ksteps == 0 || m == 0 || n == 0) {
        memset(v->c, 0, sizeof(int64_t) * (size_t)(m * n));
        return 0;
    }
    /* every C row starts at c_init (or zero): the first K block reads this row */
    int32_t *zero_row = pl->c_init ? NULL : calloc((size_t)n, sizeof(int32_t));
    const int32_t *init_row = pl->c_init ? pl->c_init : zero_row;
    uint32_t *shared_bp = split_cols ? NULL : fxp_alloc(sizeof(uint32_t) * (size_t)(nc_max * kc_max));
    if ((!split_cols && !shared_bp) || !init_row) {
        free(shared_bp);
        free(zero_row);
        return -1;
    }

#pragma omp parallel num_threads(nt)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        uint32_t *ap = fxp_alloc(sizeof(uint32_t) * (size_t)(mc * kc_max));
        uint32_t *bp = split_cols ? fxp_alloc(sizeof(uint32_t) * (size_t)(nc_max * kc_max)) : shared_bp;
        const ptrdiff_t c0 = split_cols ? min_pd(n, tid * n_own) : 0;
        const ptrdiff_t c1 = split_cols ? min_pd(n, c0 + n_own) : n;
        if (!ap || !bp) {
#pragma omp atomic write
            failed = 1;
        }
        /* Loop 5: columns of C and B, NC at a time. */
        for (ptrdiff_t jc = c0; jc < c1; jc += nc_max) {
            ptrdiff_t nc = min_pd(nc_max, c1 - jc);
            ptrdiff_t n_slivers = (nc + nr - 1) / nr;
            /* Loop 4: the k dimension, KC steps at a time, in order. */
            for (ptrdiff_t pc = 0; pc < ksteps; pc += kc_max) {
                ptrdiff_t kp = min_pd(kc_max, ksteps - pc);
                if (split_cols) {
                    if (!ap || !bp)
                        continue;
                    for (ptrdiff_t s = 0; s < n_slivers; s++)
                        pl->pack_b(v, kpd, jc + s * nr, min_pd(nr, nc - s * nr), kpd * pc, kp,
                                   nr, bp + s * nr * kp);
                    for (ptrdiff_t ic = 0; ic < m; ic += mc)
                        d1_block(v, ukr, pl, init_row, ic, min_pd(mc, m - ic), jc, nc, pc, kp, ap, bp);
                    continue;
                }
#pragma omp for schedule(static)
                for (ptrdiff_t s = 0; s < n_slivers; s++)
                    pl->pack_b(v, kpd, jc + s * nr, min_pd(nr, nc - s * nr), kpd * pc, kp, nr,
                               bp + s * nr * kp);
                /* Loop 3: rows of C and A, MC at a time; dynamic, so that a thread
                 * the OS preempts does not hold the others at the barrier */
#pragma omp for schedule(dynamic, 1)
                for (ptrdiff_t ic = 0; ic < m; ic += mc)
                    if (ap)
                        d1_block(v, ukr, pl, init_row, ic, min_pd(mc, m - ic), jc, nc, pc, kp, ap, bp);
            }
        }
        free(ap);
        if (split_cols)
            free(bp);
    }
    free(shared_bp);
    free(zero_row);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* Driver 2: one row x NB columns, whole K sequential                        */
/* ------------------------------------------------------------------------ */

enum { OP_PLAIN = 0, OP_SAT = 1, OP_SATF = 2, OP_WRAPC = 3, OP_WRAPF = 4 };

/* Unclamped sum (wrapping in the lane width): safe tiles and uncounted wrap.
 * Checkpoints as in the micro-kernels: returns 1 when some |partial sum|
 * before a group of `group` products exceeded `thresh` (result unproven). */
#define DEF_ROW_PLAIN(BITS, T, UT)                                                         \
    FXP_INLINE int row_plain_##BITS(ptrdiff_t K, const int32_t *arow, const int32_t *bp,  \
                                    T *out, ptrdiff_t group, UT thresh)                   \
    {                                                                                      \
        UT acc[NB], mx[NB];                                                                \
        for (int j = 0; j < NB; j++)                                                       \
            acc[j] = 0, mx[j] = 0;                                                         \
        for (ptrdiff_t k0 = 0; k0 <= K; k0 += group) {                                     \
            for (int j = 0; j < NB; j++) {                                                 \
                UT x_ = (T)acc[j] < 0 ? (UT)0 - acc[j] : acc[j];                           \
                mx[j] = x_ > mx[j] ? x_ : mx[j];                                           \
            }                                                                              \
            ptrdiff_t k1 = k0 + group < K ? k0 + group : K;                                \
            for (ptrdiff_t k = k0; k < k1; k++) {                                          \
                const UT a = (UT)(T)arow[k];                                               \
                const int32_t *b = bp + k * NB;                                            \
                if (!a)                                                                    \
                    continue;                                                              \
                for (int j = 0; j < NB; j++)                                               \
                    acc[j] += a * (UT)(T)b[j];                                             \
            }                                                                              \
        }                                                                                  \
        int over = 0;                                                                      \
        for (int j = 0; j < NB; j++) {                                                     \
            out[j] = (T)acc[j];                                                            \
            over |= mx[j] > thresh;                                                        \
        }                                                                                  \
        return over;                                                                       \
    }

/* Bounded additions x + y -> x, recording overflow in h.  SAT/WRAPC: acc_bits
 * below the lane width, so x + y cannot overflow the lane; SATF/WRAPF: acc_bits
 * equal to the lane width, overflow detected from the signs. */
#define ADD_SAT(T, UT, BITS, x, y, h)                          \
    {                                                          \
        T s_ = (x) + (y);                                      \
        T c_ = s_ < lo ? lo : (s_ > hi ? hi : s_);             \
        h |= s_ ^ c_;                                          \
        x = c_;                                                \
    }
#define ADD_SATF(T, UT, BITS, x, y, h)                                 \
    {                                                                  \
        T s_ = (T)((UT)(x) + (UT)(y));                                 \
        T o_ = (((x) ^ s_) & ((y) ^ s_)) >> (BITS - 1);                \
        T sat_ = ((x) >> (BITS - 1)) ^ hi;                             \
        h |= o_;                                                       \
        x = (s_ & ~o_) | (sat_ & o_);                                  \
    }
#define ADD_WRAPC(T, UT, BITS, x, y, h)                        \
    {                                                          \
        T s_ = (x) + (y);                                      \
        T c_ = (T)((UT)s_ << shift) >> shift;                  \
        h |= s_ ^ c_;                                          \
        x = c_;                                                \
    }
#define ADD_WRAPF(T, UT, BITS, x, y, h)                        \
    {                                                          \
        T s_ = (T)((UT)(x) + (UT)(y));                         \
        h |= (((x) ^ s_) & ((y) ^ s_)) >> (BITS - 1);          \
        x = s_;                                                \
    }

#define DEF_ROW_BOUNDED(BITS, T, UT, NAME, ADD)                                              \
    FXP_INLINE int row_##NAME##_##BITS(ptrdiff_t K, ptrdiff_t chunk, const int32_t *arow,    \
                                       const int32_t *bp, T lo, T hi, int shift, T *out)     \
    {                                                                                        \
        T total[NB], part[NB], hit[NB];                                                      \
        (void)lo, (void)hi, (void)shift;                                                     \
        for (int j = 0; j < NB; j++)                                                         \
            total[j] = 0, hit[j] = 0;                                                        \
        for (ptrdiff_t k0 = 0; k0 < K; k0 += chunk) {                                        \
            ptrdiff_t k1 = k0 + chunk < K ? k0 + chunk : K;                                  \
            for (int j = 0; j < NB; j++)                                                     \
                part[j] = 0;                                                                 \
            for (ptrdiff_t k = k0; k < k1; k++) {                                            \
                const T a = (T)arow[k];                                                      \
                const int32_t *b = bp + k * NB;                                              \
                if (!a)                                                                      \
                    continue;                                                                \
                for (int j = 0; j < NB; j++) {                                               \
                    T p_ = (T)((UT)a * (UT)(T)b[j]);                                         \
                    ADD(T, UT, BITS, part[j], p_, hit[j])                                    \
                }                                                                            \
            }                                                                                \
            for (int j = 0; j < NB; j++)                                                     \
                ADD(T, UT, BITS, total[j], part[j], hit[j])                                  \
        }                                                                                    \
        int count = 0;                                                                       \
        for (int j = 0; j < NB; j++) {                                                       \
            out[j] = total[j];                                                               \
            count += hit[j] != 0;                                                            \
        }                                                                                    \
        return count;                                                                        \
    }

DEF_ROW_PLAIN(32, int32_t, uint32_t)
DEF_ROW_PLAIN(64, int64_t, uint64_t)
DEF_ROW_BOUNDED(32, int32_t, uint32_t, sat, ADD_SAT)
DEF_ROW_BOUNDED(32, int32_t, uint32_t, satf, ADD_SATF)
DEF_ROW_BOUNDED(32, int32_t, uint32_t, wrapc, ADD_WRAPC)
DEF_ROW_BOUNDED(32, int32_t, uint32_t, wrapf, ADD_WRAPF)
DEF_ROW_BOUNDED(64, int64_t, uint64_t, sat, ADD_SAT)
DEF_ROW_BOUNDED(64, int64_t, uint64_t, satf, ADD_SATF)
DEF_ROW_BOUNDED(64, int64_t, uint64_t, wrapc, ADD_WRAPC)
DEF_ROW_BOUNDED(64, int64_t, uint64_t, wrapf, ADD_WRAPF)

typedef struct {
    const mat_view *v;
    const int32_t *bp;        /* packed B: [n_blocks][K][NB] */
    const bound_data *bd;
    const uint64_t *blk_colabs, *blk_colmax;
    const unsigned char *mask; /* per (row, column block) task, or NULL for all */
    int lane_bits;            /* 32 or 64 */
    int op;                   /* OP_* used where the bound fails */
    uint64_t plain_lim;       /* tile bound at or below which OP_PLAIN is exact */
    ptrdiff_t group;          /* checkpoint spacing of the checked plain loop, 0: none */
    uint64_t thresh;
    int64_t lo, hi;
    int shift;
    ptrdiff_t chunk;
    int defer;                /* bounded int32 tasks go to sat4_avx512 (return -1) */
} d2_ctx;

#define DEF_D2_PACK(T)                                                                        \
    static void d2_pack_b_##T(const mat_view *v, ptrdiff_t jb, int32_t *dst)                  \
    {                                                                                         \
        const T *b = (const T *)v->b;                                                         \
        for (ptrdiff_t k = 0; k < v->k; k++)                                                  \
            for (ptrdiff_t j = 0; j < NB; j++)                                                \
                dst[k * NB + j] = jb * NB + j < v->n ? b[k * v->b_rs + (jb * NB + j) * v->b_cs] : 0; \
    }                                                                                         \
    static void d2_pack_row_##T(const mat_view *v, ptrdiff_t i, int32_t *arow)                \
    {                                                                                         \
        const T *a = (const T *)v->a;                                                         \
        for (ptrdiff_t k = 0; k < v->k; k++)                                                  \
            arow[k] = a[i * v->a_rs + k * v->a_cs];                                           \
    }
FXP_FOR_TYPES(DEF_D2_PACK)

/* One task: output row i, column block jb.  Returns the bound-hit count.
 * Order of attempts: the plain loop when the tile bound proves it exact, else
 * the checked plain loop, else (or when a checkpoint fails) the bounded loop. */
#define D2_BODY(BITS, T)                                                                      \
    {                                                                                         \
        T out[NB], lo = (T)x->lo, hi = (T)x->hi;                                              \
        if (op == OP_PLAIN)                                                                   \
            row_plain_##BITS(K, arow, bp, out, K ? K : 1, (T)-1);                             \
        else if (x->group && !row_plain_##BITS(K, arow, bp, out, x->group, (T)x->thresh))     \
            ;                                                                                 \
        else if (x->defer)                                                                    \
            return -1; /* left to the four-row kernel */                                      \
        else if (op == OP_SAT)                                                                \
            count = row_sat_##BITS(K, x->chunk, arow, bp, lo, hi, x->shift, out);             \
        else if (op == OP_SATF)                                                               \
            count = row_satf_##BITS(K, x->chunk, arow, bp, lo, hi, x->shift, out);            \
        else if (op == OP_WRAPC)                                                              \
            count = row_wrapc_##BITS(K, x->chunk, arow, bp, lo, hi, x->shift, out);           \
        else                                                                                  \
            count = row_wrapf_##BITS(K, x->chunk, arow, bp, lo, hi, x->shift, out);           \
        for (ptrdiff_t j = 0; j < nb; j++)                                                    \
            c[j] = out[j];                                                                    \
    }

#define DEF_D2_TASK(SUFFIX, TARGET)                                                           \
    TARGET static int d2_task_##SUFFIX(const d2_ctx *x, ptrdiff_t i, ptrdiff_t jb,            \
                                       int32_t *arow, ptrdiff_t *arow_i)                     \
    {                                                                                        \
        const mat_view *v = x->v;                                                            \
        const ptrdiff_t K = v->k, j0 = jb * NB;                                              \
        const ptrdiff_t nb = v->n - j0 < NB ? v->n - j0 : NB;                                \
        const int32_t *bp = x->bp + jb * K * NB;                                             \
        int64_t *c = v->c + i * v->n + j0;                                                   \
        int count = 0, op = x->op;                                                           \
        if (*arow_i != i) { /* consecutive tasks mostly share the row */                     \
            FXP_TYPED_SWITCH(v->a_type, d2_pack_row, v, i, arow)                             \
            *arow_i = i;                                                                     \
        }                                                                                    \
        if (op != OP_PLAIN && tile_bound(x->bd->rowabs[i], x->bd->rowmax[i],                 \
                                         x->blk_colabs[jb], x->blk_colmax[jb]) <= x->plain_lim) \
            op = OP_PLAIN;                                                                   \
        if (x->lane_bits == 32)                                                              \
            D2_BODY(32, int32_t)                                                             \
        else                                                                                 \
            D2_BODY(64, int64_t)                                                             \
        return count;                                                                        \
    }

DEF_D2_TASK(portable, )
#if FXP_X86
DEF_D2_TASK(avx2, FXP_AVX2_TARGET)
DEF_D2_TASK(avx512, FXP_AVX512_TARGET)
#endif


#if FXP_X86
/* Four output rows x 32 columns, whole K in order, per-addition saturation in
 * int32 lanes (16-bit operands, no chunks): B is loaded once for four rows.
 * a_r[k] & 0xffff broadcast as a dword times B's int16-valued dwords gives the
 * exact product with one vpmaddwd.  full: acc_bits == 32 (overflow detected
 * from the signs), else clamp to [lo, hi].  Returns per-row 32-bit hit masks. */
FXP_AVX512_TARGET static void sat4_avx512(ptrdiff_t K, const int32_t *arows, const int32_t *bp,
                                          int32_t lo, int32_t hi, int full, int32_t *out,
                                          uint32_t *hit_mask)
{
    const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
    const __m512i vmax = _mm512_set1_epi32(INT32_MAX), low16 = _mm512_set1_epi32(0xffff);
    __m512i acc[4][2], hit[4][2];
    for (int r = 0; r < 4; r++)
        for (int h = 0; h < 2; h++)
            acc[r][h] = _mm512_setzero_si512(), hit[r][h] = _mm512_setzero_si512();
    for (ptrdiff_t k = 0; k < K; k++) {
        const __m512i b0 = _mm512_loadu_si512((const void *)(bp + k * NB));
        const __m512i b1 = _mm512_loadu_si512((const void *)(bp + k * NB + 16));
        for (int r = 0; r < 4; r++) {
            const __m512i a = _mm512_and_si512(_mm512_set1_epi32(arows[r * K + k]), low16);
            for (int h = 0; h < 2; h++) {
                const __m512i p = _mm512_madd_epi16(a, h ? b1 : b0);
                const __m512i s = _mm512_add_epi32(acc[r][h], p);
                if (full) {
                    /* sign of (acc ^ s) & (p ^ s): the addition overflowed */
                    const __m512i o = _mm512_ternarylogic_epi32(acc[r][h], p, s, 0x42);
                    const __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(acc[r][h], 31), vmax);
                    acc[r][h] = _mm512_mask_mov_epi32(s, _mm512_movepi32_mask(o), sat);
                    hit[r][h] = _mm512_or_si512(hit[r][h], o);
                } else {
                    const __m512i c = _mm512_min_epi32(_mm512_max_epi32(s, vlo), vhi);
                    hit[r][h] = _mm512_ternarylogic_epi32(hit[r][h], s, c, 0xF6); /* |= s ^ c */
                    acc[r][h] = c;
                }
            }
        }
    }
    for (int r = 0; r < 4; r++) {
        uint32_t m = 0;
        for (int h = 0; h < 2; h++) {
            _mm512_storeu_si512((void *)(out + r * 32 + h * 16), acc[r][h]);
            __mmask16 nz = full ? _mm512_movepi32_mask(hit[r][h])
                                : _mm512_test_epi32_mask(hit[r][h], hit[r][h]);
            m |= (uint32_t)nz << (16 * h);
        }
        hit_mask[r] = m;
    }
}
#endif

/* Phase 2 of driver 2: the deferred (row, block) tasks, four rows of one block at
 * a time.  `list` holds the deferred task indices sorted by (block, row), each
 * block's run padded with -1 to a multiple of four. */
static int64_t d2_run_quads(const d2_ctx *x, const ptrdiff_t *list, ptrdiff_t n_list,
                            ptrdiff_t n_blocks, int32_t *arows)
{
    int64_t count = 0;
#if FXP_X86
    const mat_view *v = x->v;
    const ptrdiff_t K = v->k;
    ptrdiff_t g;
#pragma omp for schedule(dynamic, 1)
    for (g = 0; g < (n_list + 3) / 4; g++) {
        const ptrdiff_t *q = list + 4 * g;
        const ptrdiff_t jb = q[0] % n_blocks, j0 = jb * NB;
        const ptrdiff_t nb = v->n - j0 < NB ? v->n - j0 : NB;
        ptrdiff_t rows[4];
        int n_rows = 0;
        for (int r = 0; r < 4 && q[r] >= 0; r++)
            rows[n_rows++] = q[r] / n_blocks;
        for (int r = n_rows; r < 4; r++)
            rows[r] = rows[n_rows - 1];      /* padding: recomputed, written twice */
        for (int r = 0; r < 4; r++)
            FXP_TYPED_SWITCH(v->a_type, d2_pack_row, v, rows[r], arows + r * K)
        for (int h = 0; h < 2; h++) {
            int32_t out[4 * 32];
            uint32_t hits[4];
            sat4_avx512(K, arows, x->bp + jb * K * NB + h * 32, (int32_t)x->lo, (int32_t)x->hi,
                        x->op == OP_SATF, out, hits);
            for (int r = 0; r < 4; r++) {
                int64_t *c = v->c + rows[r] * v->n + j0 + h * 32;
                for (ptrdiff_t j = 0; j < 32 && h * 32 + j < nb; j++)
                    c[j] = out[r * 32 + j];
                if (r < n_rows)
                    count += __builtin_popcount(hits[r]);
            }
        }
    }
#else
    (void)x, (void)list, (void)n_list, (void)n_blocks, (void)arows;
#endif
    return count;
}

typedef int (*d2_task_fn)(const d2_ctx *, ptrdiff_t, ptrdiff_t, int32_t *, ptrdiff_t *);

static int64_t d2_run(d2_ctx *x, int isa, int nt)
{
    const mat_view *v = x->v;
    const ptrdiff_t K = v->k, n_blocks = (v->n + NB - 1) / NB, n_tasks = v->m * n_blocks;
    d2_task_fn task = d2_task_portable;
#if FXP_X86
    if (isa >= 2)
        task = d2_task_avx512;
    else if (isa == 1)
        task = d2_task_avx2;
#endif
    int32_t *bp = fxp_alloc(sizeof(int32_t) * (size_t)(n_blocks * (K ? K : 1) * NB));
    uint64_t *blk = fxp_alloc(sizeof(uint64_t) * (size_t)(2 * n_blocks + 1));
    int64_t count = 0;
    int failed = 0;
    unsigned char *deferred = x->defer ? calloc((size_t)n_tasks + 1, 1) : NULL;
    ptrdiff_t *list = x->defer ? fxp_alloc(sizeof(ptrdiff_t) * (size_t)(n_tasks + 4 * n_blocks)) : NULL;
    ptrdiff_t n_list = 0;
    if (!bp || !blk || (x->defer && (!deferred || !list))) {
        free(bp);
        free(blk);
        free(deferred);
        free(list);
        return -1;
    }
    for (ptrdiff_t jb = 0; jb < n_blocks; jb++) {
        ptrdiff_t hi_col = min_pd(v->n, (jb + 1) * NB);
        blk[jb] = max_u64(x->bd->colabs, jb * NB, hi_col);
        blk[n_blocks + jb] = max_u64(x->bd->colmax, jb * NB, hi_col);
    }
    x->blk_colabs = blk;
    x->blk_colmax = blk + n_blocks;
    x->bp = bp;
#pragma omp parallel num_threads(nt) reduction(+ : count)
    {
        ptrdiff_t jb;
#pragma omp for schedule(static)
        for (jb = 0; jb < n_blocks; jb++) {
            FXP_TYPED_SWITCH(v->b_type, d2_pack_b, v, jb, bp + jb * K * NB)
        }
        int32_t *arow = fxp_alloc(sizeof(int32_t) * (size_t)(4 * (K ? K : 1)));
        ptrdiff_t arow_i = -1;
        if (!arow) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 4)
        for (ptrdiff_t t = 0; t < n_tasks; t++) {
            if (arow && (!x->mask || x->mask[t])) {
                int c = task(x, t / n_blocks, t % n_blocks, arow, &arow_i);
                if (c < 0)
                    deferred[t] = 1;
                else
                    count += c;
            }
        }
        if (x->defer) {
#pragma omp single
            {   /* deferred tasks in (block, row) order, so quads share a block */
                for (ptrdiff_t jb = 0; jb < n_blocks; jb++) {
                    for (ptrdiff_t i = 0; i < v->m; i++)
                        if (deferred[i * n_blocks + jb])
                            list[n_list++] = i * n_blocks + jb;
                    while (n_list % 4)
                        list[n_list++] = -1;   /* a quad never spans two blocks */
                }
            }
            if (arow)
                count += d2_run_quads(x, list, n_list, n_blocks, arow);
        }
        free(arow);
    }
    free(bp);
    free(blk);
    free(deferred);
    free(list);
    return failed ? -1 : count;
}

/* Checkpoint spacing (in products) and threshold for lanes holding |s| <= lim:
 * the largest power of two G <= 64 with G * maxprod <= lim / 2; 0 if none. */
static ptrdiff_t check_group(uint64_t maxprod, uint64_t lim, uint64_t *thresh)
{
    ptrdiff_t g = 0;
    for (ptrdiff_t t = 1; t <= 64; t *= 2)
        if ((unsigned __int128)t * maxprod <= lim / 2)
            g = t;
    *thresh = g ? lim - (uint64_t)g * maxprod : 0;
    return g;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                               */
/* ------------------------------------------------------------------------ */

static int64_t gemm_one(fxp_gemm_args *g, const mat_view *v, bound_data *bd, int isa, int nt)
{
    const int acc_bits = g->acc_bits;
    const uint64_t acc_hi = acc_bits >= 64 ? (uint64_t)INT64_MAX : (((uint64_t)1 << (acc_bits - 1)) - 1);
    const uint64_t lim32 = acc_hi < (uint64_t)INT32_MAX ? acc_hi : (uint64_t)INT32_MAX;
    const int both16 = fxp_type_magnitude_bits(v->a_type) <= 15 && fxp_type_magnitude_bits(v->b_type) <= 15;
    const ptrdiff_t chunk = (g->chunk <= 0 || g->chunk >= v->k) ? v->k : g->chunk;
    int64_t count = 0;
    int int32_out = 0;

    bounds_compute(v, bd, nt, isa);
    const uint64_t max_rowabs = max_u64(bd->rowabs, 0, v->m), max_rowmax = max_u64(bd->rowmax, 0, v->m);
    const uint64_t max_colabs = max_u64(bd->colabs, 0, v->n), max_colmax = max_u64(bd->colmax, 0, v->n);
    const uint64_t gbound = tile_bound(max_rowabs, max_rowmax, max_colabs, max_colmax);
    const uint64_t maxprod = tile_bound(max_rowmax, max_rowmax, max_colmax, max_colmax);
    const int safe = gbound <= acc_hi;
    const int fits32 = gbound <= (uint64_t)INT32_MAX;
    unsigned char *task_mask = NULL;

    /* Driver 1 when order cannot matter or checkpoints can prove it (Design note). */
    d1_plan pl = {6, 16, 2, 0, NULL, d1_pack_a_portable, d1_pack_b_portable, KC_PAIRS, UINT32_MAX,
                  NULL};
    int use_d1 = 0;
    int32_t *offset_row = NULL;
    /* byte quads (vpdpbusd): int8/uint8 A x int8 B, only where nothing can overflow
     * (checkpoints would see partial sums shifted by the offset of signed A) */
    const int vnni8 = FXP_X86 && isa >= 3 && !g->force_row && safe && fits32 &&
                      (v->a_type == FXP_I8 || v->a_type == FXP_U8) && v->b_type == FXP_I8;
    if (both16 && !g->force_row) {
        uint64_t thresh;
        ptrdiff_t group = check_group(maxprod, lim32, &thresh);
        if (safe && fits32) {
            use_d1 = 1;
        } else if (group >= 2) {
            use_d1 = 1;
            pl.group = group / 2;
            pl.thresh = (uint32_t)thresh;
        }
    }
    if (use_d1) {
        ukr_fn ukr = ukr_portable;
        g->path = FXP_PATH_BLIS16;
#if FXP_X86
        if (isa >= 2) {
            pl.mr = 12, pl.nr = 32, ukr = isa >= 3 ? ukr_vnni16 : ukr_avx512;
            pl.pack_a = d1_pack_a_avx512, pl.pack_b = d1_pack_b_avx512;
        } else if (isa == 1) {
            ukr = ukr_avx2;
            pl.pack_a = d1_pack_a_avx2, pl.pack_b = d1_pack_b_avx2;
        }
        if (vnni8) {
            ukr = ukr_vnni8;
            pl.kpd = 4;
            g->path = FXP_PATH_VNNI8;
            if (v->a_type == FXP_I8) {
                pl.xor_a = 0x80808080u;
                offset_row = fxp_alloc(sizeof(int32_t) * (size_t)v->n);
                if (!offset_row)
                    return -1;
                d1_offset_row(v, offset_row);
                pl.c_init = offset_row;
            }
        }
#endif
        const ptrdiff_t n_tasks = v->m * ((v->n + NB - 1) / NB);
        pl.flags = calloc((size_t)n_tasks + 1, 1);
        int rc = pl.flags ? d1_run(v, ukr, &pl, nt) : -1;
        free(offset_row);
        if (rc < 0) {
            free(pl.flags);
            return -1;
        }
        /* Rows whose checkpoints failed are recomputed by driver 2. */
        task_mask = pl.flags;
        if (!memchr(task_mask, 1, (size_t)n_tasks)) {
            free(task_mask);
            task_mask = NULL;
        }
        /* int32 results may stay int32 (saves a pass and half the output pages) */
        if (task_mask || g->wrap || !g->out_int32)
            widen_in_place(v->c, v->m * v->n);
        else
            int32_out = 1;
    }
    if (!use_d1 || task_mask) {
        d2_ctx x;
        memset(&x, 0, sizeof(x));
        x.v = v;
        x.bd = bd;
        x.mask = task_mask;
        x.lane_bits = (both16 && (acc_bits <= 32 || fits32)) ? 32 : 64;
        x.lo = -(int64_t)acc_hi - 1;
        x.hi = (int64_t)acc_hi;
        x.shift = x.lane_bits - acc_bits;
        x.chunk = chunk;
        /* int32 lanes must also hold every partial sum of a plain tile */
        x.plain_lim = x.lane_bits == 32 ? lim32 : acc_hi;
        /* rows flagged by driver 1 already failed their checkpoints: go straight to
         * the bounded loop */
        x.group = task_mask ? 0 : check_group(maxprod, x.plain_lim, &x.thresh);
        if (safe)
            x.op = OP_PLAIN;
        else if (g->wrap)
            x.op = acc_bits == x.lane_bits ? OP_WRAPF : OP_WRAPC;
        else
            x.op = acc_bits == x.lane_bits ? OP_SATF : OP_SAT;
        x.defer = FXP_X86 && isa >= 2 && x.lane_bits == 32 && chunk == v->k &&
                  (x.op == OP_SAT || x.op == OP_SATF);
        if (!use_d1)
            g->path = x.lane_bits == 32 ? FXP_PATH_ROW32 : FXP_PATH_ROW64;
        count = d2_run(&x, isa, nt);
        free(task_mask);
        if (count < 0)
            return -1;
    }
    g->out_int32 = int32_out;
    if (g->wrap && acc_bits < 64) {
        /* Per-addition wrapping equals one final wrap to acc_bits. */
        const int sh = 64 - acc_bits;
        int64_t *c = v->c;
        const ptrdiff_t size = v->m * v->n;
        for (ptrdiff_t i = 0; i < size; i++)
            c[i] = (int64_t)((uint64_t)c[i] << sh) >> sh;
    }
    return count;
}

int64_t fxp_gemm(fxp_gemm_args *g)
{
    const int best = fxp_gemm_best_isa();
    /* FXP_SIMD_LEVEL 2 (AVX-512) admits VNNI, the GEMM's level 3 */
    const int env = fxp_simd_level_from_env();
    const int want = g->isa >= 0 ? g->isa : env >= 2 ? 3 : env;
    const int isa = (want < 0 || want > best) ? best : want;
    int nt = g->n_threads < 1 ? 1 : g->n_threads;
    const ptrdiff_t m = g->m, n = g->n;
    int64_t total = 0;
    bound_data bd;
    uint64_t *buf;

    if ((double)m * (double)n * (double)(g->k ? g->k : 1) < 65536.0)
        nt = 1;  /* too little work to pay for a thread team */
    buf = fxp_alloc(sizeof(uint64_t) * (size_t)(2 * m + 2 * n + 1));
    if (!buf)
        return -1;
    bd.rowabs = buf;
    bd.rowmax = buf + m;
    bd.colabs = buf + 2 * m;
    bd.colmax = buf + 2 * m + n;
    if (g->n_batch != 1)
        g->out_int32 = 0;
    const int allow_int32 = g->out_int32;
    for (ptrdiff_t t = 0; t < g->n_batch; t++) {
        g->out_int32 = allow_int32;
        mat_view v = {g->a + g->a_off[t] * (ptrdiff_t)fxp_type_bytes(g->a_type),
                      g->b + g->b_off[t] * (ptrdiff_t)fxp_type_bytes(g->b_type),
                      g->a_type, g->b_type, g->a_rs, g->a_cs, g->b_rs, g->b_cs,
                      m, n, g->k, g->c + t * m * n};
        int64_t c = gemm_one(g, &v, &bd, isa, nt);
        if (c < 0) {
            total = -1;
            break;
        }
        total += c;
    }
    free(buf);
    return total;
}
