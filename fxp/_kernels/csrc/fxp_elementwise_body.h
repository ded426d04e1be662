/* Chunk kernels of fxp_elementwise.h; included once per instruction set by _elementwise.c with
 * FXP_SFX (name suffix), FXP_TGT (a target attribute, or nothing) and FXP_BLOCK_FILL (an
 * implementation of fxp_rng_block_fill) defined, and optionally FXP_QUANTIZE_CLAMP_FN (a
 * variant's own quantize loop for saturate / raise).  n <= 1024. */
#define FXP_CAT2(a, b) a##b
#define FXP_CAT(a, b) FXP_CAT2(a, b)
#define FN(name) FXP_CAT(name, FXP_SFX)
/* r[] is filled exactly when the mode reads it; gcc cannot see that through the switches */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/* the chunk buffers and the output never overlap */
#ifdef __GNUC__
#define FXP_NO_ALIAS _Pragma("GCC ivdep")
#else
#define FXP_NO_ALIAS
#endif

/* dst[i] = src[start + i] << shift as int64 (stride 1), or the one element (stride 0). */
FXP_TGT static void FN(load)(const void *src, int type, int64_t stride, int64_t start, int64_t n,
                             int shift, int64_t *dst)
{
#define FXP_LOAD(T) { \
        const T *p = (const T *)src; \
        if (stride == 0) { \
            const int64_t v = (int64_t)((uint64_t)(int64_t)p[0] << shift); \
            for (int64_t i = 0; i < n; ++i) dst[i] = v; \
        } else { \
            p += start; \
            for (int64_t i = 0; i < n; ++i) dst[i] = (int64_t)((uint64_t)(int64_t)p[i] << shift); \
        } } break;
    switch (type) {
    case FXP_I8: FXP_LOAD(int8_t)
    case FXP_U8: FXP_LOAD(uint8_t)
    case FXP_I16: FXP_LOAD(int16_t)
    case FXP_U16: FXP_LOAD(uint16_t)
    case FXP_I32: FXP_LOAD(int32_t)
    case FXP_U32: FXP_LOAD(uint32_t)
    default: FXP_LOAD(int64_t)
    }
#undef FXP_LOAD
}

/* acc[i] = acc[i] OP (src[start + i] << shift): the second operand, loaded and applied at once. */
FXP_TGT static void FN(load_op)(const void *src, int type, int64_t stride, int64_t start, int64_t n,
                                int shift, int op, int64_t *restrict acc)
{
#define FXP_LOAD_OP(T, OPER) { \
        const T *p = (const T *)src; \
        if (stride == 0) { \
            const int64_t v = (int64_t)((uint64_t)(int64_t)p[0] << shift); \
            for (int64_t i = 0; i < n; ++i) acc[i] = acc[i] OPER v; \
        } else { \
            p += start; \
            FXP_NO_ALIAS \
            for (int64_t i = 0; i < n; ++i) acc[i] = acc[i] OPER (int64_t)((uint64_t)(int64_t)p[i] << shift); \
        } } break;
#define FXP_LOAD_OPS(OPER) \
    switch (type) { \
    case FXP_I8: FXP_LOAD_OP(int8_t, OPER) \
    case FXP_U8: FXP_LOAD_OP(uint8_t, OPER) \
    case FXP_I16: FXP_LOAD_OP(int16_t, OPER) \
    case FXP_U16: FXP_LOAD_OP(uint16_t, OPER) \
    case FXP_I32: FXP_LOAD_OP(int32_t, OPER) \
    case FXP_U32: FXP_LOAD_OP(uint32_t, OPER) \
    default: FXP_LOAD_OP(int64_t, OPER) \
    } break;
/* both factors fit int32: a 32 x 32 -> 64-bit multiply (vpmuldq) instead of a 64-bit one */
#define FXP_MUL32(T) { \
        const T *p = (const T *)src; \
        if (stride == 0) { \
            const int32_t v = (int32_t)p[0]; \
            for (int64_t i = 0; i < n; ++i) acc[i] = (int64_t)(int32_t)acc[i] * v; \
        } else { \
            p += start; \
            FXP_NO_ALIAS \
            for (int64_t i = 0; i < n; ++i) acc[i] = (int64_t)(int32_t)acc[i] * (int32_t)p[i]; \
        } } break;
    if (op == FXP_OP_MUL32) {
        switch (type) {
        case FXP_I8: FXP_MUL32(int8_t)
        case FXP_U8: FXP_MUL32(uint8_t)
        case FXP_I16: FXP_MUL32(int16_t)
        case FXP_U16: FXP_MUL32(uint16_t)
        default: FXP_MUL32(int32_t)
        }
        return;
    }
    switch (op) {
    case FXP_OP_ADD: FXP_LOAD_OPS(+)
    case FXP_OP_SUB: FXP_LOAD_OPS(-)
    default: FXP_LOAD_OPS(*)
    }
