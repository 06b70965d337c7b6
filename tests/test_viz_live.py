"""Training, live: micrograd's 2-16-16-1 MLP on moons (nn.scalar) recorded step by step,
then scrubbed with the player; a Tensor net too; frames are capped."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograd import Tensor, Value, record_training

nn = pytest.importorskip("nn")
from nn.datasets import make_moons  # noqa: E402
from nn.scalar import MLP  # noqa: E402


def hinge_step(model, X, y, lr):
    """micrograd's demo loss (mean SVM max-margin, labels ±1) and one SGD step."""
    scores = [model([Value(a), Value(b)]) for a, b in X]
    loss = sum((1 + -t * s).relu() for t, s in zip(y, scores)) * (1.0 / len(X))
    loss.label = "loss"
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss


def test_micrograd_mlp_on_moons_records_graph_loss_and_boundary(tmp_path):
    X, labels = make_moons(n_samples=16, noise=0.1, seed=0)
    y = labels * 2 - 1.0  # ±1, as micrograd's demo
    model = MLP(2, [16, 16, 1], seed=1)
    rec = record_training(model, X, y, every=2, grid=12)
    losses = []
    for step in range(8):
        loss = hinge_step(model, X, y, 0.05)
        rec.record(loss, step)
        losses.append(loss.data)
    assert len(rec) == 4 and repr(rec) == "<TrainingRecorder: 4 frames of 8 steps, one every 2>"
    p = rec.player()
    assert len(p) == 4 and p.captions[0] == f"step 0: loss {losses[0]:.4f}"
    assert p.captions[-1] == f"step 6: loss {losses[6]:.4f}"
    boxes = [set(re.findall(r'data-id="([^"]+)"', f)) for f in p.frames]
    assert len(boxes[0]) < 300 and all(b == boxes[0] for b in boxes)  # collapsed, one layout
    assert "layers.0" in p.frames[0] and "Neuron ×16" in p.frames[0]  # boxes by module
    side = p.sides[-1]
    assert side.count("<circle") == 16 and side.count("<rect") >= 12 * 12  # points and the grid
    assert f"loss {losses[6]:.4f} at step 6" in side
    # the boundary is the model's own score: the grid cell nearest a point has its sign
    xs, ys, z = rec.frames[-1][3]
    assert z.shape == (12, 12) and np.isfinite(z).all()
    html = p.html()
    assert "<script>" in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    path = rec.save(tmp_path / "run.html")
    assert path.read_text(encoding="utf-8") == path.read_text(encoding="utf-8") and path.stat().st_size > 1000


def test_frames_are_capped_by_thinning(monkeypatch):
    from autograd import pass_trace

    monkeypatch.setattr(pass_trace, "KEEP_TRACE", True)
    w = Tensor(np.array([[0.5], [-0.5]]), requires_grad=True, label="w")
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])
    rec = record_training(None, max_frames=4)
    for step in range(20):
        loss = ((Tensor(X) @ w) ** 2).mean()
        w.grad = None
        loss.backward()
        rec.record(loss, step)
        w.data -= 0.1 * w.grad
    assert len(rec) <= 4 and rec.every == 8  # 4 frames kept, then one step in 2, 4, 8
    steps = [f[1] for f in rec.frames]
    assert steps == sorted(steps) and steps[0] == 0
    p = rec.player()
    assert "values freed by backward" in p.frames[0]  # a Tensor graph after a plain backward


def test_tensor_model_boundary_and_bad_arguments():
    class Linear2:
        def __init__(self):
            self.w = Tensor(np.array([[1.0], [-1.0]]), requires_grad=True)

        def __call__(self, x):
            return x @ self.w

    model = Linear2()
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    rec = record_training(model, X, np.array([1.0, -1.0]), grid=5)
    loss = (model(Tensor(X)) ** 2).mean()
    loss.backward()
    rec.record(loss)
    xs, ys, z = rec.frames[0][3]
    assert z[0, -1] == pytest.approx(xs[-1] - ys[0])  # score x0 - x1 at the bottom right
    with pytest.raises(ValueError, match="every must be"):
        record_training(model, every=0)
    with pytest.raises(ValueError, match=r"X of shape \(n, 2\)"):
        record_training(model, np.zeros((3, 3)))
    with pytest.raises(TypeError, match="expected the loss"):
        rec.record(3.0)
    with pytest.raises(ValueError, match="nothing recorded yet"):
        record_training(model).player()


def test_live_display_updates_in_place(monkeypatch):
    """live=True: one display, updated with the newest frame at each recorded step."""
    display = pytest.importorskip("IPython.display")
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj.data)

    def fake_display(obj, display_id=False):
        shown.append(obj.data)
        return Handle()

    monkeypatch.setattr(display, "display", fake_display)
    model = MLP(2, [4, 1], seed=0)
    X = np.array([[0.5, 1.0], [-1.0, 0.2]])
    rec = record_training(model, X, np.array([1.0, -1.0]), live=True, grid=4)
    assert shown == ["<i>no step recorded yet</i>"]
    for step in range(3):
        rec.record(hinge_step(model, X, np.array([1.0, -1.0]), 0.1), step)
    assert len(updates) == 3 and "step 2" in updates[-1] and 'class="crp-frame"' in updates[-1]
