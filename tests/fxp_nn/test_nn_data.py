"""Dataset loaders on small files written by the tests (never the network)."""
import gzip
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fxp_nn.data import DataError, DatasetNotFoundError, download, load_dataset, read_idx, write_idx


def _write_mnist(directory, n_train=6, n_test=4, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    images = {"train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "t10k": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)}
    for split, imgs in images.items():
        write_idx(directory / f"{split}-images-idx3-ubyte{suffix}", imgs)
        write_idx(directory / f"{split}-labels-idx1-ubyte{suffix}", rng.integers(0, 10, len(imgs), dtype=np.uint8))
    return images


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip_and_mnist_layout(tmp_path, gz):
    images = _write_mnist(tmp_path / "mnist", gz=gz)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert data.x_train.shape == (6, 1, 28, 28) and data.x_train.dtype == np.float32
    np.testing.assert_array_equal(data.x_train[:, 0] * 255, images["train"])
    assert data.y_test.dtype == np.int64 and data.x_test.shape == (4, 1, 28, 28)
    assert str(tmp_path / "mnist") == data.source


def test_fxp_data_environment_variable(tmp_path, monkeypatch):
    _write_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setenv("FXP_DATA", str(tmp_path))
    assert load_dataset("fashion-mnist").x_train.shape[0] == 6


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_dtypes(tmp_path, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    write_idx(tmp_path / "a.idx", arr)
    out = read_idx(tmp_path / "a.idx")
    assert out.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(out, arr)


def test_corrupt_header(tmp_path):
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x08\x03" + bytes(20))
    with pytest.raises(DataError, match=r"bad.idx: corrupt IDX header"):
        read_idx(tmp_path / "bad.idx")


def test_truncated_file(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros((10, 28, 28), np.uint8))
    data = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "a.idx").write_bytes(data[:-100])
    with pytest.raises(DataError, match=r"a.idx: truncated IDX file.*\(10, 28, 28\)"):
        read_idx(tmp_path / "a.idx")
    (tmp_path / "b.idx.gz").write_bytes(gzip.compress(data)[:-30])
    with pytest.raises(DataError, match=r"b.idx.gz: corrupt or truncated gzip"):
        read_idx(tmp_path / "b.idx.gz")


def test_label_count_mismatch(tmp_path):
    _write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(DataError, match="6 images but 5 labels"):
        load_dataset("mnist", data_dir=tmp_path)


def test_missing_dataset_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("FXP_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset("mnist", data_dir=tmp_path / "given")
    message = str(err.value)
    assert str(tmp_path / "given") in message and str(tmp_path / "env") in message
    assert "--download" in message


def _cifar_batches(rng, n):
    return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": list(rng.integers(0, 10, n))}


def test_cifar_pickle_and_binary_agree(tmp_path):
    rng = np.random.default_rng(1)
    batches = {f"data_batch_{i}": _cifar_batches(rng, 3) for i in range(1, 6)}
    batches["test_batch"] = _cifar_batches(rng, 2)
    py_dir, bin_dir = tmp_path / "py" / "cifar-10-batches-py", tmp_path / "bin" / "cifar-10-batches-bin"
    py_dir.mkdir(parents=True)
    bin_dir.mkdir(parents=True)
    for name, batch in batches.items():
        (py_dir / name).write_bytes(pickle.dumps(batch, protocol=2))
        records = np.concatenate([np.asarray(batch[b"labels"], np.uint8)[:, None], batch[b"data"]], axis=1)
        (bin_dir / f"{name}.bin").write_bytes(records.tobytes())
    from_py = load_dataset("cifar10", data_dir=tmp_path / "py")
    from_bin = load_dataset("cifar10", data_dir=tmp_path / "bin")
    assert from_py.x_train.shape == (15, 3, 32, 32) and from_py.x_test.shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(from_py.x_train, from_bin.x_train)
    np.testing.assert_array_equal(from_py.y_test, from_bin.y_test)
    (bin_dir / "test_batch.bin").write_bytes(records.tobytes()[:-7])
    with pytest.raises(DataError, match="not a multiple of the 3073-byte record"):
        load_dataset("cifar10", data_dir=tmp_path / "bin")


def test_cifar_pickle_cannot_run_code(tmp_path):
    directory = tmp_path / "cifar-10-batches-py"
    directory.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (directory / name).write_bytes(pickle.dumps({b"data": print, b"labels": []}))
    with pytest.raises(DataError, match="builtins.print"):
        load_dataset("cifar10", data_dir=tmp_path)


def test_download_checks_sha256(tmp_path):
    source = tmp_path / "mirror"
    _write_mnist(source)
    with pytest.raises(DataError, match="checksum mismatch for train-images-idx3-ubyte.gz"):
        download("mnist", tmp_path / "cache", base_url=source.as_uri() + "/")
    assert not list((tmp_path / "cache" / "mnist").iterdir())


def test_digits_default():
    data = load_dataset("digits")
    assert data.input_shape == (1, 8, 8) and data.n_classes == 10
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), cut=st.integers(1, 200),
       gz=st.booleans())
def test_idx_round_trip_and_any_truncation_property(tmp_path_factory, shape, cut, gz):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if gz else "a.idx")
    arr = np.arange(np.prod(shape), dtype=np.int16).reshape(shape) - 7
    write_idx(path, arr)
    np.testing.assert_array_equal(read_idx(path), arr)
    raw = path.read_bytes()
    path.write_bytes(raw[:max(0, len(raw) - cut)])
    with pytest.raises(DataError, match=str(path.name)):
        read_idx(path)
