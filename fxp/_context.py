"""Thread-local defaults (``fxp.config``) and overflow accounting (``fxp.count_overflows``)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ._modes import Overflow, Rounding, as_overflow, as_rounding
from ._threads import effective_n_threads

if TYPE_CHECKING:
    from ._typing import OverflowLike, RoundingLike

# The work below which a kernel stays on one thread (threads_for): elementwise outputs, and a
# GEMM's multiply-adds.  Waking a second thread costs more, and for a GEMM a worker spinning on
# a busy core (another library's idle threads) can cost milliseconds.
PARALLEL_THRESHOLD = 1 << 16
PARALLEL_MACS = 1 << 22


@dataclass(frozen=True)
class Settings:
    """The defaults in force: rounding, overflow and the kernels' thread count."""

    rounding: Rounding = Rounding.NEAREST_EVEN
    overflow: Overflow = Overflow.SATURATE
    n_threads: int | None = None


class _State(threading.local):
    def __init__(self):
        self.settings = Settings()
        self.counters = []


_state = _State()


def get_config() -> Settings:
    """The current thread's :class:`Settings` (defaults: nearest_even, saturate, all threads)."""
    return _state.settings


class config:
    """Set default rounding / overflow / thread count for the current thread, like ``numpy.errstate``.

    Parameters
    ----------
    rounding : str or Rounding, optional
    overflow : str or Overflow, optional
    n_threads : int, optional
        Threads for the kernels (``None``: all OpenMP threads; see ``effective_n_threads``).

    Examples
    --------
    >>> import fxp
    >>> with fxp.config(rounding="floor", overflow="wrap"):
    ...     fxp.asarray([1.9, -1.1], "s8.0").raw.tolist()
    [1, -2]
    """

    def __init__(self, rounding: RoundingLike = None, overflow: OverflowLike = None,
                 n_threads: int | None = None) -> None:
        changes = {}
        if rounding is not None:
            changes["rounding"] = as_rounding(rounding)
        if overflow is not None:
            changes["overflow"] = as_overflow(overflow)
        if n_threads is not None:
            effective_n_threads(n_threads)  # validates
            changes["n_threads"] = n_threads
        self._changes = changes
        self._saved: list[Settings] = []

    def __enter__(self) -> Settings:
        self._saved.append(_state.settings)
        _state.settings = replace(_state.settings, **self._changes)
        return _state.settings

    def __exit__(self, *exc: object) -> Literal[False]:
        _state.settings = self._saved.pop()
        return False


class OverflowCount:
    """Counts of out-of-range elements seen inside a :func:`count_overflows` block.

    Attributes
    ----------
    saturated : int
        Elements clamped to the format's min/max (``overflow="saturate"``).
    wrapped : int
        Elements that wrapped around (``overflow="wrap"``).
    elements : int
        Output elements produced by the operations in the block.
    """

    def __init__(self) -> None:
        self.saturated = 0
        self.wrapped = 0
        self.elements = 0

    @property
    def total(self) -> int:
        """``saturated + wrapped``."""
        return self.saturated + self.wrapped

    def __repr__(self):
        return f"OverflowCount(saturated={self.saturated}, wrapped={self.wrapped}, elements={self.elements})"


class count_overflows:
    """Count the elements that saturate or wrap in a block of code (nested blocks all count).

    Examples
    --------
    >>> import fxp
    >>> with fxp.count_overflows() as ovf:
    ...     _ = fxp.asarray([100.0, 0.5, -100.0], "s8.4")
    >>> ovf.saturated
    2
    """

    def __enter__(self) -> OverflowCount:
        self.count = OverflowCount()
        _state.counters.append(self.count)
        return self.count

    def __exit__(self, *exc: object) -> Literal[False]:
        _state.counters.remove(self.count)
        return False


def resolve_modes(rounding, overflow):
    """Per-call modes, falling back on the thread's defaults."""
    settings = _state.settings
    return (settings.rounding if rounding is None else as_rounding(rounding),
            settings.overflow if overflow is None else as_overflow(overflow))


def threads_for(work, n_threads=None, threshold=None):
    """Threads a kernel over ``work`` units (outputs, or a GEMM's multiply-adds) should use.

    ``n_threads`` (default: the :class:`fxp.config` setting) is the most it uses; work below
    ``threshold`` (default ``PARALLEL_THRESHOLD``; ``PARALLEL_MACS`` for a GEMM) runs on one
    thread.  This is the one work-to-threads rule: the C kernels run on the count they are given.
    """
    small = work < (PARALLEL_THRESHOLD if threshold is None else threshold)
    if small and n_threads is None:     # the common case, without the OpenMP query
        return 1
    wanted = effective_n_threads(_state.settings.n_threads if n_threads is None else n_threads)
    return 1 if small else wanted


def counting():
    """Whether a :func:`count_overflows` block is active in this thread."""
    return bool(_state.counters)


def record_overflows(n_over, n_elements, overflow):
    """Add one operation's overflow count to every active :func:`count_overflows` block."""
    for counter in _state.counters:
        counter.elements += n_elements
        if overflow is Overflow.WRAP:
            counter.wrapped += n_over
        else:
            counter.saturated += n_over
