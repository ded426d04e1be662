# Random bits for stochastic rounding: xoroshiro128+ streams seeded by splitmix64.
# The stream rule (which word an output element takes) is documented in csrc/fxp_rng.h and
# docs/core.md; fxp/_reference.py is its pure-Python twin.  Declares what _random.pyx uses
# (the C kernels include fxp_rng.h directly).
from libc.stdint cimport int64_t, uint64_t

cdef extern from "fxp_rng.h" nogil:
    enum:
        FXP_RNG_BLOCK     # elements per block of the elementwise stream rule
    ctypedef struct fxp_stream_t:
        uint64_t s0
        uint64_t s1
    # state of a stand-alone generator seeded with `seed` (fxp.random.Xoroshiro128Plus)
    void fxp_stream_seed(fxp_stream_t *st, uint64_t seed) noexcept
    # next xoroshiro128+ word; use its high bits
    uint64_t fxp_stream_next(fxp_stream_t *st) noexcept
    # words of elements block*FXP_RNG_BLOCK + [0, n), n <= FXP_RNG_BLOCK, by the stream rule
    void fxp_rng_block_fill(uint64_t key, uint64_t block, uint64_t *out, int64_t n) noexcept
