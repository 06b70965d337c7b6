"""Labels and formulas: colours by role, numbers as the drawings print them, op text,
local-derivative formulas and the HTML-like table of a node (graphviz's label syntax,
which the pure-Python SVG backend reads too)."""

from __future__ import annotations

import html
import math
import re

import numpy as np

from ..pass_trace import GradSummary

FREED_TEXT = "values freed by backward"

# Colours: fill by role, grad-cell and border by what the gradient looks like.
ROLE_STYLE = {  # role: (fill, border, legend text)
    "input": ("#dbeafe", "#2563eb", "input"),
    "parameter": ("#dcfce7", "#16a34a", "parameter"),
    "constant": ("#f3f4f6", "#9ca3af", "constant (no grad)"),
    "intermediate": ("#ffffff", "#6b7280", "intermediate"),
    "output": ("#fef3c7", "#d97706", "output"),
}
FLAG_STYLE = {  # flag: (grad-cell fill, border, legend text)
    "zero": ("#d1d5db", "#4b5563", "zero grad (e.g. dead ReLU)"),
    "vanishing": ("#cffafe", "#0891b2", "vanishing grad"),
    "exploding": ("#fed7aa", "#ea580c", "exploding grad"),
    "nonfinite": ("#fecaca", "#dc2626", "nan / inf"),
}
OP_FILL, OP_BORDER = "#ede9fe", "#7c3aed"
GROUP_FILL, GROUP_BORDER = "#e0f2fe", "#0369a1"
FORWARD_EDGE, GRAD_EDGE, PENDING_EDGE = "#6b7280", "#dc2626", "#d1d5db"
HIGHLIGHT = "#db2777"
FADED = "#c0c0c0"
FONT = "Helvetica"

# How an op is drawn: symbol, and the names of its arguments when their order matters.
OP_SYMBOL = {"*": "×", "-": "−"}
COMMUTATIVE = {"+", "*", "maximum"}
ARG_NAMES = {
    "**": ("base", "exponent"),
    "@": ("A", "B"),
    "-": ("a", "b"),
    "where": ("where true", "where false"),
    "linear": ("x", "weight", "bias"),
}
# Local derivative formulas, one per argument; g is the upstream gradient dL/d(out).
FORMULAS = {
    "+": ("∂/∂a = 1", "∂/∂b = 1"),
    "*": ("∂/∂a = b", "∂/∂b = a"),
    "**": ("∂/∂a = b·a^(b−1)", "∂/∂b = out·ln a"),
    "exp": ("∂/∂x = eˣ = out",),
    "log": ("∂/∂x = 1/x",),
    "sqrt": ("∂/∂x = 1/(2·out)",),
    "tanh": ("∂/∂x = 1 − out²",),
    "sigmoid": ("∂/∂x = out·(1 − out)",),
    "relu": ("∂/∂x = 1 if x > 0 else 0",),
    "abs": ("∂/∂x = sign(x)",),
    "@": ("∂L/∂A = G·Bᵀ", "∂L/∂B = Aᵀ·G"),
    "sum": ("∂L/∂x = G broadcast back to x's shape",),
    "mean": ("∂L/∂x = G / n, broadcast back",),
    "max": ("∂L/∂x = G at the maximum, 0 elsewhere",),
    "min": ("∂L/∂x = G at the minimum, 0 elsewhere",),
    "reshape": ("∂L/∂x = G reshaped back",),
    "transpose": ("∂L/∂x = G transposed back",),
    "-": ("∂/∂a = 1", "∂/∂b = −1"),
    "maximum": ("∂/∂a = 1 where a ≥ b", "∂/∂b = 1 where b > a"),
    "where": ("∂L/∂a = G where cond", "∂L/∂b = G where not cond"),
    "clip": ("∂/∂x = 1 inside [lo, hi], else 0",),
    "expand": ("∂L/∂x = G summed over the expanded axes",),
    "getitem": ("∂L/∂x = G put back in place, 0 elsewhere",),
    "cat": ("each input gets its slice of G",),
    "stack": ("each input gets its slice of G",),
    "softmax": ("∂L/∂x = out ⊙ (G − Σ G⊙out)",),
    "log_softmax": ("∂L/∂x = G − softmax(x)·ΣG",),
    "logsumexp": ("∂L/∂x = G · softmax(x)",),
    "linear": ("∂L/∂x = G·W", "∂L/∂W = Gᵀ·x", "∂L/∂b = G summed over rows"),
    "cross_entropy": ("∂L/∂z = (softmax(z) − onehot(y)) · G / N",),
}


