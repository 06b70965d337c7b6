"""A griffe extension for the API reference: what a module exports, docstrings as written.

The reference is built by importing the packages (Value's and Tensor's ops are bound at
import), and an imported module lists every name it imported (`Tensor` in nn.layers,
`no_grad` in nn.optim). This drops those: a name another module defines is kept only
when the module exports it in `__all__` (as `autograd` and `nn` export their public names).

Docstrings here are one line of math, read as Markdown: indexing such as `out[i][j]`
would be taken for a reference link, so a `[` right after a name or a `]` is escaped
(outside code spans, where Markdown reads nothing).
"""

from __future__ import annotations

import re

import griffe

_INDEXING = re.compile(r"(?<=[\w\]])\[")
_CODE = re.compile(r"(`+[^`]*`+)")


class ExportsOnly(griffe.Extension):
    def on_module_members(self, *, mod: griffe.Module, **kwargs) -> None:
        exports = {str(e) for e in mod.exports or ()}
        for name, member in list(mod.members.items()):
            if member.is_alias and name not in exports:
                del mod.members[name]

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and "[" in obj.docstring.value:
            parts = _CODE.split(obj.docstring.value)  # odd parts are code spans
            escaped = (p if k % 2 else _INDEXING.sub(r"\\[", p) for k, p in enumerate(parts))
            obj.docstring.value = "".join(escaped)
