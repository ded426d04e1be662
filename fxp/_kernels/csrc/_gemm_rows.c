/* Driver 2 of the GEMM: for one output row and a block of NB columns, the whole K loop in
 * order, vectorised across the columns in int32 or int64 lanes: plain where the bound proves
 * it exact, else checked, else with per-addition saturation or wrapping (which also counts the
 * outputs that hit the bound).  With AVX-512 the saturating int32 tasks run four rows at a
 * time (sat4_avx512).  It reproduces the specification's order, so it is exact in every case
 * and runs what driver 1 (_gemm_blis.c) cannot prove. */
#include <string.h>

#include "_gemm_internal.h"

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

int64_t fxpg_d2_run(d2_ctx *x, int isa, int nt)
{
    const mat_view *v = x->v;
    const ptrdiff_t K = v->k, n_blocks = (v->n + NB - 1) / NB, n_tasks = v->m * n_blocks;
    const d2_task_fn task = FXPG_PICK(isa, d2_task);
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
