"""Module, Parameter and the containers, with PyTorch's registration, names and state dicts.

Assigning a `Parameter` or a `Module` to an attribute of a Module registers it, in
assignment order; `named_parameters()` walks the tree and names each parameter by its
path (`layers.0.weight`), so state dicts map one to one onto PyTorch's. Buffers (running
statistics) are numpy arrays registered with `register_buffer`; they are saved with the
parameters but get no gradient.

State dicts are dicts of numpy arrays (copies: a snapshot that later training does not
change). Loading one, or a `.npz` file, checks every key, shape and dtype before it
changes anything, so a failed load leaves the model as it was. Files are written to a
temporary name and renamed, so a crash never leaves half a file, and read with
`allow_pickle=False`, so loading a file never runs code.
"""

from __future__ import annotations

import math
import os
import tokenize
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from autograd import Tensor

__all__ = ["Module", "ModuleList", "Parameter", "Sequential", "StateDictError"]


class StateDictError(RuntimeError):
    """A state dict or file does not fit the model (missing, extra, mis-shaped or unreadable entries)."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Parameter(Tensor):
    """A Tensor that a Module learns: a leaf with requires_grad=True, registered on assignment."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True, *, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, dtype=dtype, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models. Subclasses call `super().__init__()` first, assign
    parameters and submodules as attributes, and define `forward`; call the module itself."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # registration ---------------------------------------------------------------------------
    # The three ordered registries are the truth (they give names and order); each entry is
    # also kept in the instance dict, so `self.weight` is a plain attribute lookup rather
    # than a __getattr__ fallback (a microsecond per access, on every forward pass). All
    # changes go through `_register`, which keeps the two in step.
    def _register(self, kind: str, name: str, value) -> None:
        d = self.__dict__
        for other in ("_parameters", "_buffers", "_modules"):
            if other != kind:
                d[other].pop(name, None)
        d[kind][name] = value
        d[name] = value

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign '{name}' before Module.__init__() has run; "
                "call super().__init__() first in your __init__"
            )
        if isinstance(value, Parameter):
            self._register("_parameters", name, value)
        elif isinstance(value, Module):
            self._register("_modules", name, value)
        elif name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: '{name}' is a parameter; assign a Parameter (or None), "
                    f"not a {type(value).__name__}. To change its values, assign to .{name}.data"
                )
            self._register("_parameters", name, None)
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: '{name}' is a submodule; assign a Module (or None), "
                    f"not a {type(value).__name__}"
                )
            self._register("_modules", name, None)
        elif name in d["_buffers"]:
            self._register("_buffers", name, None if value is None else _buffer_array(value, name))
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(kind, ()):
                del self.__dict__[kind][name]
                break
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Same as `self.name = param`, with a name chosen at run time."""
        _check_name(self, name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: '{name}' must be a Parameter or None, got {type(param).__name__}"
            )
        self._register("_parameters", name, param)

    def register_buffer(self, name: str, value) -> None:
        """Register a saved, non-learned array (running statistics): in the state dict, no gradient."""
        _check_name(self, name)
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: '{name}' is already a parameter or submodule")
        self._register("_buffers", name, None if value is None else _buffer_array(value, name))

    def add_module(self, name: str, module: Module | None) -> None:
        """Same as `self.name = module`, with a name chosen at run time."""
        _check_name(self, name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module or None, got {type(module).__name__}")
        self._register("_modules", name, module)

    # calling ----------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, x) in the class"
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # walking the tree ---------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set | None = None) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self ("") and every submodule, depth first, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, kind: str, prefix: str, recurse: bool, dedupe: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, kind).items():
                if value is None or (dedupe and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, PyTorch's names and order; a shared parameter once."""
        return self._named_members("_parameters", prefix, recurse, dedupe=True)

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """Every parameter, in named_parameters() order (a list: len() and indexing work)."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        return self._named_members("_buffers", prefix, recurse, dedupe=False)

    def buffers(self, recurse: bool = True) -> list[np.ndarray]:
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return sum(p.numel() for p in self.parameters())

    def apply(self, fn) -> Module:
        """Call fn(module) on every submodule, children first, then self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # training helpers --------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None, as PyTorch; zeros if set_to_none=False)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = np.zeros_like(p.grad)

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for self and all submodules."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, dtype) -> Module:
        """Cast every parameter and floating-point buffer to `dtype` (np.float32 or np.float64)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: dtype must be a floating-point type, got {dtype}")
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p.dtype != dtype:
                    p.data = p.data.astype(dtype)
                    p.grad = None if p.grad is None else p.grad.astype(dtype)
            for name, b in m._buffers.items():
                if b is not None and b.dtype.kind == "f":
                    m._register("_buffers", name, b.astype(dtype))
        return self

    def float(self) -> Module:
        """Cast to float32."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast to float64 (what gradcheck needs)."""
        return self.to(np.float64)

    # state dicts ----------------------------------------------------------------------------
    def _entries(self) -> OrderedDict:
        """name -> (module, attribute, kind) for every parameter and buffer, in PyTorch's order:
        a module's parameters, then its buffers, then its children's entries."""
        entries = OrderedDict()
        for mod_name, module in self._all_paths():
            for kind in ("_parameters", "_buffers"):
                for name, value in getattr(module, kind).items():
                    if value is not None:
                        entries[f"{mod_name}.{name}" if mod_name else name] = (module, name, kind)
        return entries

    def _all_paths(self, prefix: str = ""):
        """(dotted name, module) for every path in the tree: a shared module once per path,
        as PyTorch's state dict names it (named_modules lists it once)."""
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._all_paths(f"{prefix}.{name}" if prefix else name)

    def state_dict(self) -> OrderedDict:
        """{dotted name: numpy array copy} of every parameter and buffer, PyTorch's keys and order."""
        out = OrderedDict()
        for key, (module, name, kind) in self._entries().items():
            value = getattr(module, kind)[name]
            out[key] = (value.data if kind == "_parameters" else value).copy()
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from a {name: array} mapping (numpy arrays, lists, torch tensors).

        Every entry is checked first: with strict=True, missing and unexpected keys are
        errors; a wrong shape, or values that are not real numbers, always are. On any
        error nothing is changed. Values are cast to each parameter's dtype (as PyTorch).
        Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(
                f"load_state_dict: expected a dict of name -> array, got {type(state_dict).__name__}"
            )
        entries = self._entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in entries]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        updates = []
        for key, (module, name, kind) in entries.items():
            if key not in state_dict:
                continue
            current = getattr(module, kind)[name]
            target = current.data if kind == "_parameters" else current
            try:
                value = _to_numpy(state_dict[key])
            except (TypeError, ValueError) as exc:
                problems.append(f"'{key}' is not an array of numbers ({exc})")
                continue
            if value.dtype.kind not in "biuf":
                problems.append(f"'{key}' has dtype {value.dtype}, expected real numbers")
            elif value.shape != target.shape:
                problems.append(f"'{key}' has shape {value.shape}, the model's has shape {target.shape}")
            else:
                new = np.empty_like(
                    target
                )  # keeps the dtype and the memory layout (Linear's is column-major)
                new[...] = value
                updates.append((module, name, kind, new))
        if problems:
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: "
                + "; ".join(problems)
                + ". The model is unchanged."
            )
        for module, name, kind, value in updates:
            if kind == "_parameters":
                module._parameters[name].data = value
            else:
                module._register("_buffers", name, value)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path) -> Path:
        """Write the state dict to `path` as an uncompressed .npz (no pickle), atomically."""
        path = Path(path)
        save_arrays(path, self.state_dict())
        return path

    def load(self, path, strict: bool = True) -> IncompatibleKeys:
        """Load a state dict written by `save` (or by np.savez); the model is unchanged on any error."""
        return self.load_state_dict(load_arrays(path), strict=strict)

    # repr ---------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses (layer sizes and options)."""
        return ""

    def __repr__(self) -> str:
        return "\n".join(self._repr_lines(""))

    def _repr_lines(self, head: str) -> list[str]:
        n = self.num_parameters()
        count = f"  # {n:,} parameter{'s' if n != 1 else ''}" if n else ""
        extra = self.extra_repr()
        children = [(k, m) for k, m in self._modules.items() if m is not None]
        if not children:
            return [f"{head}{type(self).__name__}({extra}){count}"]
        lines = [f"{head}{type(self).__name__}({extra}{count}"]
        for name, child in children:
            lines.extend("  " + line for line in child._repr_lines(f"({name}): "))
        return lines + [")"]


