"""What the site's executed Markdown examples print to show a picture, as Jupyter would.

`html(obj)` gives the HTML for anything that displays itself in Jupyter (a graph, a
player, a matplotlib figure), using the object's own display protocol, so a page shows
what a notebook would.
"""

from __future__ import annotations

import html as _html
import io


def html(obj) -> str:
    if hasattr(obj, "savefig"):  # a matplotlib Figure
        buffer = io.StringIO()
        obj.savefig(buffer, format="svg", bbox_inches="tight")
        svg = buffer.getvalue()
        return svg[svg.index("<svg") :]
    bundle = obj._repr_mimebundle_() if hasattr(obj, "_repr_mimebundle_") else {}
    if isinstance(bundle, tuple):  # (data, metadata)
        bundle = bundle[0]
    for mime in ("image/svg+xml", "text/html"):
        if bundle.get(mime):
            return bundle[mime]
    if hasattr(obj, "_repr_html_"):
        return obj._repr_html_()
    if hasattr(obj, "_repr_svg_"):
        return obj._repr_svg_()
    return f"<pre>{_html.escape(repr(obj))}</pre>"
