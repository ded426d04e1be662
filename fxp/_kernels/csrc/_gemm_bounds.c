/* The GEMM's bound pass: per-row sums and maxima of |A| and per-column ones of |B|, from
 * which the plan (_gemm.c) and driver 2 (_gemm_rows.c) bound every partial sum. */
#include "_gemm_internal.h"

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

void fxpg_bounds_compute(const mat_view *v, bound_data *bd, int nt, int isa)
{
    void (*lines)(const mat_view *, bound_data *, int, ptrdiff_t, ptrdiff_t) =
        FXPG_PICK(isa, bounds_lines);
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
