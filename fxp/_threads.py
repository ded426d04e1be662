"""Thread-count policy shared by all kernels."""
from __future__ import annotations

import numbers

from ._kernels import _openmp


def effective_n_threads(n_threads=None):
    """Resolve a user's ``n_threads`` to a positive count.

    ``None`` means every thread OpenMP offers (``OMP_NUM_THREADS`` honoured),
    a negative ``k`` means ``max_threads + 1 + k`` (as in scikit-learn), and a
    build without OpenMP always gives 1.
    """
    available = _openmp.max_threads()
    if n_threads is None:
        return available
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral) or n_threads == 0:
        raise ValueError(f"n_threads must be a non-zero integer or None, got {n_threads!r}")
    if not _openmp.have_openmp():
        return 1
    if n_threads < 0:
        return max(1, available + 1 + int(n_threads))
    return int(n_threads)
