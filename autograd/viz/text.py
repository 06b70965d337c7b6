"""The text backend: an indented tree of the graph that needs nothing installed."""

from __future__ import annotations

from .labels import _describe, _op_text


def _text(scene, max_lines, max_indent: int = 24) -> str:
    """The tree behind `to_text`: output first, inputs indented below their consumer.
    Past `max_indent` levels lines stop moving right and say their depth instead."""
    order = scene.order
    lines = []
    if scene.pending:
        lines.append("(gradients not computed yet: call backward() on the output)")
    printed: set = set()
    stack = [(len(order) - 1, 0, "", "")]  # (index, depth, lead of this line, lead of its children)
    while stack:
        if max_lines is not None and len(lines) >= max_lines:
            lines.append("...")
            break
        i, depth, lead, child_lead = stack.pop()
        node = order[i]
        if i in printed:
            lines.append(f"{lead}{scene.name(i)} (shown above)")
            continue
        printed.add(i)
        line = lead + _describe(scene, i)
        if node._rule is not None:
            line += f"  <- {_op_text(node)}"
        elif scene.roles[i] != "intermediate":
            line += f"  ({scene.roles[i]})"
        lines.append(line)
        kids = scene.parent_idx[i]
        if depth + 1 >= max_indent:
            child_lead = f"[depth {depth + 1}] "
            branch = [child_lead] * 2
            rest = [child_lead] * 2
        else:
            branch = [child_lead + "├─ ", child_lead + "└─ "]
            rest = [child_lead + "│  ", child_lead + "   "]
        for pos in range(len(kids) - 1, -1, -1):
            last = int(pos == len(kids) - 1)
            stack.append((kids[pos], depth + 1, branch[last], rest[last]))
    return "\n".join(lines)
