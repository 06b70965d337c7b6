"""The picture object draw_graph returns: a `graphviz.Digraph` that also saves SVG, PNG and
PDF, shows in Jupyter, keeps the records the pure-Python SVG backend draws when the `dot`
program is missing (saying so once), and checks the picture options."""

from __future__ import annotations

import html
import warnings
from pathlib import Path

INSTALL_HINT = (
    "graphviz's `dot` program is not installed, so this graph cannot be rendered as a picture.\n"
    "Install it with one of:\n"
    "  Debian/Ubuntu:  apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install graphviz\n"
    "Meanwhile `graph.source` holds the DOT text and `graph.to_text()` an indented text tree."
)


_GRAPH_CLASS = None


def _graph_class():
    """graphviz.Digraph with `save`, `to_text` and a Jupyter display that survives a missing dot."""
    global _GRAPH_CLASS
    if _GRAPH_CLASS is not None:
        return _GRAPH_CLASS
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install graphviz "
            "(autograd.viz.to_text(root) works without it)"
        ) from e

    render_errors = (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError)

    class Graph(graphviz.Digraph):
        """A computation graph picture: a graphviz.Digraph plus save(), to_text() and a
        Jupyter display that falls back to an install hint and the DOT text."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._text = ""
            self._summary = "graph"
            self._items: list = []  # each node and edge call, for the pure-Python SVG backend
            self._graph_attrs: dict = {}
            self._drawn: dict = {}

        # the records both backends draw from -----------------------------------------
        def node(self, name, label=None, _attributes=None, **attrs):
            self._items.append(("node", name, None, dict(attrs, label=label or name)))
            super().node(name, label, _attributes=_attributes, **attrs)

        def edge(self, tail_name, head_name, label=None, _attributes=None, **attrs):
            rec = dict(attrs, label=label) if label is not None else dict(attrs)
            self._items.append(("edge", tail_name, head_name, rec))
            super().edge(tail_name, head_name, label, _attributes=_attributes, **attrs)

        def attr(self, kw=None, _attributes=None, **attrs):
            if kw == "graph":
                self._graph_attrs.update(attrs)
            super().attr(kw, _attributes=_attributes, **attrs)

        def __repr__(self) -> str:
            return f"<Graph of {self._summary}>"

        def to_svg(self, engine: str = "auto") -> str:
            """SVG text: from dot when installed (engine "auto" or "dot"), else (or with
            engine="grandalf") laid out in pure Python from the same records."""
            if engine in ("auto", "dot"):
                try:
                    return self.pipe(format="svg", encoding="utf-8")
                except graphviz.ExecutableNotFound:
                    if engine == "dot":
                        raise RuntimeError(INSTALL_HINT) from None
                    _say_dot_is_missing()
            from . import svg

            return svg.render(self, engine="grandalf")

        def to_text(self) -> str:
            """The indented text tree of the graph this picture shows."""
            return self._text

        def copy(self):
            other = super().copy()
            other._text, other._summary = self._text, self._summary
            other._items, other._graph_attrs = list(self._items), dict(self._graph_attrs)
            return other

        def save(self, filename=None, directory=None, *, skip_existing=False):
            """Write the picture: .svg, .png or .pdf render in that format; .dot, .gv (or no
            name) write the DOT source, as graphviz's own save(), which render() calls."""
            fmt = Path(filename).suffix.lower().lstrip(".") if filename else ""
            if fmt in ("", "dot", "gv"):
                return Path(super().save(filename, directory=directory, skip_existing=skip_existing))
            path = Path(directory or "", filename)
            if fmt not in ("svg", "png", "pdf"):
                raise ValueError(
                    f"save: cannot tell the format from {path.name!r}; use .svg, .png, .pdf or .dot"
                )
            if fmt == "svg":
                path.write_text(self.to_svg(), encoding="utf-8")
                return path
            try:
                data = self.pipe(format=fmt)
            except graphviz.ExecutableNotFound:
                raise RuntimeError(
                    f"save: cannot write {path.name}: {fmt.upper()} needs graphviz's dot (.svg works "
                    f"without it). {INSTALL_HINT}"
                ) from None
            path.write_bytes(data)
            return path

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
            try:
                return {"image/svg+xml": self.to_svg()}
            except render_errors as e:
                text = _fallback_text(e, self.source)
                return {"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}

        def _repr_svg_(self):
            try:
                return self.to_svg()
            except render_errors as e:
                return _fallback_svg(_fallback_text(e, self.source))

    Graph.__module__ = __name__
    _GRAPH_CLASS = Graph
    return Graph


RANKDIRS = ("LR", "TB", "RL", "BT")


def check_options(rankdir, size=None, dpi=None, fontsize=None, where="draw_graph") -> dict:
    """The picture options checked once, with errors that name the fix."""
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"{where}: rankdir must be 'LR' (left to right), 'TB' (top to bottom), 'RL' or 'BT', "
            f"got {rankdir!r}"
        )
    if size is not None:
        parts = size.rstrip("!").split(",") if isinstance(size, str) else size
        try:
            w, h = (float(v) for v in parts)
        except (TypeError, ValueError):
            raise ValueError(
                f"{where}: size is the largest width and height in inches, as (10, 6) or '10,6', got {size!r}"
            ) from None
        if not (w > 0 and h > 0):
            raise ValueError(f"{where}: size must be positive inches, got {size!r}")
        size = f"{w:g},{h:g}" + ("!" if isinstance(size, str) and size.endswith("!") else "")
    for name, v in (("dpi", dpi), ("fontsize", fontsize)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0):
            raise ValueError(f"{where}: {name} must be a positive number, got {v!r}")
    return {"size": size, "dpi": dpi, "fontsize": fontsize}


def _slide_options(slides: dict) -> tuple:
    return slides.get("size"), slides.get("dpi"), slides.get("fontsize") or 11


_told = False


def _say_dot_is_missing() -> None:
    """Once per session, quietly: the picture is drawn without dot, and dot draws it better."""
    global _told
    if not _told:
        _told = True
        warnings.warn(
            "graphviz's dot is not installed: drawing with the pure-Python layout (grandalf). "
            "Install graphviz for a better layout, and for PNG / PDF (apt-get install graphviz, "
            "brew install graphviz or conda install graphviz).",
            GraphvizMissing,
            stacklevel=4,
        )


class GraphvizMissing(UserWarning):
    """The `dot` program is missing; pictures use the pure-Python layout."""


def _fallback_text(error, source: str) -> str:
    import graphviz

    head = INSTALL_HINT if isinstance(error, graphviz.ExecutableNotFound) else f"dot failed: {error}"
    return f"{head}\n\nDOT source:\n{source}"


def _fallback_svg(text: str, max_lines: int = 60) -> str:
    lines = text.splitlines()
    if len(lines) > max_lines:
        lines = lines[:max_lines] + ["..."]
    width = 9 * max(len(s) for s in lines) + 20
    height = 16 * len(lines) + 20
    rows = "".join(
        f'<text x="10" y="{20 + 16 * k}" xml:space="preserve">{html.escape(s)}</text>'
        for k, s in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="13">{rows}</svg>'
    )
