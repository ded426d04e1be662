/* fxp rounding and narrowing primitives (normative twin: fxp/_reference.py).
 *
 * Conventions.  `>>` on a negative signed integer is an arithmetic (floor) shift: true on
 * gcc, clang and MSVC, implementation-defined before C23, so the code relies on it the way
 * gemmlowp does.  Shifts are never UB: counts >= the width are handled explicitly.
 * Stochastic rounding of x / 2**s adds the offset floor(r * 2**(s-64)) (the top s bits of the
 * 64-bit random word r when s <= 64) and floors: floor((x + offset) / 2**s), unbiased.
 * Requires __int128 for the *_i128 variants (gcc, clang).
 */
#ifndef FXP_ROUND_H
#define FXP_ROUND_H
#include <stdint.h>
#include <math.h>

enum { FXP_NEAREST_EVEN = 0, FXP_NEAREST_AWAY = 1, FXP_FLOOR = 2, FXP_TOWARD_ZERO = 3, FXP_STOCHASTIC = 4 };
enum { FXP_SATURATE = 0, FXP_WRAP = 1, FXP_RAISE = 2 };

/* Round x / 2**s (s >= 64) for int64 x: |x / 2**s| <= 1/2, so only signs and the tie matter. */
static inline int64_t fxp_shr_round_i64_far(int64_t x, int s, int mode, uint64_t r)
{
    switch (mode) {
    case FXP_NEAREST_AWAY: return (s == 64 && x == INT64_MIN) ? -1 : 0;
    case FXP_FLOOR: return x < 0 ? -1 : 0;
    case FXP_STOCHASTIC: {
        /* floor((x + r*2**(s-64)) / 2**s) == floor((floor(x / 2**(s-64)) + r) / 2**64) */
        int64_t xs = x >> (s - 64 < 63 ? s - 64 : 63);
        if (xs < 0) return r < (uint64_t)(-(xs + 1)) + 1 ? -1 : 0;
        return r + (uint64_t)xs < r ? 1 : 0;
    }
    default: return 0; /* nearest_even (a tie at -1/2 goes to even 0), toward_zero */
    }
}

/* Round x / 2**s to an integer with `mode` for 1 <= s <= 63 (the common, vectorisable case). */
static inline int64_t fxp_shr_round_i64_near(int64_t x, int s, int mode, uint64_t r)
{
    const int64_t q = x >> s;                                   /* floor; |q| <= 2**62 */
    const uint64_t rem = (uint64_t)x & ((UINT64_C(1) << s) - 1);
    const uint64_t half = UINT64_C(1) << (s - 1);
    /* branch-free (so the loops vectorise): a carry out of rem + (half - 1) + tie bit is "up" */
    switch (mode) {
    case FXP_NEAREST_EVEN: return q + (int64_t)((rem + (half - 1) + (uint64_t)(q & 1)) >> s);
    case FXP_NEAREST_AWAY: return q + (int64_t)((rem + (half - 1) + (uint64_t)(q >= 0)) >> s);
    case FXP_FLOOR: return q;
    case FXP_TOWARD_ZERO: return q + ((rem != 0) & (q < 0));
    default: return q + (int64_t)((rem + (r >> (64 - s))) >> s); /* < 2**(s+1): no overflow */
    }
}

/* Round x / 2**s to an integer with `mode` (s >= 0, any size); r: random word (stochastic). */
static inline int64_t fxp_shr_round_i64(int64_t x, int s, int mode, uint64_t r)
{
    if (s == 0) return x;
    if (s >= 64) return fxp_shr_round_i64_far(x, s, mode, r);
    return fxp_shr_round_i64_near(x, s, mode, r);
}

/* Keep the low w bits (1 <= w <= 32) of v as a two's-complement (is_signed) or unsigned word. */
static inline int64_t fxp_wrap_i64(int64_t v, int w, int is_signed)
{
    const uint64_t up = (uint64_t)v << (64 - w);
    return is_signed ? ((int64_t)up) >> (64 - w) : (int64_t)(up >> (64 - w));
}

/* Narrow v into [lo, hi], the range of a w-bit word (signed iff lo < 0): saturate (and raise)
 * clamp, wrap keeps the low w bits; every out-of-range element increments *n_over. */
static inline int64_t fxp_narrow_i64(int64_t v, int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over)
{
    if (v >= lo && v <= hi) return v;
    ++*n_over;
    if (ovf != FXP_WRAP) return v < lo ? lo : hi;
    return fxp_wrap_i64(v, w, lo < 0);
}

/* Floor-shift that accepts any count t >= 0 (t >= 63 gives the sign: 0 or -1). */
static inline int64_t fxp_shr_floor_any(int64_t v, int t) { return t >= 63 ? (v < 0 ? -1 : 0) : v >> t; }

/* Narrow x * 2**t (t >= 0, any size) into [lo, hi] like fxp_narrow_i64, exactly (no overflow). */
static inline int64_t fxp_shl_narrow_i64(int64_t x, int t, int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over)
{
    if (t == 0) return fxp_narrow_i64(x, lo, hi, w, ovf, n_over);
    const int too_big = x > fxp_shr_floor_any(hi, t);
    const int too_small = x < -fxp_shr_floor_any(-lo, t);
    if (!too_big && !too_small) return x << t;  /* |x << t| <= 2**32: fits */
    ++*n_over;
    if (ovf != FXP_WRAP) return too_small ? lo : hi;
    if (t >= 64) return 0;
    return fxp_wrap_i64((int64_t)((uint64_t)x << t), w, lo < 0);
}

/* Requantize a raw integer with s = (source frac bits) - (target frac bits), any sign/size:
 * one rounding (s > 0), then narrowing. */
