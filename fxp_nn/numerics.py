"""Arithmetic of one layer under one precision policy.

:class:`Numerics` is the only place where the floating-point baseline and the
fixed-point path differ: floats go through numpy in the policy's float dtype,
fixed point through ``fxp`` (``asarray``, ``matmul``, ``conv2d*``, ``add``,
``subtract``). Layers call these methods and never look at the representation,
so the float32 baseline runs the very same layer code.

Every fixed-point result is written in a tensor role (its format, rounding
and overflow mode), and the number of saturated elements is recorded per
(layer, role) for the saturation report.
"""
from __future__ import annotations

import numpy as np

import fxp
import fxp.random

from . import float_conv


class Numerics:
    """Role-aware arithmetic for one layer.

    Parameters
    ----------
    policy : PrecisionPolicy
        The layer's effective policy.
    rng : fxp.random.Xoroshiro128Plus, int or None
        Generator for stochastic rounding (one key drawn per operation).
    stats : SaturationStats or None
        Where saturation counts go; None records nothing.
    layer : str
        Layer name used as the key in ``stats``.
    n_threads : int or None
        Threads for the fixed-point GEMMs.
    """

    def __init__(self, policy, rng=None, stats=None, layer="", n_threads=None):
        self.policy = policy
        self.rng = rng
        self.stats = stats
        self.layer = layer
        self.n_threads = n_threads
        self.extra_roles = {}

    def role(self, name):
        """The :class:`~fxp_nn.PrecisionPolicy` role ``name``, or an extra role added by :meth:`with_roles`."""
        spec = self.extra_roles.get(name)
        return spec if spec is not None else self.policy.role(name)

    def with_roles(self, **specs):
        """A copy that also writes the roles ``name=TensorPrecision`` (e.g. optimizer state).

        A spec overrides the policy's role of the same name; None entries are ignored.
        """
        other = Numerics(self.policy, self.rng, self.stats, self.layer, self.n_threads)
        other.extra_roles = {**self.extra_roles, **{k: v for k, v in specs.items() if v is not None}}
        return other

    @property
    def is_float(self):
        """True when this layer runs the floating-point baseline."""
        return self.policy.is_float

    # --- representation -------------------------------------------------------------------
    def values(self, x):
        """The storage array of ``x`` (already in one of this layer's roles): raw integers in fixed point."""
        return x if self.is_float else x.raw

    def like(self, x, values):
        """Wrap storage ``values`` with the type and format of ``x``.

        ``values`` must be picked from ``x``'s own values (or zero), so in fixed point they
        lie in the format's range and are wrapped without a range check.
        """
        return values if self.is_float else fxp.FxpArray(values, x.fmt)

    @staticmethod
    def to_float(x):
        """Float values of ``x``: exact float64 for an FxpArray, float arrays unchanged."""
        return x if isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float64)

    def to_role(self, x, role):
        """Write ``x`` (floats or an FxpArray) in tensor role ``role``; a no-op if already there."""
        spec = self.role(role)
        if spec.is_float:
            if not isinstance(x, np.ndarray):
                x = np.asarray(x, dtype=np.float64)
            return x.astype(spec.dtype, copy=False)
        if not isinstance(x, np.ndarray):
            if x.fmt == spec.fmt:
                return x
        elif not np.all(np.isfinite(x)):
            raise FloatingPointError(
                f"layer {self.layer}: non-finite value written in role {role!r} (training diverged?)"
            )
        return self._counted(role, lambda: fxp.asarray(x, spec.fmt, rounding=spec.rounding,
                                                      overflow=spec.overflow, rng=self.rng))

    def block_outward(self, grad, out):
        """Zero the gradient entries that would push an already saturated output further out.

        ``out`` is the layer's forward output and ``grad`` d(loss)/d(out) in the errors
        role. A descent step moves ``out`` by ``-grad``; where ``out`` sits at the
        format's max (min) and ``grad < 0`` (``> 0``), the true derivative of the clamp is
        zero, while the opposite sign may still bring the value back into range.
        """
        if self.is_float or not self.policy.block_saturated_grads:
            return grad
        v, g, fmt = out.raw, grad.raw, out.fmt
        if not v.size:
            return grad
        at_max, at_min = v.max() == fmt.max_raw, v.min() == fmt.min_raw   # usually both False
        if not (at_max or at_min):
            return grad
        blocked = np.zeros(v.shape, dtype=bool)
        if at_max:
            blocked |= (v == fmt.max_raw) & (g < 0)
        if at_min:
            blocked |= (v == fmt.min_raw) & (g > 0)
        return fxp.FxpArray(g * ~blocked, grad.fmt)   # a bool-mask product: exact, and faster than where

    # --- arithmetic -----------------------------------------------------------------------
    def matmul(self, a, b, role, gemm):
        """``a @ b`` written in ``role``: exact products, the policy's accumulator, one rounding."""
        if self.is_float:
            return np.matmul(a, b)
        return self._counted(role, lambda: fxp.matmul(a, b, **self._gemm_kwargs(role, gemm)))

    def add(self, a, b, role):
        """``a + b`` (broadcasting) written in ``role``."""
        if self.is_float:
            return a + b
        spec = self.role(role)
        return self._counted(role, lambda: fxp.add(a, b, out_format=spec.fmt, rounding=spec.rounding,
                                                   overflow=spec.overflow, rng=self.rng))

    def subtract(self, a, b, role):
        """``a - b`` written in ``role`` (used by the weight update)."""
        if self.is_float:
            return a - b
        spec = self.role(role)
        return self._counted(role, lambda: fxp.subtract(a, b, out_format=spec.fmt, rounding=spec.rounding,
                                                        overflow=spec.overflow, rng=self.rng))

    def scale(self, x, factor, role):
        """``factor * x`` written in ``role`` with one rounding.

        In fixed point ``factor`` is held with 31 significant bits (relative error
        below 2**-31) and the product is exact before the rounding.
        """
        if self.is_float:
            return x * x.dtype.type(factor)
        spec = self.role(role)
        exponent = int(np.floor(np.log2(abs(factor))))
        factor_fmt = fxp.Format(32, min(30 - exponent, 64))
        f = fxp.asarray(np.array([factor], dtype=np.float64), factor_fmt)
        return self._counted(role, lambda: fxp.multiply(x, f, out_format=spec.fmt, rounding=spec.rounding,
                                                        overflow=spec.overflow, rng=self.rng))

    def conv2d(self, x, w, stride, padding, role, gemm="forward"):
        """NCHW convolution (cross-correlation) of ``x`` with ``w`` (O, C, kh, kw)."""
        if self.is_float:
            return float_conv.conv2d(x, w, stride, padding)
        return self._counted(role, lambda: fxp.conv2d(x, w, stride=stride, padding=padding,
                                                      **self._gemm_kwargs(role, gemm)))

    def conv2d_input_grad(self, grad, w, input_shape, stride, padding, role, gemm="input_grad"):
        """Gradient of :meth:`conv2d` with respect to its input."""
        if self.is_float:
            return float_conv.conv2d_input_grad(grad, w, input_shape, stride, padding)
        return self._counted(role, lambda: fxp.conv2d_input_grad(
            grad, w, input_shape, stride=stride, padding=padding, **self._gemm_kwargs(role, gemm)))

    def conv2d_weight_grad(self, x, grad, weight_shape, stride, padding, role, gemm="weight_grad"):
        """Gradient of :meth:`conv2d` with respect to its weights."""
        if self.is_float:
            return float_conv.conv2d_weight_grad(x, grad, weight_shape, stride, padding)
        return self._counted(role, lambda: fxp.conv2d_weight_grad(
            x, grad, weight_shape, stride=stride, padding=padding, **self._gemm_kwargs(role, gemm)))

    def bias_grad(self, g, role, gemm="weight_grad"):
        """Gradient of a per-channel bias: ``g`` summed over every axis but 1, rounded once into ``role``.

        Defined as the GEMM ``ones @ rows`` (``rows``: ``g`` as (examples x positions, channels))
        with ``gemm``'s accumulator; with a wide accumulator that is :func:`fxp.sum`'s exact sum
        and one rounding (same bits, same key drawn, no transposed copy).
        """
        channels = g.shape[1]
        if not self.is_float and self.policy.accumulator(gemm).bits is None:
            spec = self.role(role)
            axes = (0,) + tuple(range(2, g.ndim))
            return self._counted(role, lambda: fxp.sum(g, axis=axes, out_format=spec.fmt, rounding=spec.rounding,
                                                       overflow=spec.overflow, rng=self.rng))
        rows = g if g.ndim == 2 else g.transpose(0, *range(2, g.ndim), 1).reshape(-1, channels)
        if self.is_float:
            return rows.sum(axis=0)
        ones = fxp.ones((1, rows.shape[0]), fxp.Format(2, 0))
        return self.matmul(ones, rows, role, gemm).reshape(channels)

    def skip_write(self, role):
        """Draw the stochastic-rounding key of a write in ``role`` that is skipped (result unused).

        Keeps the generator's stream, and so every later result, as if the write had happened.
        """
        spec = self.role(role)
        if not spec.is_float and spec.rounding == "stochastic":
            fxp.random.draw_key(self.rng)

    # --- internals ------------------------------------------------------------------------
    def _gemm_kwargs(self, role, gemm):
        spec = self.role(role)
        return dict(out_format=spec.fmt, rounding=spec.rounding, overflow=spec.overflow,
                    acc=self.policy.accumulator(gemm), rng=self.rng, n_threads=self.n_threads)

    def _counted(self, role, op):
        if self.stats is None:
            return op()
        with fxp.count_overflows() as counter:
            out = op()
        self.stats.record(self.layer, role, counter.saturated, out.size)
        return out
