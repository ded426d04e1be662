"""Accumulator bit-width analysis: worst case, overflow probability, and Sakr et al.'s VRR.

Fixed-point accumulators (the ones :func:`fxp.matmul` emulates):

* :func:`worst_case_acc_bits` - exact bits that no sum of K products can overflow;
* :func:`overflow_probability` - the Gaussian (central-limit) estimate that the final sum,
  or any partial sum, leaves an ``acc_bits`` accumulator;
* :func:`empirical_overflow_rate` - the same measured with the bounded-accumulator GEMM.

Floating-point accumulators with ``m_acc`` mantissa bits (Sakr, Wang, Chen, Choi, Agrawal,
Shanbhag, Gopalakrishnan, "Accumulation bit-width scaling for ultra-low precision training
of deep networks", ICLR 2019):

* :func:`vrr` - the variance retention ratio ``Var(s_n computed) / Var(s_n exact)``;
* :func:`min_acc_mantissa` - the smallest ``m_acc`` meeting the paper's cutoff
  ``n (1 - VRR) < ln 50``;
* :func:`empirical_vrr` - an emulated truncating floating-point accumulator on random data.

**The paper's Theorem 1 could not be retrieved** (see ``docs/analysis.md``): both VRR models
here are *reconstructions* from the definition, not the paper's formula.  ``model="per_term"``
is exact under its stated assumptions (truncating alignment of each addend to the ulp of an
ideal Gaussian partial sum); ``model="stagnation"`` is the closed-form full-swamping model in
the paper's k1/k2 form.  Chunking multiplies the intra- and inter-chunk VRRs, and sparsity
enters as an effective length ``nzr * n``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from ._format import as_format
from ._gemm import accumulate_raw, kernel_operand
from ._raw import quantize
from ._rules import positive_int, worst_case_acc_bits

if TYPE_CHECKING:
    from ._typing import FormatLike


def _ndtr(x):
    """The standard normal CDF, ``scipy.special.ndtr`` (scipy is imported here, on first use, so
    that ``import fxp`` needs only numpy)."""
    try:
        from scipy.special import ndtr as scipy_ndtr
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError('fxp.analysis needs scipy: pip install "fxp[analysis]"') from exc
    return scipy_ndtr(x)


__all__ = [
    "worst_case_acc_bits",
    "overflow_probability",
    "empirical_overflow_rate",
    "vrr",
    "min_acc_mantissa",
    "empirical_vrr",
    "VRR_CUTOFF",
]

#: the paper's criterion: the "normalized exponential variance lost" exp(n (1 - VRR)) < 50
VRR_CUTOFF = 50.0


# --- fixed-point accumulators --------------------------------------------------------------

def overflow_probability(k: int | npt.ArrayLike, sigma_product: float, acc_bits: int, acc_frac_bits: int,
                         mid_sum: bool = True) -> float | np.ndarray:
    """Gaussian estimate of the chance that an accumulation leaves the accumulator.

    The sum of ``k`` independent zero-mean products of standard deviation
    ``sigma_product`` is treated as N(0, k sigma^2) (central limit theorem).

    Parameters
    ----------
    k : int or array_like
        Accumulation length.
    sigma_product : float
        Standard deviation of one product, in real units.
    acc_bits, acc_frac_bits : int
        Accumulator word and fraction bits (range +-2**(acc_bits - 1 - acc_frac_bits)).
    mid_sum : bool, default True
        True: probability that ANY partial sum reaches the bound, by the reflection
        principle for a random walk, ``min(1, 4 Q(B / (sigma sqrt k)))``; False: only the
        final sum, ``2 Q(B / (sigma sqrt k))``.

    Returns
    -------
    float or ndarray
    """
    bound = math.ldexp(1.0, acc_bits - 1 - acc_frac_bits)
    k = np.asarray(k, dtype=np.float64)
    z = bound / (sigma_product * np.sqrt(np.maximum(k, 1e-300)))
    tail = _ndtr(-z)
    p = np.minimum(1.0, (4.0 if mid_sum else 2.0) * tail)
    return np.where(k > 0, p, 0.0)[()]


def empirical_overflow_rate(k: int, sigma_a: float, sigma_b: float, fmt_a: FormatLike, fmt_b: FormatLike,
                            acc_bits: int, n_outputs: int = 4096, seed: int = 0,
                            chunk: int | None = None) -> float:
    """Fraction of GEMM outputs whose accumulation hit the bound, on Gaussian operands.

    Runs the bounded-accumulator kernel of :func:`fxp.matmul` on an (m x k) @ (k x 64)
    product of operands drawn from N(0, sigma_a^2), N(0, sigma_b^2) and quantized to
    ``fmt_a``/``fmt_b`` (nearest, saturating).  Compare with :func:`overflow_probability`
    (``sigma_product = sigma_a * sigma_b``, ``acc_frac_bits = frac_a + frac_b``).
    """
    fa, fb = as_format(fmt_a), as_format(fmt_b)
    rng = np.random.default_rng(seed)
    n = 64
    m = max(1, -(-n_outputs // n))
    a = quantize(rng.normal(0.0, sigma_a, (m, k)), fa, "nearest_even", "saturate")
    b = quantize(rng.normal(0.0, sigma_b, (k, n)), fb, "nearest_even", "saturate")
    _, hits, _ = accumulate_raw(kernel_operand(a, fa), kernel_operand(b, fb), acc_bits, "saturate", chunk)
    return hits / (m * n)


# --- floating-point accumulators: VRR -------------------------------------------------------

def _round_mantissa(x, m, mode):
    """x rounded to m mantissa bits after the leading one (nearest or toward zero)."""
    _, e = np.frexp(x)                       # |x| in [2**(e-1), 2**e)
    scale = (e - 1 - m).astype(np.int64)
    y = np.ldexp(x, -scale)
    y = np.rint(y) if mode == "nearest" else np.trunc(y)
    return np.where(x == 0, 0.0, np.ldexp(y, scale))


_G_CACHE: dict[tuple, np.ndarray] = {}


def _truncation_gain(m_p, u_values):
    """G(u) = E[(2**u trunc(p / 2**u))**2] for p ~ N(0, 1) rounded to m_p mantissa bits."""
    key = (m_p, tuple(u_values))
    if key not in _G_CACHE:
        # fine quadrature on [0, 9]; the integrand is even in p
        p = np.linspace(0.0, 9.0, 400_001)[1:]
        w = np.exp(-0.5 * p * p) * math.sqrt(2.0 / math.pi) * (p[1] - p[0])
        q = _round_mantissa(p, m_p, "nearest")
        g = []
        for u in u_values:
            t = np.ldexp(np.trunc(np.ldexp(q, -int(u))), int(u))
            g.append(float((w * t * t).sum()))
        norm = float((w * q * q).sum())
        _G_CACHE[key] = np.array(g) / norm
    return _G_CACHE[key]


def _vrr_per_term(n, m_acc, m_p, block=8192):
    """(1/n) sum_i E[p_i'^2] / sigma^2 with p' truncated to the ulp of s_{i-1} ~ N(0, i-1)."""
    ks = np.arange(-60, 61)                  # binades of |s_{i-1}|, sigma_p = 1
    gain = _truncation_gain(m_p, tuple(ks - m_acc))
    total = 1.0                              # i = 1: the first product enters exactly
    edges = np.ldexp(1.0, ks)                # 2**k
    for i0 in range(2, n + 1, block):
        i = np.arange(i0, min(n, i0 + block - 1) + 1, dtype=np.float64)
        sd = np.sqrt(i - 1.0)[:, None]
        prob = 2.0 * (_ndtr(2.0 * edges / sd) - _ndtr(edges / sd))   # P(2**k <= |s| < 2**(k+1))
        total += float((prob * gain).sum())
    return total / n


def _vrr_stagnation(n, m_acc):
    """Closed-form full-swamping model: VRR = (1 - k1) + k2 / n (optional stopping)."""
    i = np.arange(1, n, dtype=np.float64)
    q_tilde = 2.0 * _ndtr(-np.ldexp(1.0, m_acc) / np.sqrt(i))
    survive = np.concatenate(([1.0], np.cumprod(1.0 - q_tilde)[:-1]))
    q = q_tilde * survive
    return float((1.0 - q.sum()) + (i * q).sum() / n)


def vrr(n: int, m_acc: int, m_p: int, chunk: int | None = None, nzr: float = 1.0,
        model: Literal["per_term", "stagnation"] = "per_term") -> float:
    """Variance retention ratio of an n-term floating-point accumulation (reconstructed).

    Parameters
    ----------
    n : int
        Accumulation length.
    m_acc : int
        Accumulator mantissa bits (after the leading one).
    m_p : int
        Product mantissa bits (e.g. 5 for products of FP8 (1,5,2) numbers).
    chunk : int, optional
        Chunk size n1: ``VRR(n1; m_acc, m_p) * VRR(n / n1; m_acc, m_acc)``.
    nzr : float, default 1
        Non-zero ratio of the products (sparsity): the effective length is ``nzr * n``.
    model : {"per_term", "stagnation"}
        The reconstruction to use (see the module docstring and docs/analysis.md).

    Returns
    -------
    float
        1 means no variance lost.
    """
    n = positive_int(n, "n")
    if not 0.0 < nzr <= 1.0:
        raise ValueError(f"nzr must be in (0, 1], got {nzr}")
    if model not in ("per_term", "stagnation"):
        raise ValueError(f"model must be 'per_term' or 'stagnation', got {model!r}")
    n_eff = max(1, int(round(nzr * n)))
    if chunk is not None:
        n1 = min(positive_int(chunk, "chunk"), n_eff)
        n2 = max(1, -(-n_eff // n1))
        return vrr(n1, m_acc, m_p, model=model) * vrr(n2, m_acc, m_acc, model=model)
    if model == "stagnation":
        return _vrr_stagnation(n_eff, m_acc)
    return _vrr_per_term(n_eff, m_acc, m_p)


def min_acc_mantissa(n: int, m_p: int, chunk: int | None = None, nzr: float = 1.0,
                     model: Literal["per_term", "stagnation"] = "per_term", cutoff: float = VRR_CUTOFF,
                     max_bits: int = 52) -> int:
    """Smallest accumulator mantissa with ``exp(n (1 - VRR)) < cutoff`` (Sakr et al.'s rule).

    Parameters are those of :func:`vrr`; ``n`` here is the nominal length (the
    criterion uses ``n``, the VRR the effective ``nzr * n``).
    """
    limit = math.log(cutoff)
    for m_acc in range(max(1, m_p), max_bits + 1):
        if n * (1.0 - vrr(n, m_acc, m_p, chunk, nzr, model)) < limit:
            return m_acc
    raise ValueError(f"no accumulator mantissa up to {max_bits} bits meets the cutoff")


def _accumulate_float(products, m_acc, normalize):
    """Sequential truncating float accumulation over axis 0, vectorised over axis 1."""
    s = np.zeros(products.shape[1])
    for p in products:
        _, e = np.frexp(s)
        scale = (e - 1 - m_acc).astype(np.int64)
        aligned = np.where(s == 0, p, np.ldexp(np.trunc(np.ldexp(p, -scale)), scale))
        s = s + aligned
        if normalize == "trunc":
            s = _round_mantissa(s, m_acc, "trunc")
    return s


def empirical_vrr(n: int, m_acc: int, m_p: int, chunk: int | None = None, n_trials: int = 2000, seed: int = 0,
                  normalize: Literal["trunc", "exact"] = "trunc") -> float:
    """VRR measured by emulating the accumulator on Gaussian products.

    Each of ``n_trials`` sums adds ``n`` products p ~ N(0, 1) rounded to ``m_p``
    mantissa bits in a floating-point accumulator with ``m_acc`` mantissa bits whose
    adder aligns the addend to the accumulator's ulp by truncation and then truncates
    the normalised sum to ``m_acc`` bits (``normalize="trunc"``, a real adder; exponent
    unbounded) or keeps it exact (``"exact"``: the per-term model's assumption).
    Returns ``sum(s_hat**2) / sum(s**2)`` with s the exact sums of the same products
    (a ratio estimator: the common noise cancels).
    """
    n = positive_int(n, "n")
    if normalize not in ("trunc", "exact"):
        raise ValueError(f"normalize must be 'trunc' or 'exact', got {normalize!r}")
    rng = np.random.default_rng(seed)
    products = _round_mantissa(rng.standard_normal((n, n_trials)), m_p, "nearest")
    if chunk is None:
        approx = _accumulate_float(products, m_acc, normalize)
    else:
        n1 = positive_int(chunk, "chunk")
        pad = (-n) % n1
        padded = np.concatenate([products, np.zeros((pad, n_trials))])
        chunks = padded.reshape(-1, n1, n_trials)
        sums = np.stack([_accumulate_float(c, m_acc, normalize) for c in chunks])
        approx = _accumulate_float(sums, m_acc, normalize)
    exact = products.sum(axis=0)
    return float((approx ** 2).sum() / (exact ** 2).sum())
