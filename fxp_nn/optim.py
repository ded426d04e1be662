"""Optimizers over parameters (SGD with momentum/Nesterov/weight decay, Adam, AdamW).

Every state tensor is written in a tensor role, so its precision can be studied like any
other tensor's: the momentum buffer in ``"velocity"``, Adam's moments in ``"exp_avg"`` and
``"exp_avg_sq"``, and the step subtracted from a parameter in ``"updates"``. By default these
follow the policy of the layer holding the parameter (its ``updates`` role; Adam's moments in
float32 under a fixed-point policy, where ``g**2`` would underflow a 16-bit format);
:class:`OptimizerPrecision` overrides any of them, e.g. ``OptimizerPrecision.floating()`` for a
float baseline of the optimizer state under a fixed-point model.

Each new state value is computed from the exact values of its inputs (float64 for fixed
point) and rounded once into its role; the parameter is then ``w - update``, exact and
rounded in the parameter's role (saturating). Plain SGD keeps the exact fixed-point product
``lr * grad`` (``lr`` held to 31 significant bits).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields

import numpy as np

from .layers import Param
from .numerics import Numerics
from .policy import PrecisionPolicy, TensorPrecision

_FLOAT32 = TensorPrecision(None, float_dtype="float32")


@dataclass(frozen=True)
class OptimizerPrecision:
    """Precision of an optimizer's state tensors; None keeps the default (see :mod:`fxp_nn.optim`).

    Parameters
    ----------
    velocity : TensorPrecision, optional
        SGD's momentum buffer (it holds ``lr``-scaled steps).
    exp_avg, exp_avg_sq : TensorPrecision, optional
        Adam's first and second moments.
    updates : TensorPrecision, optional
        The step subtracted from a parameter (overrides the layer policy's ``updates`` role).

    Examples
    --------
    >>> OptimizerPrecision(velocity=TensorPrecision("s24.20", "stochastic")).velocity.fmt.frac_bits
    20
    """

    velocity: TensorPrecision | None = None
    exp_avg: TensorPrecision | None = None
    exp_avg_sq: TensorPrecision | None = None
    updates: TensorPrecision | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not isinstance(value, TensorPrecision):
                raise TypeError(f"OptimizerPrecision.{f.name} must be a TensorPrecision or None, got {value!r}")

    @classmethod
    def floating(cls, dtype="float64"):
        """Every state tensor, and the update, in numpy ``dtype``: the float baseline of the state."""
        spec = TensorPrecision(None, float_dtype=dtype)
        return cls(spec, spec, spec, spec)


def _number(value, name, low=0.0, high=math.inf, low_open=False, high_open=True):
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
          and (value > low if low_open else value >= low) and (value < high if high_open else value <= high))
    if not ok:
        bounds = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a number in {bounds}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: the parameters, the learning rate ``lr`` and named state tensors.

    Parameters
    ----------
    params : Sequential or ParameterList or iterable of Param
        ``model.parameters()`` (each parameter's update is written in the policy of the
        layer holding it) or the model itself. A plain list of float parameters runs the
        float baseline of their dtype; fixed-point parameters need their model's policy.
    lr : float
    precision : OptimizerPrecision, optional
    """

    def __init__(self, params, lr, precision=None):
        if hasattr(params, "layers") and hasattr(params, "parameters"):
            params = params.parameters()
        self.model = getattr(params, "model", None)
        indices = getattr(params, "layer_indices", None)
        self.params = list(params)
        self.layer_indices = list(indices) if indices is not None else [None] * len(self.params)
        for p in self.params:
            if not isinstance(p, Param):
                raise TypeError(f"optimizers take Param objects (model.parameters()), got {p!r}")
            if self.model is None and not isinstance(p.value, np.ndarray):
                raise TypeError("a fixed-point Param needs its layer's policy: pass model.parameters() "
                                "or the model, not a list of parameters")
        self.lr = _number(lr, "lr", low_open=True)
        if precision is not None and not isinstance(precision, OptimizerPrecision):
            raise TypeError(f"precision must be an OptimizerPrecision, got {precision!r}")
        self.precision = precision if precision is not None else OptimizerPrecision()
        self.state = {}
        self.step_count = 0

    def numerics(self, k):
        """The :class:`Numerics` of parameter ``k`` with the optimizer's roles added."""
        if self.model is not None:
            num = self.model.numerics(self.layer_indices[k])
        else:
            num = Numerics(PrecisionPolicy.floating(self.params[k].value.dtype.name))
        specs = {f.name: getattr(self.precision, f.name) for f in fields(self.precision)}
        return num.with_roles(**self._default_roles(num, specs))

    def _default_roles(self, num, specs):
        return specs

    def step(self):
        """Apply one update to every parameter that has a gradient, then clear the gradients."""
        self.step_count += 1
        for k, p in enumerate(self.params):
            if p.grad is None:
                continue
            num = self.numerics(k)
            update = self._update(k, p, num)
            if isinstance(p.value, np.ndarray) != isinstance(update, np.ndarray):
                p.value = num.to_role(num.to_float(p.value) - num.to_float(update), p.role)
            else:
                p.value = num.subtract(p.value, update, p.role)
            p.grad = None

    def _update(self, k, p, num):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _buffer(self, name, k):
        return self.state.get(name, {}).get(k)

    def _store(self, name, k, value):
        self.state.setdefault(name, {})[k] = value

    def state_dict(self):
        """The state as ``{"<name>.<parameter index>": tensor, "step_count": 0-d array}``."""
        out = {f"{name}.{k}": v for name, buffers in self.state.items() for k, v in buffers.items()}
        out["step_count"] = np.array(self.step_count)
        return out

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` (tensors keep their stored formats)."""
        state = dict(state)
        self.step_count = int(state.pop("step_count", 0))
        self.state = {}
        for key, value in state.items():
            name, _, k = key.rpartition(".")
            if not name or not k.isdigit() or int(k) >= len(self.params):
                raise ValueError(f"optimizer state key {key!r} does not name a state of one of "
                                 f"{len(self.params)} parameters")
            self._store(name, int(k), value)

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Mini-batch SGD with optional momentum (classical or Nesterov) and weight decay.

    With ``g = grad + weight_decay * w``, the velocity holds ``lr``-scaled steps:
    ``u = lr * g + momentum * u_prev`` (first step ``u = lr * g``) and the update is ``u``
    (Nesterov: ``lr * g + momentum * u``). For a constant ``lr`` this is PyTorch's
    ``torch.optim.SGD`` (``v = momentum * v + g``, ``w -= lr * v``) exactly; when ``lr``
    changes, steps already in the velocity keep the rate they were taken with.

    Parameters
    ----------
    params : Sequential or ParameterList or iterable of Param
        See :class:`Optimizer`.
    lr : float
    momentum : float, default 0
    weight_decay : float, default 0
    nesterov : bool, default False
    precision : OptimizerPrecision, optional
        ``velocity`` and ``updates`` roles (default: the layer policy's ``updates`` role).
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0, nesterov=False, precision=None):
        super().__init__(params, lr, precision)
        self.momentum = _number(momentum, "momentum", high=1.0)
        self.weight_decay = _number(weight_decay, "weight_decay")
        if nesterov and not self.momentum:
            raise ValueError("nesterov needs a momentum > 0")
        self.nesterov = bool(nesterov)

    @property
    def velocity(self):
        """The momentum buffers ``{parameter index: tensor}``."""
        return self.state.get("velocity", {})

    def _update(self, k, p, num):
        if not (self.weight_decay or self.momentum or self.precision.updates):
            return num.scale(p.grad, self.lr, "updates")   # exact product, one rounding
        step = self.lr * num.to_float(p.grad)
        if self.weight_decay:
            step = step + (self.lr * self.weight_decay) * num.to_float(p.value)
        if not self.momentum:
            return num.to_role(step, "updates")
        previous = self._buffer("velocity", k)
        if previous is not None:
            step_and_velocity = step + self.momentum * num.to_float(previous)
        else:
            step_and_velocity = step
        # by default the velocity is the update itself: one tensor, written in the updates role
        velocity = num.to_role(step_and_velocity, "velocity" if self.precision.velocity else "updates")
        self._store("velocity", k, velocity)
        if self.nesterov:
            return num.to_role(step + self.momentum * num.to_float(velocity), "updates")
        return num.to_role(velocity, "updates")   # a no-op when both roles have one format

    def __repr__(self):
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay}, "
                f"nesterov={self.nesterov})")


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015) with PyTorch's formulas; ``weight_decay`` adds ``wd * w`` to the gradient.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2`` (each rounded into ``exp_avg`` /
    ``exp_avg_sq``), update ``lr * m_hat / (sqrt(v_hat) + eps)`` with the bias corrections
    ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)``, rounded into ``updates``.

    Parameters
    ----------
    params : Sequential or ParameterList or iterable of Param
        See :class:`Optimizer`.
    lr : float, default 0.001
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    precision : OptimizerPrecision, optional
        ``exp_avg``, ``exp_avg_sq`` (default: float32 under a fixed-point layer policy, the
        policy's float dtype under a float one) and ``updates``.
    """

    decoupled = False

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, precision=None):
        super().__init__(params, lr, precision)
        if len(tuple(betas)) != 2:
            raise ValueError(f"betas must be a pair, got {betas!r}")
        self.betas = tuple(_number(b, "each beta", high=1.0) for b in betas)
        self.eps = _number(eps, "eps", low_open=True)
        self.weight_decay = _number(weight_decay, "weight_decay")

    def _default_roles(self, num, specs):
        moment = num.policy.role("updates") if num.policy.is_float else _FLOAT32
        for name in ("exp_avg", "exp_avg_sq"):
            if specs[name] is None:
                specs[name] = moment
        return specs

    def _update(self, k, p, num):
        b1, b2 = self.betas
        g = num.to_float(p.grad)
        w = num.to_float(p.value)
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * w
        m, v = self._buffer("exp_avg", k), self._buffer("exp_avg_sq", k)
        m = (1 - b1) * g if m is None else b1 * num.to_float(m) + (1 - b1) * g
        v = (1 - b2) * (g * g) if v is None else b2 * num.to_float(v) + (1 - b2) * (g * g)
        m, v = num.to_role(m, "exp_avg"), num.to_role(v, "exp_avg_sq")
        self._store("exp_avg", k, m)
        self._store("exp_avg_sq", k, v)
        t = self.step_count
        m_hat = num.to_float(m) / (1 - b1 ** t)
        v_hat = num.to_float(v) / (1 - b2 ** t)
        step = self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        if self.weight_decay and self.decoupled:
            step = step + (self.lr * self.weight_decay) * w
        return num.to_role(step, "updates")

    def __repr__(self):
        return (f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay})")


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter 2019), PyTorch's ``AdamW``.

    The update is ``lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * w)``: PyTorch's
    ``w *= 1 - lr * wd`` followed by the Adam step, as one update.

    Parameters
    ----------
    params, lr, betas, eps, precision
        As :class:`Adam`.
    weight_decay : float, default 0.01
    """

    decoupled = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, precision=None):
        super().__init__(params, lr, betas, eps, weight_decay, precision)
