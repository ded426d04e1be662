"""The compiled kernels.  ``FXP_SIMD_LEVEL`` (0 portable, 1 AVX2, 2 AVX-512) caps the SIMD level
they use in this process (the C code reads it, csrc/fxp_cpu.h); it is checked here so that
a mistyped value fails at import instead of being ignored."""
import os

_level = os.environ.get("FXP_SIMD_LEVEL", "")
if _level not in ("", "0", "1", "2"):
    raise ValueError(
        f"FXP_SIMD_LEVEL={_level!r}: use 0 (portable), 1 (AVX2) or 2 (AVX-512), or unset it for the best level the CPU has"
    )
del _level