def _is_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def _num(x) -> str:
    """A scalar as micrograd prints it (4 decimals), switching to exponent form when tiny or huge."""
    x = float(x) + 0.0
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0 or 1e-4 <= a < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _short(x) -> str:
    x = float(x) + 0.0
    return f"{x:.4g}"


def _norm(g: GradSummary) -> float:
    if g.sumsq is None:  # not kept
        return float("nan")
    return math.sqrt(g.sumsq) if g.sumsq >= 0 else float("nan")


NOT_KEPT = "grad not kept by backward"


def _mag(g) -> float:
    """max |g|; for a gradient summarised by a freeing pass, its norm (all that was kept)."""
    if g.__class__ is GradSummary:
        return _norm(g)
    if _is_array(g):
        if np.size(g) == 0:
            return 0.0
        with np.errstate(invalid="ignore"):
            return float(np.max(np.abs(g)))
    return abs(float(g))


def _flag(g, vanishing, exploding) -> str | None:
    if g is None:
        return None
    if g.__class__ is GradSummary:
        if g.sumsq is None:
            return None
        if not math.isfinite(g.sumsq):
            return "nonfinite"
    elif _is_array(g):
        if not np.all(np.isfinite(g)):
            return "nonfinite"
    elif not math.isfinite(g):
        return "nonfinite"
    m = _mag(g)
    if m == 0:
        return "zero"
    if m < vanishing:
        return "vanishing"
    if m > exploding:
        return "exploding"
    return None


def _brief(x) -> str:
    """A value or array in a few characters: the number, or the values when small, or the norm."""
    if x.__class__ is GradSummary:
        return "not kept" if x.sumsq is None else f"‖·‖ {_short(_norm(x))}"
    if not _is_array(x):
        return _short(x)
    a = np.asarray(x)
    if a.size == 1:
        return _short(a.reshape(()))
    if a.size <= 6:
        return _values(a).replace("\n", "")
    return f"‖·‖ {_short(np.linalg.norm(a.astype(float)))}"


def _values(a) -> str:
    """A small array's values, one line per row; a column (n, 1) as a transposed row."""
    if a.ndim == 2 and a.shape[1] == 1 and a.shape[0] > 1:
        return _values(a[:, 0]) + "ᵀ"
    return np.array2string(a.astype(float), precision=3, separator=", ", suppress_small=True)


