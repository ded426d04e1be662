"""``fxp.save`` / ``fxp.load``: FxpArrays in ``.npz`` files (raw integers and formats, never
pickled), one array, a list of arrays or a dict of named arrays per file."""
from __future__ import annotations

import contextlib
import os
import zipfile
import zlib

import numpy as np

from ._array import FxpArray, from_raw
from ._format import Format

_NPZ_KEYS = ("raw", "word_bits", "frac_bits", "signed")
#: the entry that marks a file of several arrays, and says whether they were a list or a dict
_CONTAINER = "fxp_container"


def _entries(a, prefix=""):
    if not isinstance(a, FxpArray):
        raise TypeError(f"fxp.save stores FxpArrays, got {type(a).__name__}"
                        + (f" for {prefix[:-1]!r}" if prefix else ""))
    return {f"{prefix}raw": a.raw, f"{prefix}word_bits": a.fmt.word_bits,
            f"{prefix}frac_bits": a.fmt.frac_bits, f"{prefix}signed": a.fmt.signed}


def save(file, arrays):
    """Save FxpArrays to a ``.npz`` file (raw integers and formats; :func:`load` reads it back).

    Parameters
    ----------
    file : str, path-like or binary file object
    arrays : FxpArray, list / tuple of FxpArrays, or dict of str to FxpArray
        :func:`load` returns the same kind (a tuple comes back as a list).

    Raises
    ------
    TypeError
        Something other than FxpArrays, or a dict key that is not a non-empty string without
        ``"/"``.
    """
    if isinstance(arrays, FxpArray):
        np.savez(file, **_entries(arrays))
        return
    if isinstance(arrays, dict):
        kind, named = "dict", arrays
        for name in named:
            if not isinstance(name, str) or not name or "/" in name:
                raise TypeError(f"fxp.save: array names must be non-empty strings without '/', got {name!r}")
    elif isinstance(arrays, (list, tuple)):
        kind, named = "list", {str(i): a for i, a in enumerate(arrays)}
    else:
        raise TypeError(f"fxp.save stores an FxpArray, a list or a dict of them, got {type(arrays).__name__}")
    entries = {_CONTAINER: np.array(kind)}
    for name, a in named.items():
        entries.update(_entries(a, f"{name}/"))
    np.savez(file, **entries)


def load(file):
    """Load what :func:`save` stored: an FxpArray, a list or a dict of FxpArrays.

    Parameters
    ----------
    file : str, path-like or binary file object

    Raises
    ------
    OSError
        The file cannot be opened (``FileNotFoundError``, ...).
    ValueError
        The file is not an fxp ``.npz`` file or is damaged: not a zip archive, truncated, an
        entry missing, of the wrong dtype or shape, or holding pickled data (never unpickled).
        The message names the file and the problem.
    """
    if isinstance(file, (str, os.PathLike)):
        name = os.fspath(file)
        opened = open(name, "rb")
    else:
        name, opened = file, contextlib.nullcontext(file)
    with opened as fh:
        try:
            return _read_fxp(fh)
        except _DAMAGED as exc:
            raise ValueError(f"corrupt fxp file {name!r}: {exc}") from None


# what numpy's and zipfile's readers raise on damaged input
_DAMAGED = (ValueError, EOFError, OSError, NotImplementedError, RuntimeError, zipfile.BadZipFile,
            zlib.error)


def _read_fxp(fh):
    """The FxpArray(s) in the open ``.npz`` file ``fh``, every entry checked."""
    data = np.load(fh, allow_pickle=False)
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"not an .npz archive but a single {type(data).__name__}")
    with data:
        if _CONTAINER not in data.files:
            return _read_array(data, "")
        kind = data[_CONTAINER]
        if kind.shape != () or kind.dtype.kind != "U" or str(kind) not in ("list", "dict"):
            raise ValueError(f"{_CONTAINER} must be 'list' or 'dict', got {kind!r}")
        names = sorted({f.rsplit("/", 1)[0] for f in data.files if "/" in f},
                       key=lambda n: (int(n) if kind == "list" and n.isdigit() else n))
        if str(kind) == "list":
            if names != [str(i) for i in range(len(names))]:
                raise ValueError(f"list entries must be numbered 0..n-1, got {names}")
            return [_read_array(data, f"{n}/") for n in names]
        return {n: _read_array(data, f"{n}/") for n in names}


def _read_array(data, prefix):
    missing = [prefix + k for k in _NPZ_KEYS if prefix + k not in data.files]
    if missing:
        raise ValueError(f"missing entries {missing}")
    fields = {k: data[prefix + k] for k in _NPZ_KEYS}
    for key, kinds in (("word_bits", "iu"), ("frac_bits", "iu"), ("signed", "b")):
        if fields[key].shape != () or fields[key].dtype.kind not in kinds:
            raise ValueError(f"{prefix}{key} must be a scalar of kind {kinds!r}, got {fields[key].dtype} of "
                             f"shape {fields[key].shape}")
    fmt = Format(int(fields["word_bits"]), int(fields["frac_bits"]), bool(fields["signed"]))
    raw = fields["raw"]
    if raw.dtype != fmt.dtype:
        raise ValueError(f"{prefix}raw dtype {raw.dtype} does not match {fmt} ({fmt.dtype})")
    return from_raw(raw, fmt)
