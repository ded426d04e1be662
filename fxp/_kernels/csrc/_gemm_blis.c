/* Driver 1 of the GEMM: the five BLIS loops (jc/NC, pc/KC, ic/MC, jr/NR, ir/MR) around the
 * micro-kernels of _gemm_ukernels.c, and the packing of A and B into their panels: int16 pairs
 * (vpmaddwd, vpdpwssd) or byte quads (vpdpbusd), one dword per kpd consecutive k.  It does
 * not add in the specification's order, so the plan (_gemm.c) takes it only where the order
 * cannot matter or checkpoints prove the result exact. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "_gemm_internal.h"

/* ---- Packing ---- */

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

/* The packers of _gemm_internal.h, compiled per ISA (the inline bodies above vectorise with
 * the caller's target). */
#define DEF_D1_PACKERS(SUFFIX, TARGET)                                                        \
    TARGET void fxpg_d1_pack_a_##SUFFIX(const mat_view *v, int kpd, uint32_t xor_a,            \
                                        ptrdiff_t i0, ptrdiff_t mc, ptrdiff_t k0, ptrdiff_t kp, \
                                        int mr, uint32_t *ap)                                  \
    {                                                                                         \
        if (kpd == 4 && v->a_type == FXP_I8)                                                  \
            d1_pack_a4_int8_t(v, i0, mc, k0, kp, mr, xor_a, ap);                              \
        else if (kpd == 4)                                                                    \
            d1_pack_a4_uint8_t(v, i0, mc, k0, kp, mr, xor_a, ap);                             \
        else                                                                                  \
            FXP_TYPED_SWITCH(v->a_type, d1_pack_a2, v, i0, mc, k0, kp, mr, 0, ap)             \
    }                                                                                         \
    TARGET void fxpg_d1_pack_b_##SUFFIX(const mat_view *v, int kpd, ptrdiff_t j0,              \
                                        ptrdiff_t nr_valid, ptrdiff_t k0, ptrdiff_t kp, int nr, \
                                        uint32_t *bp)                                          \
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
void fxpg_d1_offset_row(const mat_view *v, int32_t *row)
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

/* ---- The loops ---- */

/* B sliver s (NR columns) of the panel [jc, jc+nc) x the K block at pc (kp dword steps) */
static inline void d1_pack_sliver(const mat_view *v, const d1_plan *pl, ptrdiff_t jc, ptrdiff_t nc,
                                  ptrdiff_t s, ptrdiff_t pc, ptrdiff_t kp, uint32_t *bp)
{
    const int nr = pl->nr;
    pl->pack_b(v, pl->kpd, jc + s * nr, min_pd(nr, nc - s * nr), pl->kpd * pc, kp, nr,
               bp + s * nr * kp);
}

/* One MC block of rows [ic, ic+mcur) x the packed B panel [jc, jc+nc), K block at pc
 * (kp dword steps): pack A, then loop 2 (NR columns) and loop 1 (MR rows) around the
 * micro-kernel.  Flags are per (row, NB-column block); the callers give each thread
 * whole rows or whole NB blocks, so no two threads write one flag. */
static void d1_block(const mat_view *v, const d1_plan *pl, const int32_t *init_row, ptrdiff_t ic,
                     ptrdiff_t mcur, ptrdiff_t jc, ptrdiff_t nc, ptrdiff_t pc, ptrdiff_t kp,
                     uint32_t *ap, const uint32_t *bp)
{
    const ukr_fn ukr = pl->ukr;
    const int mr = pl->mr, nr = pl->nr;
    const ptrdiff_t n = v->n, n_blocks = (n + NB - 1) / NB;
    int32_t *c32 = (int32_t *)v->c;
    int32_t ct[12 * 32];
    pl->pack_a(v, pl->kpd, pl->xor_a, ic, mcur, pl->kpd * pc, kp, mr, ap);
    /* Loop 2: columns of the panel, NR at a time. */
    for (ptrdiff_t jr = 0; jr < nc; jr += nr) {
        /* Loop 1: rows of the block, MR at a time. */
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
int fxpg_d1_run(const mat_view *v, const d1_plan *pl, int nt)
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
            const ptrdiff_t nc = min_pd(nc_max, c1 - jc);
            const ptrdiff_t n_slivers = (nc + nr - 1) / nr;
            /* Loop 4: the k dimension, KC steps at a time, in order. */
            for (ptrdiff_t pc = 0; pc < ksteps; pc += kc_max) {
                const ptrdiff_t kp = min_pd(kc_max, ksteps - pc);
                if (split_cols) {  /* this thread's own panel and rows */
                    if (!ap || !bp)
                        continue;
                    for (ptrdiff_t s = 0; s < n_slivers; s++)
                        d1_pack_sliver(v, pl, jc, nc, s, pc, kp, bp);
                    /* Loop 3: rows of C and A, MC at a time. */
                    for (ptrdiff_t ic = 0; ic < m; ic += mc)
                        d1_block(v, pl, init_row, ic, min_pd(mc, m - ic), jc, nc, pc, kp, ap, bp);
                } else {  /* the panel packed by all threads, the MC blocks shared out */
#pragma omp for schedule(static)
                    for (ptrdiff_t s = 0; s < n_slivers; s++)
                        d1_pack_sliver(v, pl, jc, nc, s, pc, kp, bp);
                    /* Loop 3: rows of C and A, MC at a time; dynamic, so that a thread
                     * the OS preempts does not hold the others at the barrier */
#pragma omp for schedule(dynamic, 1)
                    for (ptrdiff_t ic = 0; ic < m; ic += mc)
                        if (ap)
                            d1_block(v, pl, init_row, ic, min_pd(mc, m - ic), jc, nc, pc, kp, ap, bp);
                }
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