#undef FXP_MUL32
#undef FXP_LOAD_OPS
#undef FXP_LOAD_OP
}

/* out[start + i] = narrow(round(v[i] / 2**s)) for 0 <= s <= 63 (s == 0: no rounding) with
 * saturate/raise (clamp) or wrap (keep w bits); returns the number of overflows.  One fused
 * loop per (mode, storage type, overflow mode). */
FXP_TGT static int64_t FN(round_narrow_store)(const int64_t *restrict v, int64_t n, int s, int mode,
                                              const uint64_t *restrict r, void *out, int type,
                                              int64_t start, int64_t lo, int64_t hi, int w, int ovf)
{
    int64_t over = 0;
#define FXP_RNS(T, SIGNED, ROUND) { \
        T *restrict o = (T *)out + start; \
        if (ovf == FXP_WRAP) { \
            FXP_NO_ALIAS \
            for (int64_t i = 0; i < n; ++i) { \
                const int64_t x = ROUND; \
                const int64_t u = fxp_wrap_i64(x, w, SIGNED); \
                over += u != x; \
                o[i] = (T)u; \
            } \
        } else { \
            FXP_NO_ALIAS \
            for (int64_t i = 0; i < n; ++i) { \
                int64_t x = ROUND; \
                over += (x < lo) | (x > hi); \
                x = x < lo ? lo : x; \
                x = x > hi ? hi : x; \
                o[i] = (T)x; \
            } \
        } } break;
#define FXP_RNS_TYPES(ROUND) \
    switch (type) { \
    case FXP_I8: FXP_RNS(int8_t, 1, ROUND) \
    case FXP_U8: FXP_RNS(uint8_t, 0, ROUND) \
    case FXP_I16: FXP_RNS(int16_t, 1, ROUND) \
    case FXP_U16: FXP_RNS(uint16_t, 0, ROUND) \
    case FXP_I32: FXP_RNS(int32_t, 1, ROUND) \
    default: FXP_RNS(uint32_t, 0, ROUND) \
    } break;
    if (s == 0) mode = -1;
    switch (mode) {
    case -1: FXP_RNS_TYPES(v[i])
    case FXP_NEAREST_EVEN: FXP_RNS_TYPES(fxp_shr_round_i64_near(v[i], s, FXP_NEAREST_EVEN, 0))
    case FXP_NEAREST_AWAY: FXP_RNS_TYPES(fxp_shr_round_i64_near(v[i], s, FXP_NEAREST_AWAY, 0))
    case FXP_FLOOR: FXP_RNS_TYPES(fxp_shr_round_i64_near(v[i], s, FXP_FLOOR, 0))
    case FXP_TOWARD_ZERO: FXP_RNS_TYPES(fxp_shr_round_i64_near(v[i], s, FXP_TOWARD_ZERO, 0))
    default: FXP_RNS_TYPES(fxp_shr_round_i64_near(v[i], s, FXP_STOCHASTIC, r[i]))
    }
#undef FXP_RNS_TYPES
#undef FXP_RNS
    return over;
}

FXP_TGT static int64_t FN(int_op_chunk)(const fxp_int_op_t *p, int64_t start, int64_t n)
{
    int64_t a[FXP_RNG_BLOCK];
    uint64_t r[FXP_RNG_BLOCK];
    FN(load)(p->a, p->a_type, p->a_stride, start, n, p->a_shift, a);
    if (p->op != FXP_OP_COPY)
        FN(load_op)(p->b, p->b_type, p->b_stride, start, n, p->b_shift, fxp_load_op_code(p), a);
    const int stochastic = p->mode == FXP_STOCHASTIC && p->s > 0;
    if (stochastic) FXP_BLOCK_FILL(p->key, (uint64_t)(start / FXP_RNG_BLOCK), r, n);
    if (p->s >= 0 && p->s < 64)
        return FN(round_narrow_store)(a, n, p->s, p->mode, r, p->out, p->out_type, start,
                                      p->lo, p->hi, p->w, p->ovf);
    /* rare: left shifts and right shifts by 64 or more, through the general primitives */
    int64_t over = 0;
    for (int64_t i = 0; i < n; ++i)
        a[i] = fxp_requantize_i64(a[i], p->s, p->mode, stochastic ? r[i] : 0, p->lo, p->hi, p->w,
                                  p->ovf, &over);
    return over + FN(round_narrow_store)(a, n, 0, p->mode, r, p->out, p->out_type, start,
                                         p->lo, p->hi, p->w, FXP_SATURATE);
}

