# Stub of the compiled module _random.pyx (the numpy BitGenerator and the stream rule's words).
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.random import BitGenerator, SeedSequence

class Xoroshiro128Plus(BitGenerator):
    def __init__(self, seed: int | np.integer | SeedSequence | None = None) -> None: ...
    @property
    def state(self) -> Mapping[str, Any]: ...
    @state.setter
    def state(self, value: Mapping[str, Any]) -> None: ...

def element_words(key: int, start: int, n: int) -> npt.NDArray[np.uint64]: ...
