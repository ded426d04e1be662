"""Datasets as numpy arrays: MNIST-format IDX files, CIFAR-10, and scikit-learn's digits.

Images come back as float32 in [0, 1] shaped (N, C, H, W), labels as int64.
Files are looked for, in order, in ``data_dir`` (the ``--data-dir`` option),
``$FXP_DATA``, ``~/.cache/fxp`` and the Debian package directories
(``/usr/share/datasets/<name>``); in each root both ``root/<name>/`` and
``root/`` itself are tried. ``download=True`` fetches missing files over the
network and checks their SHA-256 sums; nothing is downloaded otherwise.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._optional import require

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# name -> (base URL, {file: sha256}); the Fashion-MNIST sums match Debian's dataset-fashion-mnist.
_SOURCES = {
    "mnist": ("https://storage.googleapis.com/cvdf-datasets/mnist/", {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    }),
    "cifar10": ("https://www.cs.toronto.edu/~kriz/", {
        "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    }),
}

_HOW_TO_GET = {
    "mnist": "download it with `fxp-train --dataset mnist --download`, or put the four IDX files "
             "(gzipped or not) in ~/.cache/fxp/mnist/",
    "fashion-mnist": "install Debian's package (`apt-get install dataset-fashion-mnist`), download it "
                     "with `fxp-train --dataset fashion-mnist --download`, or put the four IDX files "
                     "in ~/.cache/fxp/fashion-mnist/",
    "cifar10": "download it with `fxp-train --dataset cifar10 --download`, or unpack "
               "cifar-10-python.tar.gz or cifar-10-binary.tar.gz into ~/.cache/fxp/cifar10/",
}


class DataError(ValueError):
    """A data file exists but its content is wrong (corrupt header, truncated, counts differ)."""


class DatasetNotFoundError(FileNotFoundError):
    """No directory searched holds the dataset; the message lists them and how to get the data."""


@dataclass
class Dataset:
    """Train and test splits: images float32 (N, C, H, W) in [0, 1], labels int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def n_classes(self):
        """Number of classes: the largest training label + 1 (:meth:`validate` checks the test labels)."""
        return int(self.y_train.max()) + 1

    def validate(self):
        """Check the splits: matching lengths and example shapes, non-empty, integer labels in range.

        Raises
        ------
        DataError
            Naming the split and the problem (e.g. float labels, an empty test set, test labels
            that are not training classes).
        """
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if len(x) == 0:
                raise DataError(f"{self.name}: the {split} set is empty")
            if len(x) != len(y):
                raise DataError(f"{self.name}: {len(x)} {split} examples but {len(y)} labels")
            y = np.asarray(y)
            if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
                raise DataError(f"{self.name}: {split} labels must be a 1-D integer array (class indices), "
                                f"got dtype {y.dtype} and shape {y.shape}")
            if y.min() < 0:
                raise DataError(f"{self.name}: {split} labels must be >= 0, got {int(y.min())}")
        if self.x_test.shape[1:] != self.x_train.shape[1:]:
            raise DataError(f"{self.name}: test examples have shape {self.x_test.shape[1:]}, training "
                            f"examples {self.x_train.shape[1:]}")
        unseen = np.unique(self.y_test[self.y_test >= self.n_classes])
        if unseen.size:
            raise DataError(f"{self.name}: test labels {unseen[:5].tolist()} are not training classes "
                            f"0..{self.n_classes - 1}")

    @property
    def input_shape(self):
        """Shape of one example, (C, H, W)."""
        return self.x_train.shape[1:]


def read_idx(path):
    """Read an IDX file (gzip detected from its magic bytes) into an ndarray.

    Raises
    ------
    DataError
        If the header is corrupt or the file holds fewer bytes than its header promises.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip stream ({exc})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise DataError(
            f"{path}: corrupt IDX header (magic bytes {raw[:4].hex() or 'missing'}; expected "
            "00 00 <type code 08/09/0b/0c/0d/0e> <ndim>)"
        )
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_end:
        raise DataError(f"{path}: corrupt IDX header (ndim={ndim}, file has {len(raw)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_end
    if found < expected:
        raise DataError(
            f"{path}: truncated IDX file: header says shape {shape} ({expected} data bytes), "
            f"found {found}"
        )
    if found > expected:
        raise DataError(f"{path}: {found - expected} unexpected bytes after the IDX data of shape {shape}")
    return np.frombuffer(raw, dtype, offset=header_end).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + array.astype(_IDX_DTYPES[code]).tobytes()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload)
    Path(path).write_bytes(payload)


def _images_labels(images, labels, where):
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{where}: {images.shape[0]} images but {labels.shape[0]} labels; the files do not belong together"
        )
    if images.ndim == 3:
        images = images[:, None]
    return images.astype(np.float32) / np.float32(255), labels.astype(np.int64)


def search_roots(data_dir=None):
    """Directories searched for data files, in order."""
    roots = [Path(data_dir)] if data_dir else []
    if os.environ.get("FXP_DATA"):
        roots.append(Path(os.environ["FXP_DATA"]))
    roots.append(Path.home() / ".cache" / "fxp")
    return roots


def _candidate_dirs(name, data_dir):
    dirs = []
    for root in search_roots(data_dir):
        dirs += [root / name, root]
    dirs.append(Path("/usr/share/datasets") / name)
    return dirs


def _find_idx(directory, stem):
    dotted = stem.replace("-idx", ".idx")
    for candidate in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _not_found(name, looked_for, dirs):
    listing = "\n  ".join(str(d) for d in dirs)
    return DatasetNotFoundError(
        f"dataset {name!r} not found: looked for {looked_for} in\n  {listing}\nTo get it: {_HOW_TO_GET[name]}."
    )


def load_idx_dataset(name, data_dir=None):
    """Load MNIST or Fashion-MNIST from the first searched directory holding all four IDX files."""
    dirs = _candidate_dirs(name, data_dir)
    for directory in dirs:
        paths = {key: _find_idx(directory, stem) for key, stem in _IDX_FILES.items()}
        if all(paths.values()):
            parts = {key: read_idx(p) for key, p in paths.items()}
            x_train, y_train = _images_labels(parts["train_images"], parts["train_labels"], directory)
            x_test, y_test = _images_labels(parts["test_images"], parts["test_labels"], directory)
            return Dataset(name, x_train, y_train, x_test, y_test, str(directory))
    raise _not_found(name, "train-images-idx3-ubyte[.gz] and the three other IDX files", dirs)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle numpy arrays, lists and dicts only: a CIFAR batch cannot run code when loaded."""

    _ALLOWED = frozenset({"_reconstruct", "ndarray", "dtype", "scalar"})

    def find_class(self, module, name):
        if (module.split(".")[0] == "numpy" and name in self._ALLOWED) or (module, name) == ("_codecs", "encode"):
            return super().find_class(module, name)
        raise DataError(f"CIFAR pickle refers to {module}.{name}, which a data batch never needs")


