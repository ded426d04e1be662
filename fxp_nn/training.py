"""The training loop: mini-batch SGD, per-epoch metrics, checkpoints and resume."""
from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path

import numpy as np

from . import checkpoint
from ._optional import require
from .losses import SoftmaxCrossEntropy
from .schedules import active_policies

CHECKPOINT = "checkpoint.pkl"
METRICS_JSON = "metrics.json"
METRICS_CSV = "metrics.csv"


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


def evaluate(model, x, y, batch_size=1000):
    """Mean loss and error rate of ``model`` on ``(x, y)``; saturation is not recorded."""
    loss_fn = SoftmaxCrossEntropy()
    total_loss, wrong = 0.0, 0
    recording, model.saturation_enabled = model.saturation_enabled, False
    try:
        for start in range(0, len(x), batch_size):
            logits = np.asarray(model.forward(x[start:start + batch_size]), dtype=np.float64)
            labels = y[start:start + batch_size]
            total_loss += loss_fn.forward(logits, labels) * len(labels)
            wrong += int((logits.argmax(axis=1) != labels).sum())
    finally:
        model.saturation_enabled = recording
    return total_loss / len(x), wrong / len(x)


def _write_metrics(run_dir, history):
    checkpoint.atomic_write(run_dir / METRICS_JSON, json.dumps(history, indent=1))
    fields = ["epoch", "policy", "loss", "train_error", "test_loss", "test_error", "time_s", "max_saturation", "lr"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    checkpoint.atomic_write(run_dir / METRICS_CSV, buf.getvalue())


def fit(model, optimizer, data, epochs, batch_size=100, seed=0, run_dir=None, resume=False,
        progress=True, config=None, on_epoch=None, after_epoch=None, lr_schedule=None,
        precision_schedule=None):
    """Train ``model`` with ``optimizer`` on ``data`` (a :class:`~fxp_nn.data.Dataset`).

    Parameters
    ----------
    model : Sequential
    optimizer : SGD
    data : Dataset
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    batch_size : int, default 100
    seed : int, default 0
        Seeds the shuffling; the stochastic-rounding generator ``model.rng`` is
        seeded by the caller.
    run_dir : path, optional
        Where ``metrics.json``, ``metrics.csv`` and ``checkpoint.pkl`` (after every
        epoch, written atomically) go.
    resume : bool, default False
        Continue from ``run_dir/checkpoint.pkl``; the result equals an uninterrupted run.
    progress : bool, default True
        Show a tqdm bar with the running loss and accuracy.
    config : dict, optional
        Stored in the checkpoint (for the record).
    on_epoch : callable, optional
        ``on_epoch(epoch, model)`` is called before each epoch (e.g. a precision schedule).
    after_epoch : callable, optional
        ``after_epoch(record)`` is called with each epoch's record (e.g. to print it).
    lr_schedule : LRSchedule or callable, optional
        ``optimizer.lr = lr_schedule(epoch)`` before each epoch (see :mod:`fxp_nn.schedules`).
    precision_schedule : PrecisionSchedule, optional
        ``precision_schedule.apply(epoch, model)`` before each epoch.

    Returns
    -------
    list of dict
        One record per epoch: loss, train_error (running, over the epoch's batches),
        test_loss, test_error, time_s, saturation ({layer: {role: fraction}}), lr (the
        optimizer's learning rate in the epoch) and policies (``{"model": policy, layer
        name: policy}`` for the layers with their own policy).

    Raises
    ------
    TrainingDiverged
        When the training loss is NaN or infinite.
    """
    shuffle_rng = np.random.default_rng(seed)
    history = []
    run_dir = Path(run_dir) if run_dir is not None else None
    if resume:
        if run_dir is None or not (run_dir / CHECKPOINT).is_file():
            raise FileNotFoundError(f"cannot resume: no {CHECKPOINT} in {run_dir}")
        history, _ = checkpoint.load(run_dir / CHECKPOINT, model, optimizer, shuffle_rng)
    loss_fn = SoftmaxCrossEntropy()
    n = len(data.x_train)
    for epoch in range(len(history) + 1, epochs + 1):
        if lr_schedule is not None:
            optimizer.lr = float(lr_schedule(epoch))
        if precision_schedule is not None:
            precision_schedule.apply(epoch, model)
        if on_epoch is not None:
            on_epoch(epoch, model)
        start = time.perf_counter()
        model.saturation.reset()
        order = shuffle_rng.permutation(n)
        batches = range(0, n, batch_size)
        bar = require("tqdm", "nn").tqdm(batches, desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
        total_loss, wrong, seen = 0.0, 0, 0
        for step, first in enumerate(bar):
            idx = order[first:first + batch_size]
            labels = data.y_train[idx]
            logits = np.asarray(model.forward(data.x_train[idx]), dtype=np.float64)
            loss = loss_fn.forward(logits, labels)
            if not math.isfinite(loss):
                raise TrainingDiverged(
                    f"loss is {loss} at epoch {epoch}, step {step}: training diverged; lower the "
                    "learning rate or give the formats more integer bits"
                )
            model.backward(loss_fn.backward())
            optimizer.step()
            total_loss += loss * len(idx)
            wrong += int((logits.argmax(axis=1) != labels).sum())
            seen += len(idx)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{1 - wrong / seen:.4f}", refresh=False)
        bar.close()
        test_loss, test_error = evaluate(model, data.x_test, data.y_test)
        saturation = model.saturation.report()
        record = {
            "epoch": epoch, "policy": str(model.policy), "policies": active_policies(model),
            "lr": getattr(optimizer, "lr", None), "loss": total_loss / seen,
            "train_error": wrong / seen, "test_loss": test_loss, "test_error": test_error,
            "time_s": time.perf_counter() - start, "saturation": saturation,
            "max_saturation": max((f for roles in saturation.values() for f in roles.values()), default=0.0),
        }
        history.append(record)
        if run_dir is not None:
            checkpoint.save(run_dir / CHECKPOINT, model, optimizer, shuffle_rng, history, config or {})
            _write_metrics(run_dir, history)
        if after_epoch is not None:
            after_epoch(record)
    return history
