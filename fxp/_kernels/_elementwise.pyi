# Stub of the compiled module _elementwise.pyx (the elementwise kernels' entry points).
import numpy as np
import numpy.typing as npt

OPS: dict[str, int]
ROUNDING_CODES: dict[str, int]
OVERFLOW_CODES: dict[str, int]
TYPE_CODES: dict[np.dtype[np.integer], int]
MAGNITUDE_BITS: dict[np.dtype[np.integer], int]

def simd_level(want: int = -1) -> int: ...
def int_op(op: str, a: npt.NDArray[np.integer], a_shift: int, b: npt.NDArray[np.integer], b_shift: int,
           out: npt.NDArray[np.integer], s: int, mode: int, ovf: int, lo: int, hi: int, w: int, key: int,
           n_threads: int) -> int: ...
def quantize(x: npt.NDArray[np.floating], out: npt.NDArray[np.integer], frac_bits: int, mode: int, ovf: int,
             lo: int, hi: int, w: int, key: int, n_threads: int) -> tuple[int, int, int]: ...
