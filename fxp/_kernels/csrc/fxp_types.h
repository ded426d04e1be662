/* The storage types of the kernels: their codes (shared with Python through
 * fxp/_kernels/_elementwise.pyx), byte sizes and magnitude bounds. */
#ifndef FXP_TYPES_H
#define FXP_TYPES_H
#include <stddef.h>

/* Signed codes are even, unsigned odd; the size doubles every two codes. */
enum { FXP_I8 = 0, FXP_U8 = 1, FXP_I16 = 2, FXP_U16 = 3, FXP_I32 = 4, FXP_U32 = 5, FXP_I64 = 6 };

/* bytes per element of type t */
static inline size_t fxp_type_bytes(int t) { return (size_t)1 << (t >> 1); }

/* b such that every value x of type t has |x| <= 2**b (x >= -2**b, x < 2**b): 7 for int8,
 * 8 for uint8, ..., 63 for int64 */
static inline int fxp_type_magnitude_bits(int t) { return 8 * (int)fxp_type_bytes(t) - 1 + (t & 1); }

#endif
