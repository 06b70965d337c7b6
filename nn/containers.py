"""Containers beside Sequential and ModuleList: ModuleDict and ParameterList, with PyTorch's
names and state-dict keys ("blocks.conv.weight", "params.0")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .module import Module, Parameter, _checked_module, _index

__all__ = ["ModuleDict", "ParameterList"]


class ModuleDict(Module):
    """An ordered dict of modules whose parameters are registered under their keys; no forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _checked_module(module, repr(key)))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        self.__dict__.pop(key, None)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def update(self, modules) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        pairs = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for i, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update: entry {i} is not a (key, module) pair")
            self[pair[0]] = pair[1]


class ParameterList(Module):
    """A list of Parameters registered as "0", "1", ... (arrays and Tensors become Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, index):
        items = list(self._parameters.values())
        if isinstance(index, slice):
            return ParameterList(items[index])
        return items[_index(index, len(items), "ParameterList")]

    def __setitem__(self, index: int, value) -> None:
        i = _index(index, len(self), "ParameterList")
        self.register_parameter(str(i), _as_parameter(value))

    def append(self, value) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): Parameter of shape {tuple(p.shape)}, {p.dtype}" for i, p in enumerate(self))


def _as_parameter(value) -> Parameter:
    return value if isinstance(value, Parameter) else Parameter(value)
