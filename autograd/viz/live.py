"""Training, live: record a run of a small net, one frame per recorded step (the graph of
that step's loss collapsed by module, the loss so far, the decision boundary on 2-D data),
and scrub through it with the player. In Jupyter the newest frame can update in place while
the loop runs (`live=True`).

    rec = record_training(model, X, y, every=5)
    for step in range(100):
        loss = ...; model.zero_grad(); loss.backward(); ...
        rec.record(loss, step)
    rec.player()      # or rec.save("run.html")

Frames are capped (`max_frames`, a few hundred at most): past it every other frame goes and
the recorder keeps one step in twice as many from then on.
"""

from __future__ import annotations

import math

import numpy as np

from .. import pass_trace
from ..engine import Node
from ..grad_mode import no_grad
from .svg import scene_of

BOUNDARY_PX, CURVE_H = 220, 110


class TrainingRecorder:
    """Frames of a training run; `player()` scrubs them, `save()` writes the page."""

    def __init__(self, model, X=None, y=None, *, every=1, max_frames=200, grid=24, max_nodes=150, live=False):
        if not (isinstance(every, int) and every >= 1):
            raise ValueError(f"record_training: every must be a whole number >= 1, got {every!r}")
        if not (isinstance(max_frames, int) and 2 <= max_frames <= 1000):
            raise ValueError(f"record_training: max_frames must be between 2 and 1000, got {max_frames!r}")
        self.model, self.every, self.max_frames, self.max_nodes = model, every, max_frames, max_nodes
        self.X = None if X is None else np.asarray(X, dtype=float)
        self.y = None if y is None else np.asarray(y, dtype=float).reshape(-1)
        if self.X is not None and (self.X.ndim != 2 or self.X.shape[1] != 2):
            raise ValueError(
                "record_training: the decision boundary needs 2-D inputs, X of shape (n, 2); "
                f"got {self.X.shape}"
            )
        self.grid = grid
        pass_trace.KEEP_TRACE = True  # each step's graph is drawn after its (plain) backward
        self.frames: list = []  # (Scene2D, step, loss, boundary or None)
        self.losses: list = []  # (step, loss) of every recorded call, kept for the curve
        self._calls = 0
        self._handle = None
        if live:
            self.show()

    def record(self, loss, step=None) -> None:
        """Call once per training step after `backward()`: keeps a frame every `every` calls."""
        if not isinstance(loss, Node):
            raise TypeError(f"record: expected the loss (a Value or Tensor), got {type(loss).__name__}")
        step = self._calls if step is None else step
        self._calls += 1
        value = float(np.asarray(loss.data).reshape(-1)[0])
        self.losses.append((step, value))
        if (self._calls - 1) % self.every:
            return
        if len(self.frames) >= self.max_frames:  # thin out: every other frame, half the rate
            self.frames = self.frames[::2]
            self.every *= 2
        from . import draw_graph

        g = draw_graph(loss, model=self.model, max_nodes=self.max_nodes, legend=False, title=f"step {step}")
        self.frames.append((scene_of(g), step, value, self._boundary()))
        if self._handle is not None:
            from IPython.display import HTML

            self._handle.update(HTML(self._latest_html()))

    # the pictures beside the graph ------------------------------------------------------
    def _boundary(self):
        """The model's score on a grid over the data (None without 2-D data)."""
        if self.X is None:
            return None
        lo, hi = self.X.min(0), self.X.max(0)
        pad = (hi - lo) * 0.1 + 1e-9
        xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], self.grid)
        ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], self.grid)
        pts = np.array([(a, b) for b in ys for a in xs])
        return (xs, ys, _scores(self.model, pts).reshape(self.grid, self.grid))

    def _side(self, k: int) -> str:
        """SVG of frame k's loss curve (up to its step) and decision boundary."""
        _, step, value, boundary = self.frames[k]
        w = BOUNDARY_PX
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 10}" height="{w + CURVE_H + 40}" '
                 'font-family="Helvetica, Arial, sans-serif" font-size="11">']  # fmt: skip
        parts.append(f'<text x="4" y="12">loss {value:.4f} at step {step}</text>')
        pts = [(s, v) for s, v in self.losses if s <= step]
        all_v = [v for _, v in self.losses] or [0.0]
        s_max = max(s for s, _ in self.losses) or 1
        v_lo, v_hi = min(all_v), max(all_v)
        span = (v_hi - v_lo) or 1.0
        line = " ".join(
            f"{4 + w * s / s_max:.1f},{18 + CURVE_H * (1 - (v - v_lo) / span):.1f}" for s, v in pts
        )
        parts.append(f'<rect x="4" y="18" width="{w}" height="{CURVE_H}" fill="none" stroke="#d1d5db"/>')
        parts.append(f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="1.5"/>')
        if boundary is not None:
            xs, ys, z = boundary
            top = CURVE_H + 30
            cell = w / len(xs)
            for r in range(len(ys)):
                for c in range(len(xs)):
                    t = math.tanh(float(z[r, c]))
                    colour = _blend(t)
                    y0 = top + (len(ys) - 1 - r) * cell
                    parts.append(
                        f'<rect x="{4 + c * cell:.1f}" y="{y0:.1f}" width="{cell + 0.5:.1f}" '
                        f'height="{cell + 0.5:.1f}" fill="{colour}"/>'
                    )
            sx = (w - 1) / (xs[-1] - xs[0])
            sy = (w - 1) / (ys[-1] - ys[0])
            for (a, b), label in zip(self.X, self.y):
                fill = "#1d4ed8" if label > 0 else "#b91c1c"
                parts.append(
                    f'<circle cx="{4 + (a - xs[0]) * sx:.1f}" cy="{top + w - (b - ys[0]) * sy:.1f}" r="3" '
                    f'fill="{fill}" stroke="white" stroke-width="0.8"/>'
                )
        parts.append("</svg>")
        return "".join(parts)

    def _latest_html(self) -> str:
        """The newest frame alone (laid out on its own: one layout call per update)."""
        if not self.frames:
            return "<i>no step recorded yet</i>"
        from .layout import positions
        from .svg import draw

        scene, step, value, _ = self.frames[-1]
        sizes = {k: b.size() for k, b in scene.boxes.items()}
        pos = positions(sizes, [(a, b) for a, b, _ in scene.edges], scene.rankdir)
        picture = draw(scene, pos, sizes).replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
        return (
            f'<div class="crp-frame"><div style="font-size:13px">step {step}: loss {value:.4f}</div>'
            f'<div style="display:flex;gap:12px;align-items:flex-start">{self._side(len(self.frames) - 1)}'
            f"{picture}</div></div>"
        )

    # playing -----------------------------------------------------------------------------
    def player(self, fps: float = 4.0, engine: str = "auto"):
        """The recorded run in the backprop player (one layout for every frame)."""
        from .play import Player

        if not self.frames:
            raise ValueError("record_training: nothing recorded yet; call record(loss) in the training loop")
        scenes = [f[0] for f in self.frames]
        captions = [f"step {step}: loss {value:.4f}" for _, step, value, _ in self.frames]
        sides = [self._side(k) for k in range(len(self.frames))]
        return Player(scenes, captions, [""] * len(scenes), scenes[0].rankdir, engine, fps, sides=sides)

    def save(self, filename, **kwargs):
        return self.player().save(filename, **kwargs)

    def show(self):
        """In Jupyter: a display that shows the newest frame as training runs."""
        from IPython.display import HTML, display

        self._handle = display(HTML(self._latest_html()), display_id=True)
        return self._handle

    def _repr_html_(self) -> str:
        return self.player()._repr_html_()

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<TrainingRecorder: {len(self.frames)} frames of {self._calls} steps, one every {self.every}>"


def record_training(model, X=None, y=None, **kwargs) -> TrainingRecorder:
    """A recorder for a training run of `model` (an `nn.scalar` or Tensor net): call its
    `record(loss, step)` after each backward. X, y: 2-D points and their labels (±1 or
    0/1) to draw the decision boundary. See TrainingRecorder."""
    return TrainingRecorder(model, X, y, **kwargs)


def _blend(t: float) -> str:
    """A score's colour: light blue for positive, light red for negative."""
    a = min(1.0, abs(t)) * 0.55
    r, g, b = (59, 130, 246) if t > 0 else (239, 68, 68)
    mix = [round(255 + (v - 255) * a) for v in (r, g, b)]
    return "#" + "".join(f"{v:02x}" for v in mix)


def _scores(model, pts: np.ndarray) -> np.ndarray:
    """The model's output on each point: one numpy pass for a micrograd-style MLP (layers
    of neurons with `w`, `b` and `nonlin`), a batched call for a Tensor model, else point by
    point with Values."""
    layers = getattr(model, "layers", None)
    if layers and all(hasattr(layer, "neurons") for layer in layers):
        h = pts
        for layer in layers:
            W = np.array([[w.data for w in n.w] for n in layer.neurons])
            b = np.array([n.b.data for n in layer.neurons])
            h = h @ W.T + b
            if getattr(layer.neurons[0], "nonlin", False):
                h = np.maximum(h, 0)
        return h[:, 0]
    from ..tensor import Tensor
    from ..value import Value

    with no_grad():
        try:
            out = model(Tensor(pts))
            return np.asarray(out.data, dtype=float).reshape(len(pts), -1)[:, 0]
        except Exception:  # not a Tensor model: one point at a time
            return np.array([float(model([Value(a), Value(b)]).data) for a, b in pts])
