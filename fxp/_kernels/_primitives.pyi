# Stub of the compiled module _primitives.pyx (the rounding primitives over arrays, for tests).
import numpy as np
import numpy.typing as npt

ROUNDING_CODES: dict[str, int]
OVERFLOW_CODES: dict[str, int]

def shr_round_i64(x: npt.NDArray[np.int64], s: int, mode: int, r: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]: ...
def requantize_i64(x: npt.NDArray[np.int64], s: int, mode: int, r: npt.NDArray[np.uint64], lo: int, hi: int, w: int,
                   ovf: int) -> tuple[npt.NDArray[np.int64], int]: ...
def shr_round_narrow_i128(hi_words: npt.NDArray[np.int64], lo_words: npt.NDArray[np.uint64], s: int, mode: int,
                          r: npt.NDArray[np.uint64], lo: int, hi: int, w: int,
                          ovf: int) -> tuple[npt.NDArray[np.int64], int]: ...
def round_double(y: npt.NDArray[np.float64], mode: int, r: npt.NDArray[np.uint64]) -> npt.NDArray[np.float64]: ...