def _cifar_pickle_batch(path):
    try:
        with open(path, "rb") as fh:
            batch = _ArrayUnpickler(fh, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: corrupt or truncated CIFAR pickle batch ({exc})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{path}: a CIFAR batch must be a dict with b'data' and b'labels'")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"])
    if data.ndim != 2 or data.shape[1] != 3072:
        raise DataError(f"{path}: CIFAR data must be (N, 3072) bytes, got shape {data.shape}")
    return data.reshape(-1, 3, 32, 32), labels


def _cifar_binary_batch(path):
    raw = Path(path).read_bytes()
    if len(raw) % 3073:
        raise DataError(
            f"{path}: truncated CIFAR binary batch: {len(raw)} bytes is not a multiple of the "
            "3073-byte record (1 label + 3x32x32 pixels)"
        )
    records = np.frombuffer(raw, np.uint8).reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0]


_CIFAR_LAYOUTS = (
    ("cifar-10-batches-py", "data_batch_{}", "test_batch", _cifar_pickle_batch),
    ("cifar-10-batches-bin", "data_batch_{}.bin", "test_batch.bin", _cifar_binary_batch),
)


def load_cifar10(data_dir=None):
    """Load CIFAR-10 from its python (pickle) or binary batches."""
    dirs = _candidate_dirs("cifar10", data_dir)
    for directory in dirs:
        for sub, train_name, test_name, reader in _CIFAR_LAYOUTS:
            base = directory / sub
            train_paths = [base / train_name.format(i) for i in range(1, 6)]
            if not all(p.is_file() for p in train_paths + [base / test_name]):
                continue
            train = [reader(p) for p in train_paths]
            x_train, y_train = _images_labels(
                np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]), base
            )
            x_test, y_test = _images_labels(*reader(base / test_name), base)
            return Dataset("cifar10", x_train, y_train, x_test, y_test, str(base))
    raise _not_found("cifar10", "cifar-10-batches-py/ or cifar-10-batches-bin/", dirs)


def load_digits(test_fraction=0.2, seed=0):
    """scikit-learn's bundled 8x8 digits (1797 images), split into train and test (stratified)."""
    bunch = require("sklearn.datasets", "nn").load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = require("sklearn.model_selection", "nn").train_test_split(
        images, bunch.target.astype(np.int64), test_size=test_fraction, random_state=seed,
        stratify=bunch.target,
    )
    return Dataset("digits", x_train, y_train, x_test, y_test, "sklearn.datasets.load_digits")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(name, root=None, base_url=None):
    """Download ``name``'s files into ``root/name`` (default ``~/.cache/fxp``), checking SHA-256.

    Each file is written to a temporary name and renamed only after its checksum matched.
    """
    if name not in _SOURCES:
        raise ValueError(f"no download source for {name!r}; downloadable: {', '.join(_SOURCES)}")
    default_url, files = _SOURCES[name]
    target = Path(root or Path.home() / ".cache" / "fxp") / name
    target.mkdir(parents=True, exist_ok=True)
    for filename, sha in files.items():
        final = target / filename
        if final.is_file() and _sha256(final) == sha:
            continue
        fd, tmp = tempfile.mkstemp(dir=target, prefix=filename + ".")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen((base_url or default_url) + filename) as src:
                while block := src.read(1 << 20):
                    out.write(block)
            got = _sha256(tmp)
            if got != sha:
                raise DataError(f"checksum mismatch for {filename}: expected sha256 {sha}, got {got}")
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        if filename.endswith(".tar.gz"):
            with tarfile.open(final) as archive:
                archive.extractall(target, filter="data")
    return target


_LOADERS = {"digits": lambda _: load_digits(), "mnist": lambda d: load_idx_dataset("mnist", d),
            "fashion-mnist": lambda d: load_idx_dataset("fashion-mnist", d), "cifar10": load_cifar10}
DATASETS = tuple(_LOADERS)   # the names load_dataset accepts


def load_dataset(name, data_dir=None, download_missing=False):
    """Load a dataset by name: ``digits``, ``mnist``, ``fashion-mnist`` or ``cifar10``.

    Parameters
    ----------
    name : str
        Dataset name.
    data_dir : str or Path, optional
        Searched first (see the module docstring for the search order).
    download_missing : bool, default False
        Download (with checksum) into ``data_dir`` or ``~/.cache/fxp`` when not found.
    """
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    try:
        return _LOADERS[name](data_dir)
    except DatasetNotFoundError:
        if not download_missing:
            raise
    download(name, data_dir)
    return _LOADERS[name](data_dir)
