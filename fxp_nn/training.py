"""The training loop: mini-batch SGD, per-epoch metrics, validation, early stopping, checkpoints and resume."""
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

CHECKPOINT = "checkpoint.npz"
BEST_MODEL = "best.npz"
CONFIG_JSON = "config.json"
METRICS_JSON = "metrics.json"
METRICS_CSV = "metrics.csv"
MONITORS = ("val_loss", "val_error")


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


def evaluate(model, x, y, batch_size=1000):
    """Mean loss and error rate of ``model`` on ``(x, y)``, in evaluation mode; saturation is not recorded."""
    if len(x) == 0:
        raise ValueError("evaluate needs at least one example, got an empty set")
    if len(x) != len(y):
        raise ValueError(f"evaluate got {len(x)} examples but {len(y)} labels")
    loss_fn = SoftmaxCrossEntropy()
    total_loss, wrong = 0.0, 0
    with model.inference():
        for start in range(0, len(x), batch_size):
            logits = np.asarray(model.forward(x[start:start + batch_size]), dtype=np.float64)
            labels = y[start:start + batch_size]
            total_loss += loss_fn.forward(logits, labels) * len(labels)
            wrong += int((logits.argmax(axis=1) != labels).sum())
    return total_loss / len(x), wrong / len(x)


def split_validation(x, y, validation):
    """``(x_train, y_train, x_val, y_val)``: ``validation`` is a fraction held out from the end of
    the training set, a pair ``(x_val, y_val)``, or None (no validation set)."""
    if validation is None:
        return x, y, None, None
    if isinstance(validation, (tuple, list)):
        if len(validation) != 2 or len(validation[0]) != len(validation[1]) or len(validation[0]) == 0:
            raise ValueError("validation must be a fraction or a non-empty pair (x_val, y_val) of equal length")
        return x, y, validation[0], validation[1]
    if not 0 < validation < 1:
        raise ValueError(f"validation must be a fraction in (0, 1) or a pair (x_val, y_val), got {validation!r}")
    n_val = int(round(validation * len(x)))
    if not 0 < n_val < len(x):
        raise ValueError(f"a validation fraction of {validation} leaves {n_val} of {len(x)} examples for "
                         "validation; both parts must be non-empty")
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


