"""fxp.random.Xoroshiro128Plus: a numpy BitGenerator over fxp's xoroshiro128+ core, and stream access."""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, uint32_t, uint64_t
from numpy.random cimport BitGenerator, bitgen_t

from fxp._kernels._rng cimport (FXP_RNG_BLOCK, fxp_rng_block_fill, fxp_stream_next,
                                fxp_stream_seed, fxp_stream_t)

cnp.import_array()

cdef uint64_t _next_uint64(void *st) noexcept nogil:
    return fxp_stream_next(<fxp_stream_t *> st)

cdef uint32_t _next_uint32(void *st) noexcept nogil:
    return <uint32_t> (fxp_stream_next(<fxp_stream_t *> st) >> 32)

cdef double _next_double(void *st) noexcept nogil:
    return (fxp_stream_next(<fxp_stream_t *> st) >> 11) * (1.0 / 9007199254740992.0)


cdef class Xoroshiro128Plus(BitGenerator):
    """xoroshiro128+ bit generator (Blackman and Vigna), usable with ``numpy.random.Generator``.

    Named by its algorithm, as numpy names its bit generators; ``fxp.random.Xorshift`` (the
    family it belongs to) is an alias.

    Parameters
    ----------
    seed : int in [0, 2**64), numpy SeedSequence or None
        The state is two consecutive splitmix64 outputs of ``seed``, so it is
        never all-zero.  ``None`` takes a seed from OS entropy, and a
        ``SeedSequence`` gives one 64-bit word (so ``spawn`` works).

    Notes
    -----
    ``random_raw`` returns the 64-bit words; ``next_uint32`` takes the high 32
    bits of a word and ``next_double`` its high 53 bits (the low bits of
    xoroshiro128+ are the weakest).

    Examples
    --------
    >>> import numpy as np, fxp
    >>> g = np.random.Generator(fxp.random.Xoroshiro128Plus(1))
    >>> float(g.random()) < 1.0
    True
    """
    cdef fxp_stream_t rng_state

    def __init__(self, seed=None):
        from_sequence = seed is None or isinstance(seed, np.random.SeedSequence)
        if not from_sequence:
            if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"seed must be an int, a numpy SeedSequence or None, got {seed!r}")
            if not 0 <= int(seed) < 2**64:
                raise ValueError(f"seed must be in [0, 2**64), got {seed}")
        BitGenerator.__init__(self, seed)
        if from_sequence:
            seed = int(self._seed_seq.generate_state(1, np.uint64)[0])
        fxp_stream_seed(&self.rng_state, <uint64_t> int(seed))
        self._bitgen.state = <void *> &self.rng_state
        self._bitgen.next_uint64 = &_next_uint64
        self._bitgen.next_uint32 = &_next_uint32
        self._bitgen.next_double = &_next_double
        self._bitgen.next_raw = &_next_uint64

    @property
    def state(self):
        """The generator state as a dict (``{'bit_generator': 'Xoroshiro128Plus', 'state': {'s0', 's1'}}``)."""
        return {"bit_generator": "Xoroshiro128Plus",
                "state": {"s0": int(self.rng_state.s0), "s1": int(self.rng_state.s1)}}

    @state.setter
    def state(self, value):
        # "Xorshift": the class's earlier name, found in older checkpoints
        if not isinstance(value, dict) or value.get("bit_generator") not in ("Xoroshiro128Plus", "Xorshift"):
            raise ValueError("state must be a dict from Xoroshiro128Plus.state")
        s0, s1 = int(value["state"]["s0"]), int(value["state"]["s1"])
        if s0 == 0 and s1 == 0:
            raise ValueError("an all-zero xoroshiro128+ state is invalid")
        self.rng_state.s0 = <uint64_t> s0
        self.rng_state.s1 = <uint64_t> s1


def element_words(uint64_t key, int64_t start, int64_t n):
    """The random words of elements ``start .. start+n-1`` of an operation keyed by ``key``.

    This is the elementwise stream rule (see ``docs/core.md``), exposed for tests and
    for kernels written in Python.  Returns a uint64 array of length ``n``.
    """
    if start < 0 or n < 0:
        raise ValueError("start and n must be non-negative")
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t buf[1024]   # == FXP_RNG_BLOCK (checked at import)
    cdef int64_t i = 0, idx, block, pos, take, k
    with nogil:
        while i < n:
            idx = start + i
            block = idx // FXP_RNG_BLOCK
            pos = idx - block * FXP_RNG_BLOCK
            take = min(FXP_RNG_BLOCK - pos, n - i)
            fxp_rng_block_fill(key, <uint64_t> block, buf, pos + take)
            for k in range(take):
                o[i + k] = buf[pos + k]
            i += take
    return out

assert FXP_RNG_BLOCK == 1024, "element_words' buffer assumes FXP_RNG_BLOCK == 1024"
