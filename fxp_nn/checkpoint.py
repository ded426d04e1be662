"""Atomic, resumable checkpoints: parameters, optimizer state, RNG states and history."""
from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

import numpy as np

import fxp


def _encode(tensor):
    if isinstance(tensor, np.ndarray):
        return ("float", tensor.copy())
    return ("fxp", np.array(tensor.raw), str(tensor.fmt))


def _decode(item):
    if item[0] == "fxp":
        return fxp.from_raw(item[1], fxp.Format.parse(item[2]))
    return item[1]


def atomic_write(path, data):
    """Write ``data`` (bytes or str) to ``path`` via a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save(path, model, optimizer, shuffle_rng, history, config):
    """Save everything needed to continue training exactly where it stopped."""
    state = {
        "params": [_encode(p.value) for p in model.parameters()],
        "optimizer": {k: _encode(v) for k, v in optimizer.state_dict().items()},
        "shuffle_rng": shuffle_rng.bit_generator.state,
        "fxp_rng": model.rng.state if model.rng is not None else None,
        "history": history,
        "config": config,
    }
    atomic_write(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def load(path, model, optimizer, shuffle_rng):
    """Restore a checkpoint written by :func:`save`; returns ``(history, config)``."""
    with open(path, "rb") as fh:
        state = pickle.load(fh)
    params = model.parameters()
    if len(params) != len(state["params"]):
        raise ValueError(f"{path}: checkpoint has {len(state['params'])} parameters, the model {len(params)}")
    for p, item in zip(params, state["params"]):
        value = _decode(item)
        if value.shape != p.shape:
            raise ValueError(f"{path}: parameter shape {value.shape} does not match the model's {p.shape}")
        p.value = value
    optimizer.load_state_dict({k: _decode(v) for k, v in state["optimizer"].items()})
    shuffle_rng.bit_generator.state = state["shuffle_rng"]
    if state["fxp_rng"] is not None:
        model.rng.state = state["fxp_rng"]
    return state["history"], state["config"]