def _write_metrics(run_dir, history):
    checkpoint.atomic_write(run_dir / METRICS_JSON, json.dumps(history, indent=1))
    fields = ["epoch", "policy", "loss", "train_error", "test_loss", "test_error", "time_s", "max_saturation",
              "val_loss", "val_error", "lr"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    checkpoint.atomic_write(run_dir / METRICS_CSV, buf.getvalue())


def _write_config(run_dir, model, config):
    record = {**(config or {}), "policies": model.policy_summary(), "active_policies": active_policies(model)}
    checkpoint.atomic_write(run_dir / CONFIG_JSON, json.dumps(record, indent=1, default=str))


def _best_epoch(history, monitor):
    """Index of the first record with the lowest ``monitor`` value."""
    values = [r[monitor] for r in history]
    return values.index(min(values))


def _check_run_dir(run_dir, resume, overwrite):
    if resume:
        if run_dir is None or not (run_dir / CHECKPOINT).is_file():
            raise FileNotFoundError(f"cannot resume: no {CHECKPOINT} in {run_dir}")
    elif run_dir is not None and not overwrite and any(
            (run_dir / name).exists() for name in (CHECKPOINT, METRICS_JSON, BEST_MODEL)):
        raise FileExistsError(f"{run_dir} already holds a run; pass overwrite=True to replace it or "
                              "resume=True to continue it")


def fit(model, optimizer, data, epochs, batch_size=100, seed=0, run_dir=None, resume=False,
        progress=True, config=None, on_epoch=None, after_epoch=None, lr_schedule=None,
        precision_schedule=None, validation=None, early_stopping=None, monitor="val_loss", keep_best=False,
        overwrite=False):
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
        Where ``config.json`` (``config`` and the policies used), ``metrics.json``,
        ``metrics.csv`` and ``checkpoint.npz`` (after every epoch, written atomically) go.
    resume : bool, default False
        Continue from ``run_dir/checkpoint.npz``; the result equals an uninterrupted run.
    progress : bool, default True
        Show a tqdm bar with the running loss and accuracy.
    config : dict, optional
        Stored in the checkpoint and in ``config.json`` (for the record).
    on_epoch : callable, optional
        ``on_epoch(epoch, model)`` is called before each epoch (e.g. a precision schedule).
    after_epoch : callable, optional
        ``after_epoch(record)`` is called with each epoch's record (e.g. to print it).
    lr_schedule : LRSchedule or callable, optional
        ``optimizer.lr = lr_schedule(epoch)`` before each epoch (see :mod:`fxp_nn.schedules`).
    precision_schedule : PrecisionSchedule, optional
        ``precision_schedule.apply(epoch, model)`` before each epoch.
    validation : float or (x_val, y_val), optional
        A fraction of the training set held out (its last examples) or a separate set;
        each record then has ``val_loss`` and ``val_error``.
    early_stopping : int, optional
        Patience: stop when ``monitor`` has not improved for this many epochs (needs
        ``validation``). A resumed run stops where the uninterrupted one would.
    monitor : {"val_loss", "val_error"}, default "val_loss"
        What early stopping and ``keep_best`` watch.
    keep_best : bool, default False
        Save the model (``fxp_nn.save`` format) to ``run_dir/best.npz`` whenever ``monitor``
        reaches a new minimum (needs ``validation`` and ``run_dir``).
    overwrite : bool, default False
        Replace a run already in ``run_dir`` (otherwise that is a ``FileExistsError``).

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
    DataError
        When ``data`` fails :meth:`~fxp_nn.data.Dataset.validate` (e.g. float labels).
    FileExistsError, FileNotFoundError
        ``run_dir`` holds a run and neither ``resume`` nor ``overwrite`` is set; ``resume``
        without a checkpoint.
    """
    data.validate()
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if monitor not in MONITORS:
        raise ValueError(f"monitor must be one of {MONITORS}, got {monitor!r}")
    if (early_stopping is not None or keep_best) and validation is None:
        raise ValueError("early stopping and keep_best watch a validation set: pass validation=")
    if early_stopping is not None and (not isinstance(early_stopping, (int, np.integer)) or early_stopping < 1):
        raise ValueError(f"early_stopping (patience) must be a positive integer, got {early_stopping!r}")
    if keep_best and run_dir is None:
        raise ValueError("keep_best saves to run_dir/best.npz: pass run_dir=")
    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, validation)
    shuffle_rng = np.random.default_rng(seed)
    history = []
    run_dir = Path(run_dir) if run_dir is not None else None
    _check_run_dir(run_dir, resume, overwrite)
    if resume:
        history, _ = checkpoint.load(run_dir / CHECKPOINT, model, optimizer, shuffle_rng)
    if run_dir is not None:
        _write_config(run_dir, model, config)
    model.train()
    loss_fn = SoftmaxCrossEntropy()
    n = len(x_train)
    for epoch in range(len(history) + 1, epochs + 1):
        if early_stopping is not None and history and len(history) - 1 - _best_epoch(history, monitor) >= early_stopping:
            break
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
            labels = y_train[idx]
            logits = np.asarray(model.forward(x_train[idx]), dtype=np.float64)
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
        if x_val is not None:
            record["val_loss"], record["val_error"] = evaluate(model, x_val, y_val)
        history.append(record)
        if run_dir is not None:
            if keep_best and _best_epoch(history, monitor) == len(history) - 1:
                checkpoint.save_model(run_dir / BEST_MODEL, model)
            checkpoint.save(run_dir / CHECKPOINT, model, optimizer, shuffle_rng, history, config or {})
            _write_metrics(run_dir, history)
        if after_epoch is not None:
            after_epoch(record)
    return history