/* Round x * scale (finite or not) with a constant mode; tiny products that underflowed to 0
 * are replaced by the smallest subnormal of the right sign, so floor / stochastic stay exact. */
#define FXP_SCALED(i) \
    const double xv = x[i]; \
    double y = xv * scale; \
    y = (y == 0.0 && xv != 0.0) ? copysign(0x1p-1074, xv) : y;

FXP_TGT static void FN(quantize_chunk)(const fxp_quantize_t *p, int64_t start, int64_t n, int64_t counts[3])
{
    double widened[FXP_RNG_BLOCK];
    if (p->x32) {
        for (int64_t i = 0; i < n; ++i) widened[i] = (double)p->x32[start + i];
    }
    const double *restrict x = p->x32 ? widened : p->x + start;
    const double scale = p->scale;
#ifdef FXP_QUANTIZE_CLAMP_FN
    if (p->ovf != FXP_WRAP) {
        FXP_QUANTIZE_CLAMP_FN(x, p, start, n, counts);
        return;
    }
#endif
    uint64_t r[FXP_RNG_BLOCK];
    const int need_r = p->mode == FXP_STOCHASTIC;
    if (need_r) FXP_BLOCK_FILL(p->key, (uint64_t)(start / FXP_RNG_BLOCK), r, n);
    int64_t over = 0, nan = 0, inf = 0;
    if (p->ovf == FXP_WRAP) {
        int64_t v[FXP_RNG_BLOCK];
        for (int64_t i = 0; i < n; ++i) {
            FXP_SCALED(i)
            if (xv != xv || isinf(xv)) { nan += xv != xv; inf += isinf(xv) != 0; v[i] = 0; continue; }
            const double q = fxp_round_double(y, p->mode, p->mode == FXP_STOCHASTIC ? r[i] : 0);
            if (q >= (double)p->lo && q <= (double)p->hi) { v[i] = (int64_t)q; continue; }
            ++over;
            /* q is an integer; its low 32 bits decide the wrap.  An overflowed product
             * (|x| near DBL_MAX) is a multiple of 2**900: its low bits are 0. */
            v[i] = isinf(q) ? 0 : fxp_wrap_i64((int64_t)fmod(q, 0x1p32), p->w, p->lo < 0);
        }
        FN(round_narrow_store)(v, n, 0, 0, r, p->out, p->out_type, start, p->lo, p->hi, p->w, FXP_SATURATE);
    }
#ifndef FXP_QUANTIZE_CLAMP_FN   /* a variant with its own saturate / raise loop returned above */
    else {
        const double lo = (double)p->lo, hi = (double)p->hi;
#define FXP_Q(T, CONV, ROUND) { \
            T *restrict o = (T *)p->out + start; \
            FXP_NO_ALIAS \
            for (int64_t i = 0; i < n; ++i) { \
                FXP_SCALED(i) \
                double q = ROUND; \
                nan += xv != xv; \
                inf += fabs(xv) == INFINITY; \
                over += (q < lo) | (q > hi); \
                q = q < lo ? lo : q; \
                q = q > hi ? hi : q; \
                q = q == q ? q : 0.0; \
                o[i] = (T)(CONV)q; \
            } } break;
#define FXP_QT(ROUND) \
        switch (p->out_type) { \
        case FXP_I8: FXP_Q(int8_t, int32_t, ROUND) \
        case FXP_U8: FXP_Q(uint8_t, int32_t, ROUND) \
        case FXP_I16: FXP_Q(int16_t, int32_t, ROUND) \
        case FXP_U16: FXP_Q(uint16_t, int32_t, ROUND) \
        case FXP_I32: FXP_Q(int32_t, int32_t, ROUND) \
        default: FXP_Q(uint32_t, int64_t, ROUND) \
        } break;
        switch (p->mode) {
        case FXP_NEAREST_EVEN: FXP_QT(fxp_round_double(y, FXP_NEAREST_EVEN, 0))
        case FXP_NEAREST_AWAY: FXP_QT(fxp_round_double(y, FXP_NEAREST_AWAY, 0))
        case FXP_FLOOR: FXP_QT(fxp_round_double(y, FXP_FLOOR, 0))
        case FXP_TOWARD_ZERO: FXP_QT(fxp_round_double(y, FXP_TOWARD_ZERO, 0))
        default: FXP_QT(fxp_round_double(y, FXP_STOCHASTIC, r[i]))
        }
#undef FXP_QT
#undef FXP_Q
    }
#endif
    counts[0] += over;
    counts[1] += nan;
    counts[2] += inf;
}

#undef FXP_SCALED
#undef FN
#undef FXP_NO_ALIAS
#undef FXP_CAT
#undef FXP_CAT2
