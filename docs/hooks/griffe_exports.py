"""A griffe extension for the API reference: a module shows what it defines or exports.

The reference is built by importing the packages (Value's and Tensor's ops are bound at
import), and an imported module lists every name it imported (`Tensor` in nn.layers,
`no_grad` in nn.optim). This drops those: a name another module defines is kept only
when the module exports it in `__all__` (as `autograd` and `nn` export their public names).
"""

from __future__ import annotations

import griffe


class ExportsOnly(griffe.Extension):
    def on_module_members(self, *, mod: griffe.Module, **kwargs) -> None:
        exports = {str(e) for e in mod.exports or ()}
        for name, member in list(mod.members.items()):
            if member.is_alias and name not in exports:
                del mod.members[name]
