"""Learning-rate and precision schedules as objects: functions of the (1-based) epoch.

A learning-rate schedule maps an epoch to a learning rate; :func:`fxp_nn.fit` sets
``optimizer.lr`` to it before each epoch and records it in ``metrics.json``. A precision
schedule maps an epoch to the policy of the model (and optionally of single layers);
``fit`` applies it before each epoch and records the policies in effect. Both are pure
functions of the epoch, so a resumed run applies the same values as an uninterrupted one.

Examples
--------
>>> lr = Warmup(Cosine(0.1, epochs=10, min_lr=0.001), epochs=2)
>>> [round(lr(e), 4) for e in (1, 2, 3, 10)]
[0.05, 0.0976, 0.0905, 0.0034]
>>> from fxp_nn import PrecisionPolicy
>>> ramp = PrecisionSchedule.stepped(lambda fl: PrecisionPolicy.gupta(16, fl), [10, 12, 14], every=2)
>>> [ramp.policies(e)[None].name for e in (1, 3, 5, 9)]
['fixed WL=16 FL=10 SR', 'fixed WL=16 FL=12 SR', 'fixed WL=16 FL=14 SR', 'fixed WL=16 FL=14 SR']
"""
from __future__ import annotations

import math
import numbers

from .policy import PrecisionPolicy


def _check_epoch(epoch):
    if not isinstance(epoch, numbers.Integral) or epoch < 1:
        raise ValueError(f"epochs count from 1, got {epoch!r}")
    return int(epoch)


def _positive_int(value, name):
    if not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _learning_rate(value, name="lr"):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


class LRSchedule:
    """Base class of learning-rate schedules: ``schedule(epoch)`` is the learning rate of ``epoch``."""

    def __call__(self, epoch):
        return self.lr(_check_epoch(epoch))

    def lr(self, epoch):  # pragma: no cover - every subclass defines it
        """Learning rate of ``epoch`` (>= 1)."""
        raise NotImplementedError


class Constant(LRSchedule):
    """The same learning rate every epoch.

    Parameters
    ----------
    lr : float
    """

    def __init__(self, lr):
        self.base_lr = _learning_rate(lr)

    def lr(self, epoch):
        return self.base_lr

    def __repr__(self):
        return f"Constant({self.base_lr})"


class Step(LRSchedule):
    """``lr * gamma ** ((epoch - 1) // step_size)``: multiply by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    lr : float
    step_size : int
    gamma : float, default 0.1
    """

    def __init__(self, lr, step_size, gamma=0.1):
        self.base_lr = _learning_rate(lr)
        self.step_size = _positive_int(step_size, "step_size")
        self.gamma = _learning_rate(gamma, "gamma")

    def lr(self, epoch):
        return self.base_lr * self.gamma ** ((epoch - 1) // self.step_size)

    def __repr__(self):
        return f"Step({self.base_lr}, step_size={self.step_size}, gamma={self.gamma})"


class Cosine(LRSchedule):
    """Cosine annealing from ``lr`` (epoch 1) to ``min_lr`` (epoch ``epochs`` and after).

    ``min_lr + (lr - min_lr) * (1 + cos(pi * (epoch - 1) / epochs)) / 2``, PyTorch's
    ``CosineAnnealingLR`` with ``T_max = epochs`` sampled once per epoch.

    Parameters
    ----------
    lr : float
    epochs : int
    min_lr : float, default 0
    """

    def __init__(self, lr, epochs, min_lr=0.0):
        self.base_lr = _learning_rate(lr)
        self.epochs = _positive_int(epochs, "epochs")
        if not 0 <= min_lr <= self.base_lr:
            raise ValueError(f"min_lr must be in [0, lr={self.base_lr}], got {min_lr!r}")
        self.min_lr = float(min_lr)

    def lr(self, epoch):
        t = min(epoch - 1, self.epochs) / self.epochs
        return self.min_lr + (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * t)) / 2

    def __repr__(self):
        return f"Cosine({self.base_lr}, epochs={self.epochs}, min_lr={self.min_lr})"


class Warmup(LRSchedule):
    """Linear warm-up: epoch ``e`` gets ``after(e) * min(1, e / epochs)``.

    The warm-up scales ``after``'s own curve, so it joins it at epoch ``epochs``.

    Parameters
    ----------
    after : LRSchedule or float
        The schedule being warmed up (a float means :class:`Constant`).
    epochs : int
        Length of the warm-up.
    """

    def __init__(self, after, epochs):
        self.after = as_lr_schedule(after)
        self.epochs = _positive_int(epochs, "warm-up epochs")

    def lr(self, epoch):
        return self.after(epoch) * min(1.0, epoch / self.epochs)

    def __repr__(self):
        return f"Warmup({self.after!r}, epochs={self.epochs})"


