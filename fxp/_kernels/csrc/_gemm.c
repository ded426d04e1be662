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
 * Files: this one makes the plan (which driver, which kernels) and runs the batch;
 * _gemm_bounds.c the bound pass; _gemm_blis.c driver 1's loops and packers;
 * _gemm_ukernels.c its micro-kernels; _gemm_rows.c driver 2; _gemm_internal.h
 * what they share.
 *
 * Arithmetic: signed overflow is never relied on; wrapping sums use unsigned
 * types.  Right shifts of negative values are assumed arithmetic
 * (implementation-defined in C, arithmetic on every compiler we build with).
 */
#include <string.h>

#include "_gemm_internal.h"

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
/* Entry point                                                              */
/* ------------------------------------------------------------------------ */

/* the GEMM's kernel sets on the level scale of fxp_cpu.h, VNNI within level 2 counting as 3 */
int fxp_gemm_best_isa(void)
{
    const int level = fxp_cpu_level();
    return level == 2 && fxp_cpu_has_vnni() ? 3 : level;
}

static int64_t gemm_one(fxp_gemm_args *g, const mat_view *v, bound_data *bd, int isa, int nt)
{
    const int acc_bits = g->acc_bits;
    const uint64_t acc_hi = acc_bits >= 64 ? (uint64_t)INT64_MAX : (((uint64_t)1 << (acc_bits - 1)) - 1);
    const uint64_t lim32 = acc_hi < (uint64_t)INT32_MAX ? acc_hi : (uint64_t)INT32_MAX;
    const int both16 = fxp_type_magnitude_bits(v->a_type) <= 15 && fxp_type_magnitude_bits(v->b_type) <= 15;
    const ptrdiff_t chunk = (g->chunk <= 0 || g->chunk >= v->k) ? v->k : g->chunk;
    int64_t count = 0;
    int int32_out = 0;

    fxpg_bounds_compute(v, bd, nt, isa);
    const uint64_t max_rowabs = max_u64(bd->rowabs, 0, v->m), max_rowmax = max_u64(bd->rowmax, 0, v->m);
    const uint64_t max_colabs = max_u64(bd->colabs, 0, v->n), max_colmax = max_u64(bd->colmax, 0, v->n);
    const uint64_t gbound = tile_bound(max_rowabs, max_rowmax, max_colabs, max_colmax);
    const uint64_t maxprod = tile_bound(max_rowmax, max_rowmax, max_colmax, max_colmax);
    const int safe = gbound <= acc_hi;
    const int fits32 = gbound <= (uint64_t)INT32_MAX;
    unsigned char *task_mask = NULL;

    /* Driver 1 when order cannot matter or checkpoints can prove it (Design note). */
    d1_plan pl = {6, 16, 2, 0, NULL, fxpg_ukr_portable, FXPG_PICK(isa, fxpg_d1_pack_a),
                  FXPG_PICK(isa, fxpg_d1_pack_b), KC_PAIRS, UINT32_MAX, NULL};
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
        g->path = FXP_PATH_BLIS16;
#if FXP_X86
        if (isa >= 2)
            pl.mr = 12, pl.nr = 32, pl.ukr = isa >= 3 ? fxpg_ukr_vnni16 : fxpg_ukr_avx512;
        else if (isa == 1)
            pl.ukr = fxpg_ukr_avx2;
        if (vnni8) {
            pl.ukr = fxpg_ukr_vnni8;
            pl.kpd = 4;
            g->path = FXP_PATH_VNNI8;
            if (v->a_type == FXP_I8) {
                pl.xor_a = 0x80808080u;
                offset_row = fxp_alloc(sizeof(int32_t) * (size_t)v->n);
                if (!offset_row)
                    return -1;
                fxpg_d1_offset_row(v, offset_row);
                pl.c_init = offset_row;
            }
        }
#endif
        const ptrdiff_t n_tasks = v->m * ((v->n + NB - 1) / NB);
        pl.flags = calloc((size_t)n_tasks + 1, 1);
        int rc = pl.flags ? fxpg_d1_run(v, &pl, nt) : -1;
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
        count = fxpg_d2_run(&x, isa, nt);
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
    const int nt = g->n_threads < 1 ? 1 : g->n_threads;
    const ptrdiff_t m = g->m, n = g->n;
    int64_t total = 0;
    bound_data bd;
    uint64_t *buf;

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