def _preview(a) -> str:
    """Values of a small array (one line per row), else min / mean / max."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        return f"{a.size} values"
    if a.size <= 8:
        return _values(a)
    f = a.astype(float)
    return f"min {_short(np.min(f))} · mean {_short(np.mean(f))} · max {_short(np.max(f))}"


def _op_text(node) -> str:
    """The op as a reader expects it: × for *, and the arguments the op carries
    (`sum(axis=1)`, `× 0.5`, `[:, 0]`, `softmax(axis=-1)`)."""
    op = node.op or ""
    sym = OP_SYMBOL.get(op, op)
    ctx = node._ctx
    try:
        if not _is_array(node.data):
            return sym
        if op in ("+", "-", "*") and len(node.parents) == 1:  # an op with a plain number
            return f"{sym} {_short(ctx)}" if op == "*" and ctx is not None else f"{sym} const"
        if op in ("sum", "mean", "max", "min", "logsumexp"):
            axes, keepdims = ctx[0], ctx[1]
            args = [] if axes is None else [f"axis={_axes(axes)}"]
            if keepdims:
                args.append("keepdims")
            return f"{op}({', '.join(args)})"
        if op in ("softmax", "log_softmax", "stack"):
            return f"{op}(axis={_axes(ctx)})"
        if op == "cat":
            return f"cat(axis={_axes(ctx[0])})"
        if op == "reshape":
            return f"reshape{tuple(np.shape(node.data))}"
        if op == "transpose":
            perm = tuple(int(k) for k in np.argsort(ctx))
            return ".T" if perm == (1, 0) else f"transpose{perm}"
        if op == "getitem":
            return _index_text(ctx[0])
        if op == "clip":
            return f"clip({', '.join('None' if v is None else _short(v) for v in ctx)})"
        if op == "expand":
            return f"expand{tuple(np.shape(node.data))}"
        if op == "linear":
            return "linear  x·Wᵀ + b" if len(node.parents) == 3 else "linear  x·Wᵀ"
    except (TypeError, IndexError, ValueError):  # an op whose context looks different: its name
        pass
    return sym


def _axes(axes) -> str:
    if isinstance(axes, tuple) and len(axes) == 1:
        axes = axes[0]
    return str(axes)


def _index_text(key) -> str:
    """`[:, 0]`, `[2:5]`, `[mask]`, `[idx]` for an index key."""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            start, stop = ("" if v is None else str(v) for v in (p.start, p.stop))
            out.append(f"{start}:{stop}" + ("" if p.step is None else f":{p.step}"))
        elif p is None:
            out.append("None")
        elif p is Ellipsis:
            out.append("...")
        elif _is_array(p) and np.ndim(p) > 0:
            out.append("mask" if np.asarray(p).dtype == bool else f"idx{tuple(np.shape(p))}")
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def _op_base(op: str) -> str:
    """'sum(axis=1)' -> 'sum', '**2' -> '**n'."""
    if op.startswith("**") and op != "**":
        return "**n"
    return re.split(r"[(\[ ]", op, maxsplit=1)[0]


def _formulas(node) -> tuple:
    op = node.op or ""
    base = _op_base(op)
    if base == "**n":
        try:
            n = float(op[2:])
        except ValueError:
            return ()
        power = "1" if n == 1 else f"{n:g}·x" if n == 2 else f"{n:g}·x^{n - 1:g}"
        return (f"∂/∂x = {power}",)
    if len(node.parents) == 1 and op in ("+", "-", "*"):  # with a plain number c
        if op == "*":
            return ("∂/∂x = c",)
        rsub = "rsub" in getattr(node._rule, "__name__", "")
        return ("∂/∂x = −1",) if rsub else ("∂/∂x = 1",)
    return FORMULAS.get(base, ())


def _arg_names(node, formulas=False) -> tuple:
    """Edge labels saying which argument an input is: only where order matters, or where
    the formulas printed in the op node refer to the arguments as a and b."""
    base = _op_base(node.op or "")
    k = len(node.parents)
    if k < 2 or (base in COMMUTATIVE and not formulas):
        return ("",) * k
    if base in COMMUTATIVE and k == 2:
        return ("a", "b")
    names = ARG_NAMES.get(base)
    if names is not None and len(names) >= k:
        return names[:k]
    return tuple(f"#{i}" for i in range(k))


def _describe(scene, i, with_grad=True) -> str:
    """One plain-text line for node i (used by to_text and tooltips)."""
    node = scene.order[i]
    parts = [scene.name(i)]
    if _is_array(node.data):
        parts.append(f"{tuple(np.shape(node.data))} {np.asarray(node.data).dtype}")
        parts.append(FREED_TEXT if _freed(node) else _preview(node.data).replace("\n", " "))
    else:
        parts.append(f"data {_num(node.data)}")
    if with_grad and node.requires_grad:
        if scene.pending:
            parts.append("grad not computed yet")
        elif scene.show_grads:
            g = scene.grads[i]
            parts.append("grad none" if g is None else _grad_text(g))
    return "  ".join(parts)


def _grad_text(g, multiline: bool = False) -> str:
    """'grad -6.0000' for a scalar; the values of a small array, else its norm."""
    if g.__class__ is GradSummary:
        return NOT_KEPT if g.sumsq is None else f"‖grad‖ {_short(_norm(g))}"
    if _is_array(g):
        a = np.asarray(g, dtype=float)
        if a.size == 1:
            return f"grad {_short(a.reshape(()))}"
        if a.size <= 8:
            return "grad " + (_preview(a) if multiline else _brief(a))
        return f"‖grad‖ {_short(np.linalg.norm(a))}"
    return f"grad {_num(g)}"


def _esc(s) -> str:
    """Text safe inside a graphviz HTML label (escapes < > & and quotes; | { } are plain there)."""
    return html.escape(str(s), quote=True).replace("\n", "<BR/>")


def _tooltip(s: str) -> str:
    return s.replace("\\", "\\\\")


def _data_nonfinite(d) -> bool:
    if _is_array(d):
        return np.asarray(d).dtype.kind == "f" and not bool(np.all(np.isfinite(d)))
    return isinstance(d, float) and not math.isfinite(d)


def _html(inner: str) -> str:
    return f"<{_esc(inner)}>"


def _node_label(scene, i, grad, state, flag, faded, partial, copy=False, outlined=False) -> str:
    """An HTML table: name, data (or shape, dtype, preview) and grad, coloured by role."""
    node = scene.order[i]
    role = scene.roles[i]
    fill, border, _ = ROLE_STYLE[role]
    width = "2" if role == "output" else "1"
    if flag:
        border, width = FLAG_STYLE[flag][1], "2"
    if outlined:
        border, width = HIGHLIGHT, "2"
    if faded:
        fill, border = "#fafafa", FADED
    grad_bg = f' BGCOLOR="{FLAG_STYLE[flag][0]}"' if flag and not faded else ""
    name = scene.param_names.get(id(node)) or node.label
    if state == "shown":
        gtxt = "grad none" if grad is None else _grad_text(grad)
        if partial:
            gtxt += " (so far)"
    elif state == "pending":
        gtxt = "grad —"
    else:
        gtxt = ""
    tag = "" if name or role == "constant" else f'<FONT COLOR="#9ca3af" POINT-SIZE="9">#{i}</FONT>'
    if _is_array(node.data):
        if state == "shown" and grad is not None:
            gtxt = _grad_text(grad, multiline=True) + (" (so far)" if partial else "")
        a = np.asarray(node.data)
        head = f"<B>{_esc(name)}</B>  " if name else (tag + "  " if tag else "")
        shape = str(a.shape) if a.ndim else "scalar"
        rows = [f'<TD ALIGN="LEFT">{head}<FONT COLOR="#4b5563">{_esc(shape)} {_esc(a.dtype)}</FONT></TD>']
        rows.append(f'<TD BALIGN="LEFT">{_esc(FREED_TEXT if _freed(node) else _preview(a))}</TD>')
        if gtxt:
            rows.append(f'<TD BALIGN="LEFT"{grad_bg}>{_esc(gtxt)}</TD>')
        body = "<HR/>".join(f"<TR>{r}</TR>" for r in rows)
    else:
        row = []
        if name:
            row.append(f"<TD><B>{_esc(name)}</B></TD>")
        elif tag:
            row.append(f"<TD>{tag}</TD>")
        row.append(f"<TD>data {_esc(_num(node.data))}</TD>")
        if gtxt:
            row.append(f"<TD{grad_bg}>{_esc(gtxt)}</TD>")
        body = "<TR>" + "<VR/>".join(row) + "</TR>"
    if faded:
        body = _font_wrap(body, FADED)
    style = "ROUNDED,DASHED" if copy else "ROUNDED"
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" STYLE="{style}" '
        f'BGCOLOR="{fill}" COLOR="{border}">{body}</TABLE>>'
    )


def _font_wrap(body: str, font: str) -> str:
    """Colour the text of every cell (in graphviz HTML labels FONT may not wrap rows)."""
    return re.sub(
        r"(<TD[^>]*>)(.*?)(</TD>)", lambda m: f'{m[1]}<FONT COLOR="{font}">{m[2]}</FONT>{m[3]}', body
    )


def _freed(node) -> bool:
    """A node of a freed graph whose values are gone (see trace.py)."""
    return getattr(node, "freed", False)
