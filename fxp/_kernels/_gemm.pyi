# Stub of the compiled module _gemm.pyx (the GEMM entry point).
import numpy as np
import numpy.typing as npt

TYPE_CODES: dict[np.dtype[np.integer], int]
PATH_NAMES: dict[int, str]

def best_isa() -> int: ...
def accumulate(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer], a_off: npt.NDArray[np.intp],
               b_off: npt.NDArray[np.intp], out: npt.NDArray[np.int64], acc_bits: int, wrap: bool, chunk: int,
               n_threads: int, isa: int = -1, force_row: bool = False,
               allow_int32: bool = False) -> tuple[int, str, bool]: ...