def _check_name(module: Module, name: str) -> None:
    if "_parameters" not in module.__dict__:
        raise AttributeError("call super().__init__() before registering parameters, buffers or modules")
    if not isinstance(name, str) or not name or "." in name:
        raise KeyError(f"name {name!r} must be a non-empty string without '.'")


def _buffer_array(value, name: str) -> np.ndarray:
    arr = _to_numpy(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"buffer '{name}' must hold numbers, got dtype {arr.dtype}")
    return arr


def _to_numpy(value) -> np.ndarray:
    """An array from a numpy array, a Tensor, a torch tensor, a list or a number."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        return value.detach().cpu().numpy()
    return np.asarray(value)


# ---------------------------------------------------------------------------------- .npz files
def save_arrays(path, arrays: dict) -> None:
    """Write {name: array} as an .npz at `path`: to a temporary file in the same directory,
    flushed to disk, then renamed over `path` (atomic: readers see the old or the new file).

    The temporary file is named after the process, so that a save killed half way (no
    cleanup can run) leaves a file the next save into that directory recognises and removes.
    The file gets the mode the umask gives (0644 for the usual 022), as open() would."""
    path = Path(path)
    directory = path.parent
    _remove_stale(directory, path.name)
    tmp = f"{directory}/.{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)  # 0o666 less the umask
    try:
        with os.fdopen(fd, "wb") as f:
            # Written member by member (not np.savez) so that any key is allowed, even "file".
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
                for name, value in arrays.items():
                    with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, np.asarray(value), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _remove_stale(directory: Path, name: str) -> None:
    """Delete `.name.<pid>.<hex>.tmp` files left by processes that no longer run."""
    for leftover in directory.glob(f".{name}.*.tmp"):
        parts = leftover.name[len(name) + 2 :].split(".")
        if len(parts) == 3 and parts[0].isdigit() and not _running(int(parts[0])):
            try:
                leftover.unlink()
            except OSError:
                pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def load_arrays(path) -> OrderedDict:
    """Read every array of an .npz (no pickle) into memory; a clear StateDictError if unreadable.

    Each member's header is read and checked against the member's real size before any
    memory is set aside for it: a crafted header cannot ask for terabytes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no such file {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as zf:
            out = OrderedDict()
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"member {info.filename!r} is not an .npy array")
                with zf.open(info) as member:
                    out[info.filename[:-4]] = _read_member(member, info)
            return out
    except (OSError, ValueError, EOFError, KeyError, SyntaxError, MemoryError, zipfile.BadZipFile,
            zlib.error, tokenize.TokenError, OverflowError) as exc:  # fmt: skip
        raise StateDictError(
            f"load: {str(path)!r} is not a readable .npz of arrays ({type(exc).__name__}: {exc}); "
            "the model is unchanged"
        ) from None