static inline int64_t fxp_requantize_i64(int64_t x, int s, int mode, uint64_t r,
                                         int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over)
{
    if (s <= 0) return fxp_shl_narrow_i64(x, -s, lo, hi, w, ovf, n_over);
    return fxp_narrow_i64(fxp_shr_round_i64(x, s, mode, r), lo, hi, w, ovf, n_over);
}

#ifdef __SIZEOF_INT128__
typedef __int128 fxp_i128;

/* Round x / 2**s (s >= 0, any size) for 128-bit x; same semantics as fxp_shr_round_i64. */
static inline fxp_i128 fxp_shr_round_i128(fxp_i128 x, int s, int mode, uint64_t r)
{
    if (s == 0) return x;
    if (s >= 128) {                                     /* |x / 2**s| <= 1/2 */
        const fxp_i128 min128 = -((fxp_i128)1 << 126) - ((fxp_i128)1 << 126);  /* -2**127 */
        switch (mode) {
        case FXP_NEAREST_AWAY: return (s == 128 && x == min128) ? -1 : 0;
        case FXP_FLOOR: return x < 0 ? -1 : 0;
        case FXP_STOCHASTIC: {
            /* as in the 64-bit far case: floor((floor(x / 2**(s-64)) + r) / 2**64) */
            const fxp_i128 xs = x >> (s - 64 < 127 ? s - 64 : 127);   /* |xs| <= 2**63 */
            return (xs + (fxp_i128)r) >> 64;
        }
        default: return 0;
        }
    }
    typedef unsigned __int128 fxp_u128;
    const fxp_i128 q = x >> s;
    const fxp_u128 rem = (fxp_u128)x & ((((fxp_u128)1) << s) - 1);   /* in [0, 2**s) */
    const fxp_u128 half = ((fxp_u128)1) << (s - 1);
    switch (mode) {
    case FXP_NEAREST_EVEN: return q + (rem > half || (rem == half && (q & 1)));
    case FXP_NEAREST_AWAY: return q + (rem > half || (rem == half && q >= 0));
    case FXP_FLOOR: return q;
    case FXP_TOWARD_ZERO: return q + (rem != 0 && q < 0);
    default: {
        const fxp_u128 off = s <= 64 ? (fxp_u128)(r >> (64 - s)) : ((fxp_u128)r << (s - 64));
        return q + (fxp_i128)((rem + off) >> s);              /* rem + off < 2**(s+1) <= 2**128 */
    }
    }
}

/* Narrow a 128-bit v into [lo, hi] (w-bit word); same semantics as fxp_narrow_i64. */
static inline int64_t fxp_narrow_i128(fxp_i128 v, int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over)
{
    if (v >= lo && v <= hi) return (int64_t)v;
    ++*n_over;
    if (ovf != FXP_WRAP) return v < lo ? lo : hi;
    return fxp_wrap_i64((int64_t)(uint64_t)(unsigned __int128)v, w, lo < 0);
}

/* fxp_requantize_i64 for a 128-bit x: one rounding (s > 0) or an exact left shift by -s
 * (s < 0, any size), then narrowing. */
static inline int64_t fxp_requantize_i128(fxp_i128 x, int s, int mode, uint64_t r,
                                          int64_t lo, int64_t hi, int w, int ovf, int64_t *n_over)
{
    if (s >= 0) return fxp_narrow_i128(fxp_shr_round_i128(x, s, mode, r), lo, hi, w, ovf, n_over);
    const int t = -s;
    const int too_big = x > fxp_shr_floor_any(hi, t);
    const int too_small = x < -fxp_shr_floor_any(-lo, t);
    if (!too_big && !too_small) return (int64_t)((uint64_t)(int64_t)x << t);   /* |x << t| <= 2**32 */
    ++*n_over;
    if (ovf != FXP_WRAP) return too_small ? lo : hi;
    if (t >= 64) return 0;
    return fxp_wrap_i64((int64_t)(uint64_t)((unsigned __int128)x << t), w, lo < 0);
}
#endif

/* floor and trunc through rint (exact for every double; compilers vectorise rint, and with
 * default flags not floor/trunc).  Assumes the default FE_TONEAREST rounding mode. */
static inline double fxp_floor(double y) { const double t = rint(y); return t - (double)(t > y); }
static inline double fxp_trunc(double y)
{
    const double f = fxp_floor(y);
    return f + (double)(y < 0.0 && f != y);
}

/* Round the finite double y to an integral double with `mode`; r: random word (stochastic):
 * floor(y + r * 2**-64) exactly. */
static inline double fxp_round_double(double y, int mode, uint64_t r)
{
    switch (mode) {
    case FXP_NEAREST_EVEN: return rint(y);
    case FXP_NEAREST_AWAY: {
        const double t = fxp_trunc(y), d = y - t;              /* exact (Sterbenz) */
        return t + (double)(d >= 0.5) - (double)(d <= -0.5);
    }
    case FXP_FLOOR: return fxp_floor(y);
    case FXP_TOWARD_ZERO: return fxp_trunc(y);
    default: {
        const double fl = fxp_floor(y);
        /* F = floor(frac * 2**64); y + u >= fl + 1  <=>  r + F >= 2**64 (a carry). For y in
         * (-1, 0), y - fl is inexact, so F = 2**64 - ceil(-y * 2**64) is taken instead. */
        const double neg_scaled = -y * 0x1p64;
        const uint64_t F_small = (uint64_t)0 - ((uint64_t)neg_scaled + (uint64_t)(fxp_floor(neg_scaled) != neg_scaled));
        const uint64_t F = (fl == -1.0 && y != -1.0) ? F_small : (uint64_t)((y - fl) * 0x1p64);
        return fl + (double)(r + F < r);
    }
    }
}

#endif /* FXP_ROUND_H */
