/* The storage types of the kernels: their codes (shared with Python through
 * fxp/_kernels/_elementwise.pyx), byte sizes and magnitude bounds. */
#ifndef FXP_TYPES_H
#define FXP_TYPES_H
#include <stddef.h>

enum { FXP_I8 = 0, FXP_U8 = 1, FXP_I16 = 2, FXP_U16 = 3, FXP_I32 = 4, FXP_U32 = 5, FXP_I64 = 6 };

/* bytes per element of type t (comparisons, not a table: with a table the AVX2 quantize loop,
 * which calls it with a run-time type, took one more instruction per step) */
static inline size_t fxp_type_bytes(int t)
{
    return t <= FXP_U8 ? 1 : t <= FXP_U16 ? 2 : t <= FXP_U32 ? 4 : 8;
}

/* b such that every value x of type t has |x| <= 2**b (x >= -2**b, x < 2**b) */
static inline int fxp_type_magnitude_bits(int t)
{
    static const int bits[] = {7, 8, 15, 16, 31, 32, 63};
    return bits[t];
}

#endif
