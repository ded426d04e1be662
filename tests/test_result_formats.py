"""Default (exact-growth) result formats hold every result, are as small as they can be, and
raise when no format can hold the result (docs/core.md, "Result formats")."""
import numpy as np
import pytest

import fxp
from fxp import Format


def test_issue_examples_coarse_scales():
    """The exact format of a result coarser than 2**64 grows the word (exact), or raises when even
    32 bits at scale 2**64 cannot hold it."""
    x = fxp.from_raw(np.array([100], np.int16), "s9.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        x * x                                   # 3.4e42, beyond the 2**95 of s32.-64
    y = fxp.from_raw(np.array([-128, 127], np.int8), "s8.-40")
    z = fxp.from_raw(np.array([-128, 127], np.int8), "s8.-30")
    p = y * z                                   # exact s16.-70: the same values as s22.-64
    assert p.fmt == Format(22, -64)
    assert p.raw.tolist() == [(-128 * -128) << 6, (127 * 127) << 6]
    s = fxp.from_raw(np.array([2**30, 2**30], np.int32), "s32.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        fxp.sum(s)
    assert fxp.sum(s, out_format="s32.-64", overflow="saturate").raw == 2**31 - 1
    u = fxp.from_raw(np.array([2**32 - 1], np.uint32), "u32.-64")
    with pytest.raises(ValueError, match="no fixed-point format holds"):
        u + u