class Sequence(LRSchedule):
    """Schedules one after another: ``Sequence([(5, Constant(0.1)), (None, Cosine(0.1, 20))])``.

    Each entry ``(n_epochs, schedule)`` runs for ``n_epochs`` epochs (None: until the end) and
    sees its own epochs counted from 1.

    Parameters
    ----------
    parts : list of (int or None, LRSchedule or float)
    """

    def __init__(self, parts):
        parts = [(n, as_lr_schedule(s)) for n, s in parts]
        if not parts:
            raise ValueError("Sequence needs at least one schedule")
        for n, _ in parts[:-1]:
            _positive_int(n, "the length of every schedule but the last")
        if parts[-1][0] is not None:
            _positive_int(parts[-1][0], "the length of the last schedule")
        self.parts = parts

    def lr(self, epoch):
        start = 0
        for n, schedule in self.parts:
            if n is None or epoch <= start + n:
                return schedule(epoch - start)
            start += n
        n, schedule = self.parts[-1]
        return schedule(epoch - (start - n))

    def __repr__(self):
        return f"Sequence({self.parts!r})"


def as_lr_schedule(value):
    """``value`` as an :class:`LRSchedule` (a number becomes :class:`Constant`)."""
    if isinstance(value, LRSchedule):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Constant(value)
    raise TypeError(f"expected an LRSchedule or a learning rate, got {value!r}")


class PrecisionSchedule:
    """The precision policy of a model (and of single layers) as a function of the epoch.

    Parameters
    ----------
    rule : callable
        ``rule(epoch)`` returns a :class:`~fxp_nn.PrecisionPolicy` (the model's policy) or a
        dict ``{None: model policy, layer index: layer policy, ...}``; a missing key leaves
        that policy as it is. Layer entries set ``model.layers[i].policy``.

    Examples
    --------
    >>> from fxp_nn import PrecisionPolicy, mlp
    >>> model = mlp([4, 3, 2])
    >>> schedule = PrecisionSchedule.table({1: PrecisionPolicy.gupta(16, 10),
    ...                                     3: {None: PrecisionPolicy.gupta(16, 12),
    ...                                         -1: PrecisionPolicy.float32()}})
    >>> schedule.apply(3, model)
    {'model': 'fixed WL=16 FL=12 SR', '3.Linear': 'float32'}
    """

    def __init__(self, rule):
        if not callable(rule):
            raise TypeError(f"a precision schedule needs a callable epoch -> policy, got {rule!r}")
        self.rule = rule

    def policies(self, epoch):
        """``{None or layer index: PrecisionPolicy}`` for ``epoch``."""
        out = self.rule(_check_epoch(epoch))
        if isinstance(out, PrecisionPolicy):
            out = {None: out}
        if not isinstance(out, dict):
            raise TypeError(f"precision schedule rule returned {out!r} for epoch {epoch}; "
                            "expected a PrecisionPolicy or a dict of them")
        for key, policy in out.items():
            if not isinstance(policy, PrecisionPolicy):
                raise TypeError(f"precision schedule entry {key!r} at epoch {epoch} is {policy!r}, "
                                "not a PrecisionPolicy")
        return out

    def apply(self, epoch, model):
        """Set the policies of ``epoch`` on ``model``; returns :func:`active_policies`."""
        for key, policy in self.policies(epoch).items():
            if key is None:
                model.policy = policy
            else:
                model.layers[key].policy = policy
        return active_policies(model)

    __call__ = apply

    @classmethod
    def table(cls, entries):
        """Piecewise constant: ``{first epoch: policy or dict}``, each in effect until the next key.

        Keys must include 1 (so every epoch has a policy).
        """
        starts = sorted(entries)
        if not starts or starts[0] != 1 or not all(isinstance(s, numbers.Integral) for s in starts):
            raise ValueError(f"a precision table needs integer first epochs starting at 1, got {starts!r}")
        table = {s: entries[s] for s in starts}

        def rule(epoch):
            return table[max(s for s in starts if s <= epoch)]
        return cls(rule)

    @classmethod
    def stepped(cls, make_policy, values, every=1):
        """``make_policy(values[k])`` for epochs ``k * every + 1`` ... ``(k + 1) * every``.

        The last value stays in effect after the list ends: a low-to-high word-length or
        fraction-bits ramp is ``stepped(lambda fl: PrecisionPolicy.gupta(16, fl), [8, 10, 12])``.
        """
        values = list(values)
        if not values:
            raise ValueError("stepped needs at least one value")
        every = _positive_int(every, "every")
        policies = [make_policy(v) for v in values]
        return cls(lambda epoch: policies[min((epoch - 1) // every, len(policies) - 1)])


def active_policies(model):
    """The policies a model runs with: ``{"model": str, "<layer name>": str, ...}`` (overrides only)."""
    out = {"model": str(model.policy)}
    for i, layer in enumerate(model.layers):
        if layer.policy is not None:
            out[model.layer_name(i)] = str(layer.policy)
    return out
