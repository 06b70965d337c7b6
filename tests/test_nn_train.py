"""nn.data batching, seeding, nn.init formulas, loss input checks, fit / evaluate / History."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor
from nn.data import DataLoader
from nn.datasets import make_moons


# ------------------------------------------------------------------------------------ data
def test_batches_cover_every_sample_once_in_order():
    x, y = np.arange(10).reshape(10, 1), np.arange(10) * 2
    batches = list(DataLoader(x, y, batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]).ravel(), np.arange(10))
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(10) * 2)
    assert len(DataLoader(x, y, batch_size=4)) == 3


def test_drop_last_leaves_out_the_short_batch():
    loader = DataLoader(np.arange(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(b) for b in loader] == [4, 4]
    assert len(DataLoader(np.arange(8), batch_size=4, drop_last=True)) == 2


def test_seeded_shuffle_is_reproducible_keeps_pairs_and_changes_each_epoch():
    x = np.arange(100)
    a = DataLoader(x, x * 10, batch_size=10, shuffle=True, seed=3)
    b = DataLoader(x, x * 10, batch_size=10, shuffle=True, seed=3)
    epoch_a1 = np.concatenate([xb for xb, _ in a])
    epoch_a2 = np.concatenate([xb for xb, _ in a])
    epoch_b1 = np.concatenate([xb for xb, _ in b])
    np.testing.assert_array_equal(epoch_a1, epoch_b1)
    assert not np.array_equal(epoch_a1, epoch_a2)
    assert sorted(epoch_a1) == list(x)
    for xb, yb in a:
        np.testing.assert_array_equal(yb, xb * 10)


def test_shuffled_batches_are_the_rows_of_each_epochs_permutation_in_order():
    x = np.arange(21 * 4, dtype=np.float32).reshape(21, 4)
    y = np.arange(21) % 3
    rng = np.random.default_rng(5)  # the generator DataLoader(seed=5) draws its epochs from
    loader = DataLoader(x, y, batch_size=8, shuffle=True, seed=5)
    for _ in range(2):
        order = rng.permutation(21)
        for k, (xb, yb) in enumerate(loader):
            rows = order[8 * k : 8 * k + 8]
            np.testing.assert_array_equal(xb, x[rows])
            np.testing.assert_array_equal(yb, y[rows])
            assert xb.dtype == np.float32 and xb.flags["C_CONTIGUOUS"] and not np.shares_memory(xb, x)


def test_manual_seed_makes_weights_dropout_and_shuffles_reproducible():
    def run():
        nn.manual_seed(42)
        model = nn.Sequential(nn.Linear(3, 5), nn.Dropout(0.5), nn.Linear(5, 2))
        out = model(np.ones((4, 3), dtype=np.float32)).data
        order = next(iter(DataLoader(np.arange(20), batch_size=20, shuffle=True)))
        return model.state_dict(), out, order

    (sd1, out1, order1), (sd2, out2, order2) = run(), run()
    for k in sd1:
        np.testing.assert_array_equal(sd1[k], sd2[k])
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(order1, order2)


def test_explicit_generator_overrides_the_global_one():
    w1 = nn.Linear(4, 3, rng=np.random.default_rng(5)).weight.data
    nn.manual_seed(0)
    w2 = nn.Linear(4, 3, rng=np.random.default_rng(5)).weight.data
    np.testing.assert_array_equal(w1, w2)
    with pytest.raises(TypeError, match="numpy Generator"):
        nn.Linear(2, 2, rng=5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(arrays=(np.zeros(3), np.zeros(4))), r"different numbers of samples \[3, 4\]"),
        (dict(arrays=(np.zeros(3),), batch_size=0), "batch_size=0 must be a positive integer"),
        (dict(arrays=()), "give at least one array"),
        (dict(arrays=(np.float64(1.0),)), "is a scalar"),
    ],
)
def test_data_loader_errors(kwargs, message):
    arrays = kwargs.pop("arrays")
    with pytest.raises(ValueError, match=message):
        DataLoader(*arrays, **kwargs)


# ------------------------------------------------------------------------------------ init
def test_init_bounds_follow_the_formulas():
    w = np.zeros((30, 20))  # fan_in 20, fan_out 30
    nn.init.xavier_uniform_(w, rng=np.random.default_rng(0))
    assert np.abs(w).max() <= math.sqrt(6 / 50) and np.abs(w).max() > 0.9 * math.sqrt(6 / 50)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5), rng=np.random.default_rng(0))
    assert np.abs(w).max() <= 1 / math.sqrt(20)
    nn.init.uniform_(w, -0.1, 0.3)
    assert w.min() >= -0.1 and w.max() <= 0.3
    nn.init.constant_(w, 2.5)
    assert (w == 2.5).all()
    nn.init.zeros_(w)
    assert not w.any()
    nn.init.ones_(w)
    assert (w == 1).all()


def test_init_on_a_parameter_keeps_dtype_and_identity():
    p = nn.Parameter(np.zeros((4, 3), dtype=np.float32))
    data = p.data
    assert nn.init.normal_(p, 0, 1) is p
    assert p.dtype == np.float32 and p.data is data and p.data.any()


def test_init_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(np.zeros(3))
    with pytest.raises(ValueError, match="mode='fan_sideways'"):
        nn.init.kaiming_normal_(np.zeros((2, 2)), mode="fan_sideways")
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        nn.init.calculate_gain("gelu")


# ------------------------------------------------------------------------- loss input checks
def test_losses_refuse_silent_broadcasting():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: input shape"):
        nn.BCEWithLogitsLoss()(np.zeros((4, 1)), np.zeros(4))


def test_cross_entropy_target_errors_name_the_problem():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"target holds class 4, but the input has 4 classes \(0 to 3\)"):
        F.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="class -1"):
        F.cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match="must be integers, got dtype float64"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="target must be 3 class indices"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"input must be \(batch, classes\)"):
        F.cross_entropy(Tensor(np.zeros(4)), np.array([1]))
    with pytest.raises(ValueError, match="reduction='avg'"):
        nn.CrossEntropyLoss(reduction="avg")


def test_bce_refuses_values_outside_0_1_and_hinge_needs_signs():
    with pytest.raises(ValueError, match="apply sigmoid first"):
        F.binary_cross_entropy(Tensor(np.array([0.5, 1.5])), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="use 2 \\* y - 1"):
        F.hinge_loss(Tensor(np.array([0.5, -0.5])), np.array([0.0, 1.0]))


def test_bce_at_saturated_probabilities_is_finite_as_pytorch():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([0.0, 1.0, 1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 100.0, 100.0], atol=1e-12)  # PyTorch clamps log at -100
    loss.sum().backward()
    assert np.isfinite(p.grad).all()


# ------------------------------------------------------------------------------ fit / History
def moons(n=200, seed=0):
    x, y = make_moons(n_samples=n, noise=0.1, seed=seed)
    return x.astype(np.float32), y


def test_fit_learns_two_moons_and_records_history():
    nn.manual_seed(0)
    x, y = moons()
    xv, yv = moons(100, seed=1)
    model = nn.MLP([2, 16, 16, 2])
    opt = nn.optim.Adam(model.parameters(), lr=0.02)
    sched = nn.optim.StepLR(opt, step_size=10, gamma=0.5)
    h = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (x, y),
        epochs=30,
        val_data=(xv, yv),
        batch_size=20,
        seed=0,
        scheduler=sched,
        progress=False,
    )
    assert h.epochs == 30 and len(h.step_loss) == 300 and h.steps_per_epoch == [10] * 30
    assert h.train_acc[-1] > 0.95 and h.val_acc[-1] > 0.95
    assert h.train_loss[-1] < h.train_loss[0] / 5
    assert h.lr[:11] == [0.02] * 10 + [0.01] and h.lr[-1] == 0.02 * 0.25
    assert len(h.seconds) == len(h.val_seconds) == 30 and min(h.seconds) > 0 and min(h.val_seconds) > 0
    scores = nn.evaluate(model, nn.CrossEntropyLoss(), (xv, yv))
    assert scores["accuracy"] == pytest.approx(h.val_acc[-1])
    assert scores["loss"] == pytest.approx(h.val_loss[-1])
    assert "30 epochs, 300 steps" in repr(h)
    d = h.as_dict()
    assert set(d) == {*nn.History.FIELDS, "step_loss"} and d["lr"] == h.lr and d["lr"] is not h.lr


@pytest.mark.parametrize(
    "make_model, loss, targets",
    [
        (lambda: nn.MLP([2, 16, 1]), nn.BCEWithLogitsLoss(), lambda y: y.reshape(-1, 1).astype(np.float32)),
        (
            lambda: nn.MLP([2, 16, 1], output_activation="sigmoid"),
            nn.BCELoss(),
            lambda y: y.reshape(-1, 1).astype(np.float32),
        ),
        (
            lambda: nn.MLP([2, 16, 1]),
            nn.HingeLoss(),
            lambda y: (2.0 * y - 1).reshape(-1, 1).astype(np.float32),
        ),
        (lambda: nn.MLP([2, 16, 2], output_activation="log_softmax"), nn.NLLLoss(), lambda y: y),
        (lambda: nn.MLP([2, 16, 2]), F.cross_entropy, lambda y: np.eye(2, dtype=np.float32)[y]),
    ],
    ids=["bce-logits", "bce", "hinge", "nll", "cross-entropy-one-hot"],
)
def test_accuracy_is_tracked_for_every_classification_loss(make_model, loss, targets):
    nn.manual_seed(1)
    x, y = moons()
    model = make_model()
    h = nn.fit(
        model,
        loss,
        nn.optim.Adam(model.parameters(), lr=0.03),
        (x, targets(y)),
        epochs=15,
        batch_size=20,
        progress=False,
    )
    assert h.train_acc[-1] > 0.85
    assert nn.evaluate(model, loss, (x, targets(y)))["accuracy"] > 0.85


def test_regression_has_no_accuracy_and_max_steps_stops_mid_epoch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = nn.Linear(3, 1, dtype=np.float64)
    h = nn.fit(
        model,
        nn.MSELoss(),
        nn.optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=10,
        batch_size=16,
        max_steps=10,
        progress=False,
    )
    assert len(h.step_loss) == 10 and h.steps_per_epoch == [4, 4, 2] and h.train_acc == [None] * 3
    with pytest.raises(ValueError, match="cannot tell how to score"):
        nn.fit(
            model,
            nn.MSELoss(),
            nn.optim.SGD(model.parameters(), lr=0.1),
            (x, y),
            accuracy=True,
            progress=False,
        )


def test_progress_is_quiet_when_asked_or_not_in_a_terminal(capsys):
    x, y = moons(40)
    model = nn.MLP([2, 4, 2])
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, progress=False)
    nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2)  # pytest's capture is not a terminal
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, val_data=(x, y), progress=True)
    out = capsys.readouterr()
    assert "4/4" in out.err and "step" in out.err  # the bar, on stderr
    assert "epoch 2/2" in out.out and "val_acc" in out.out  # one line per epoch, on stdout


def test_history_plot_returns_a_figure_and_saves_png(tmp_path):
    pytest.importorskip("matplotlib")
    x, y = moons(100)
    model = nn.MLP([2, 8, 2])
    h = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        nn.optim.SGD(model.parameters(), lr=0.1),
        (x, y),
        epochs=3,
        val_data=(x, y),
        batch_size=10,
        progress=False,
    )
    fig = h.plot(tmp_path / "curves.png", smooth=5)
    assert type(fig).__name__ == "Figure" and len(fig.axes) == 2
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    regression = nn.History()
    regression.step_loss, regression.train_loss, regression.steps_per_epoch = [1.0, 0.5], [0.7], [2]
    regression.train_acc, regression.val_loss, regression.val_acc = [None], [None], [None]
    assert len(regression.plot().axes) == 1


def test_fit_rejects_unbatchable_data():
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="train_data must be \\(inputs, targets\\)"):
        nn.fit(
            model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), np.zeros((4, 2)), progress=False
        )


# ----------------------------------------------------------------------------- optimizer API
def test_optimizer_state_dict_round_trip_continues_identically():
    def setup():
        nn.manual_seed(2)
        model = nn.MLP([3, 4, 2], dtype=np.float64)
        return model, nn.optim.Adam(model.parameters(), lr=0.05, amsgrad=True)

    rng = np.random.default_rng(3)
    batches = [(rng.normal(size=(8, 3)), rng.integers(0, 2, 8)) for _ in range(6)]

    def train(model, opt, part):
        for x, y in part:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

    m1, o1 = setup()
    train(m1, o1, batches)
    m2, o2 = setup()
    train(m2, o2, batches[:3])
    saved_model, saved_opt = m2.state_dict(), o2.state_dict()
    m3, o3 = setup()
    m3.load_state_dict(saved_model)
    o3.load_state_dict(saved_opt)
    train(m3, o3, batches[3:])
    for k, v in m1.state_dict().items():
        np.testing.assert_array_equal(m3.state_dict()[k], v)
    assert o3.state_dict()["state"][0]["step"] == 6


def test_optimizer_errors_and_zero_grad():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="empty list of parameters"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        nn.optim.SGD(model.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr=-1 must be >= 0"):
        nn.optim.Adam(model.parameters(), lr=-1)
    with pytest.raises(ValueError, match="betas"):
        nn.optim.Adam(model.parameters(), betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="not a Tensor; pass model.parameters\\(\\)"):
        nn.optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        nn.optim.SGD(model.parameters() + model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="2 parameters in the state dict and 1 here"):
        nn.optim.SGD([model.weight], lr=0.1).load_state_dict(
            nn.optim.SGD(model.parameters(), lr=0.1).state_dict()
        )
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    model(np.ones((1, 2), dtype=np.float32)).sum().backward()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_step_skips_parameters_without_gradient_and_records_no_graph():
    model = nn.MLP([2, 3, 1])
    before = model.state_dict()
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model[2](np.ones((1, 3), dtype=np.float32)).sum().backward()  # only the last layer gets gradients
    opt.step()
    after = model.state_dict()
    np.testing.assert_array_equal(after["0.weight"], before["0.weight"])
    assert not np.array_equal(after["2.weight"], before["2.weight"])
    assert all(p.is_leaf and p.op == "" for p in model.parameters())


def test_step_after_forward_is_detected_by_backward():
    """The optimizer assigns .data, so a backward through a graph built before the update refuses."""
    model = nn.Linear(2, 1)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = np.ones((1, 2), dtype=np.float32)
    model(x).sum().backward()
    stale = model(x).sum()
    opt.step()
    with pytest.raises(RuntimeError, match="was assigned after the op ran"):
        stale.backward()


def test_mnist_bench_smoke_run():
    """bench/bench_mnist.py --quick: the three trainings run and agree (a guard against drift)."""
    import subprocess
    import sys
    from pathlib import Path

    from nn.datasets import DatasetError, load_mnist

    try:
        load_mnist()
    except DatasetError as exc:
        pytest.skip(f"MNIST is not available here: {exc}")
    script = Path(__file__).resolve().parents[1] / "bench" / "bench_mnist.py"
    result = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "nn.fit / numpy (median of 1)" in result.stdout and "nn.fit / numpy (best of 1)" in result.stdout
    gap = float(result.stdout.split("largest per-step loss difference, fit vs numpy: ")[1].split(";")[0])
    assert gap < 1e-4  # the same training: float32 rounding apart, the same losses step by step