def _read_member(member, info: zipfile.ZipInfo) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(member)
    header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
    if header is None:
        raise ValueError(f"{info.filename}: .npy format version {version} is not supported")
    shape, fortran, dtype = header(member, max_header_size=10000)
    if dtype.hasobject:
        raise ValueError(f"{info.filename}: holds Python objects (pickle), which are not loaded")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > info.file_size:
        raise ValueError(
            f"{info.filename}: its header claims shape {shape} of {dtype} ({claimed:,} bytes) but the "
            f"member holds {info.file_size:,} bytes"
        )
    data = member.read(claimed)
    if len(data) != claimed:
        raise EOFError(f"{info.filename}: {len(data):,} bytes of data where {claimed:,} are needed")
    array = np.frombuffer(data, dtype=dtype).copy()
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


# -------------------------------------------------------------------------------- containers
class Sequential(Module):
    """Modules applied in order: Sequential(Linear(2, 8), ReLU(), Linear(8, 1)). Children are
    named "0", "1", ... (or by the keys of an OrderedDict); indexing and slicing work."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, _checked_module(module, name))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _checked_module(module, i))

    def forward(self, x):
        for module in self._modules.values():
            # module(x) is module.forward(x) unless its class has a __call__ of its own;
            # calling forward saves a frame per layer (a few per training step)
            x = module.forward(x) if type(module).__call__ is _module_call else module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            # A slice keeps the original names (as PyTorch), so its state dict keys still match.
            return Sequential(OrderedDict(items[index]))
        return items[_index(index, len(items), type(self).__name__)][1]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_index(index, len(self), type(self).__name__)]
        self._register("_modules", key, _checked_module(module, key))

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), _checked_module(module, len(self)))
        return self


_module_call = Module.__call__


class ModuleList(Module):
    """A list of modules whose parameters are registered (named "0", "1", ...); no forward."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[_index(index, len(items), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        i = _index(index, len(self), "ModuleList")
        self._register("_modules", str(i), _checked_module(module, i))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _checked_module(module, len(self)))
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self


def _checked_module(module, where) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"container entry {where} is a {type(module).__name__}, not a Module")
    return module


def _index(index, n: int, what: str) -> int:
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{what} indices must be integers or slices, not {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"{what} index {index} is out of range for {n} modules")
    return int(index) % n
