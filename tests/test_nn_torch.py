"""nn against PyTorch (float64, the same initial weights via state dicts): layer outputs and
gradients, losses, optimizer trajectories, schedules and state-dict interop both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, grad

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = dict(rtol=1e-10, atol=1e-12)


def to_torch(state: dict) -> dict:
    return {k: torch.from_numpy(np.array(v)) for k, v in state.items()}


def twin(ours: nn.Module, theirs):
    """Give the torch module our weights (chainrule -> torch state dict) in float64."""
    theirs = theirs.double()
    theirs.load_state_dict(to_torch(ours.state_dict()))
    return theirs


# ------------------------------------------------------------------------- layers: one table
# (id, our module, torch module, input shape)
LAYERS = [
    ("linear", lambda: nn.Linear(5, 3, dtype=np.float64), lambda: tnn.Linear(5, 3), (4, 5)),
    (
        "linear-no-bias",
        lambda: nn.Linear(5, 3, bias=False, dtype=np.float64),
        lambda: tnn.Linear(5, 3, bias=False),
        (4, 5),
    ),
    ("linear-batched", lambda: nn.Linear(5, 3, dtype=np.float64), lambda: tnn.Linear(5, 3), (2, 4, 5)),
    ("relu", nn.ReLU, tnn.ReLU, (4, 5)),
    ("sigmoid", nn.Sigmoid, tnn.Sigmoid, (4, 5)),
    ("tanh", nn.Tanh, tnn.Tanh, (4, 5)),
    ("identity", nn.Identity, tnn.Identity, (4, 5)),
    ("leaky-relu", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2), (4, 5)),
    ("softmax", lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1), (4, 5)),
    ("softmax-dim0", lambda: nn.Softmax(dim=0), lambda: tnn.Softmax(dim=0), (4, 5)),
    ("log-softmax", lambda: nn.LogSoftmax(dim=1), lambda: tnn.LogSoftmax(dim=1), (4, 5)),
    ("dropout-eval", lambda: nn.Dropout(0.5).eval(), lambda: tnn.Dropout(0.5).eval(), (4, 5)),
    ("dropout-p0", lambda: nn.Dropout(0.0), lambda: tnn.Dropout(0.0), (4, 5)),
    ("batchnorm-2d", lambda: nn.BatchNorm1d(5, dtype=np.float64), lambda: tnn.BatchNorm1d(5), (6, 5)),
    ("batchnorm-3d", lambda: nn.BatchNorm1d(3, dtype=np.float64), lambda: tnn.BatchNorm1d(3), (4, 3, 5)),
    (
        "batchnorm-no-affine",
        lambda: nn.BatchNorm1d(5, affine=False, dtype=np.float64),
        lambda: tnn.BatchNorm1d(5, affine=False),
        (6, 5),
    ),
    (
        "batchnorm-cumulative",
        lambda: nn.BatchNorm1d(5, momentum=None, dtype=np.float64),
        lambda: tnn.BatchNorm1d(5, momentum=None),
        (6, 5),
    ),
    (
        "mlp-relu",
        lambda: nn.MLP([5, 7, 3], dtype=np.float64),
        lambda: tnn.Sequential(tnn.Linear(5, 7), tnn.ReLU(), tnn.Linear(7, 3)),
        (4, 5),
    ),
    (
        "mlp-tanh-sigmoid",
        lambda: nn.MLP([5, 6, 4, 2], activation="tanh", output_activation="sigmoid", dtype=np.float64),
        lambda: tnn.Sequential(
            tnn.Linear(5, 6), tnn.Tanh(), tnn.Linear(6, 4), tnn.Tanh(), tnn.Linear(4, 2), tnn.Sigmoid()
        ),
        (4, 5),
    ),
]


@pytest.mark.parametrize("row", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_forward_and_gradients_match_torch(row):
    assert_layer_matches_torch(row)


def assert_layer_matches_torch(row) -> None:
    """Same weights in both libraries: outputs, input and parameter gradients under a random
    upstream gradient, and the state dict after (its keys in torch's order, and the buffers,
    such as BatchNorm's running statistics, moved the same way)."""
    _, make_ours, make_theirs, shape = row
    nn.manual_seed(0)
    ours = make_ours()
    theirs = twin(ours, make_theirs())
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xo), theirs(xt)
    weights = rng.normal(size=out.shape)  # a random upstream gradient
    (out * weights).sum().backward()
    (out_t * torch.from_numpy(weights)).sum().backward()

    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), **TOL)
    theirs_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), **TOL, err_msg=name)
    their_state = theirs.state_dict()
    assert list(ours.state_dict()) == list(their_state)
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, their_state[key].numpy(), **TOL, err_msg=key)


def test_batchnorm_running_statistics_and_eval_mode_match_torch():
    ours = nn.BatchNorm1d(4, momentum=0.3, dtype=np.float64)
    theirs = twin(ours, tnn.BatchNorm1d(4, momentum=0.3))
    rng = np.random.default_rng(2)
    for _ in range(5):
        x = rng.normal(2.0, 3.0, size=(8, 4))
        ours(x)
        theirs(torch.from_numpy(x))
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), **TOL, err_msg=key)
    assert ours.num_batches_tracked == 5
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(3, 4))
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xo), theirs(xt)
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOL)


def test_second_order_gradients_through_parameters_match_torch():
    nn.manual_seed(3)
    ours = nn.MLP([3, 4, 2], activation="tanh", dtype=np.float64)
    theirs = twin(ours, tnn.Sequential(tnn.Linear(3, 4), tnn.Tanh(), tnn.Linear(4, 2)))
    x = np.random.default_rng(3).normal(size=(5, 3))
    w = ours[0].weight
    (g,) = grad(ours(x).tanh().sum(), [w], create_graph=True)
    (gg,) = grad((g * g).sum(), [w])
    wt = theirs[0].weight
    (gt,) = torch.autograd.grad(torch.tanh(theirs(torch.from_numpy(x))).sum(), [wt], create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), [wt])
    np.testing.assert_allclose(g.data, gt.detach().numpy(), **TOL)
    np.testing.assert_allclose(gg.data, ggt.numpy(), **TOL)


@pytest.mark.parametrize("targets", ["indices", "probabilities"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_second_order_gradients_through_cross_entropy_match_torch(targets, reduction):
    rng = np.random.default_rng(16)
    z = rng.normal(size=(5, 4))
    t = rng.integers(0, 4, 5) if targets == "indices" else _probs(rng, 5, 4) * rng.uniform(0.5, 2, (5, 1))
    zo = Tensor(z, requires_grad=True)
    (g,) = grad(F.cross_entropy(zo, t, reduction=reduction), [zo], create_graph=True)
    (gg,) = grad((g * g * g).sum(), [zo])
    zt = torch.tensor(z, requires_grad=True)
    (gt,) = torch.autograd.grad(
        TF.cross_entropy(zt, torch.from_numpy(t), reduction=reduction), [zt], create_graph=True
    )
    (ggt,) = torch.autograd.grad((gt * gt * gt).sum(), [zt])
    np.testing.assert_allclose(g.data, gt.detach().numpy(), **TOL)
    np.testing.assert_allclose(gg.data, ggt.numpy(), **TOL)


# --------------------------------------------------------------------------- losses: one table
def _logits(rng, n=6, c=4):
    return rng.normal(scale=2.0, size=(n, c))


def _classes(rng, n=6, c=4):
    return rng.integers(0, c, size=n)


def _probs(rng, n=6, c=4):
    p = rng.random((n, c))
    return p / p.sum(axis=1, keepdims=True)


def _unit(rng, shape=(6, 3)):
    return rng.uniform(0.02, 0.98, size=shape)


def _signs(rng, shape=(6,)):
    return rng.choice([-1.0, 1.0], size=shape)


# (id, ours, torch reference, input sampler, target sampler)
LOSSES = [
    ("mse", F.mse_loss, TF.mse_loss, lambda r: r.normal(size=(6, 3)), lambda r: r.normal(size=(6, 3))),
    ("cross-entropy-indices", F.cross_entropy, TF.cross_entropy, _logits, _classes),
    ("cross-entropy-probabilities", F.cross_entropy, TF.cross_entropy, _logits, _probs),
    ("cross-entropy-one-hot", F.cross_entropy, TF.cross_entropy, _logits, lambda r: np.eye(4)[_classes(r)]),
    ("cross-entropy-large-logits", F.cross_entropy, TF.cross_entropy, lambda r: 800 * _logits(r), _classes),
    ("nll", F.nll_loss, TF.nll_loss, lambda r: np.log(_probs(r)), _classes),
    ("bce", F.binary_cross_entropy, TF.binary_cross_entropy, _unit, lambda r: r.random((6, 3))),
    (
        "bce-with-logits",
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        lambda r: r.normal(scale=3, size=(6, 3)),
        lambda r: r.random((6, 3)),
    ),
    (
        "bce-with-logits-extreme",
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        lambda r: np.array([0.0, 0.0, 40.0, -40.0, 750.0, -750.0]),
        lambda r: np.array([1.0, 0.3, 0.0, 1.0, 0.0, 1.0]),
    ),
    (
        "hinge-binary",
        F.hinge_loss,
        lambda x, t, reduction: _reduce_t(torch.clamp(1 - t * x, min=0), reduction),
        lambda r: r.normal(size=6),
        _signs,
    ),
    ("hinge-multiclass", F.hinge_loss, TF.multi_margin_loss, _logits, _classes),
]


def _reduce_t(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("row", LOSSES, ids=[r[0] for r in LOSSES])
def test_loss_value_and_gradient_match_torch(row, reduction):
    _, ours, theirs, make_input, make_target = row
    rng = np.random.default_rng(4)
    x, t = make_input(rng), make_target(rng)
    xo = Tensor(x, requires_grad=True)
    loss = ours(xo, t, reduction=reduction)
    upstream = rng.normal(size=loss.shape)
    (loss * upstream).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    loss_t = theirs(xt, torch.from_numpy(t), reduction=reduction)
    (loss_t * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), **TOL)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nn.MSELoss(), tnn.MSELoss()),
        (nn.CrossEntropyLoss(reduction="sum"), tnn.CrossEntropyLoss(reduction="sum")),
        (nn.NLLLoss(), tnn.NLLLoss()),
        (nn.BCELoss(), tnn.BCELoss()),
        (nn.BCEWithLogitsLoss(reduction="sum"), tnn.BCEWithLogitsLoss(reduction="sum")),
        (nn.HingeLoss(margin=0.5), tnn.MultiMarginLoss(margin=0.5)),
    ],
    ids=lambda m: type(m).__name__,
)
def test_loss_modules_match_torch_modules(ours, theirs):
    rng = np.random.default_rng(5)
    probs = _probs(rng)
    if isinstance(ours, (nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss)):
        x, t = probs, rng.random(probs.shape)
    else:
        x, t = (np.log(probs) if isinstance(ours, nn.NLLLoss) else 3 * probs), _classes(rng)
    assert ours(x, t).item() == pytest.approx(
        theirs(torch.from_numpy(x), torch.from_numpy(t)).item(), rel=1e-12
    )


def test_float32_losses_stay_float32_and_agree_with_torch():
    rng = np.random.default_rng(6)
    x = _logits(rng).astype(np.float32)
    y = _classes(rng)
    xo = Tensor(x, requires_grad=True)
    loss = F.cross_entropy(xo, y)
    loss.backward()
    assert loss.dtype == np.float32 and xo.grad.dtype == np.float32
    xt = torch.tensor(x, requires_grad=True)
    TF.cross_entropy(xt, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert F.mse_loss(xo, x.astype(np.float64) * 2).dtype == np.float32  # a float64 target does not upcast


# ------------------------------------------------------------------- optimizers and schedules
OPTIMIZERS = [
    ("sgd", lambda p: nn.optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (
        "sgd-momentum",
        lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    ),
    (
        "sgd-dampening-wd",
        lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    ),
    (
        "sgd-nesterov",
        lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    ),
    ("adam", lambda p: nn.optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    (
        "adam-wd-amsgrad",
        lambda p: nn.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1, amsgrad=True),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.1, amsgrad=True),
    ),
    ("adamw", lambda p: nn.optim.AdamW(p, lr=0.01), lambda p: torch.optim.AdamW(p, lr=0.01)),
    (
        "adamw-amsgrad",
        lambda p: nn.optim.AdamW(p, lr=0.02, weight_decay=0.3, amsgrad=True),
        lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.3, amsgrad=True),
    ),
    ("rmsprop", lambda p: nn.optim.RMSprop(p, lr=0.01), lambda p: torch.optim.RMSprop(p, lr=0.01)),
    (
        "rmsprop-centered-momentum-wd",
        lambda p: nn.optim.RMSprop(
            p, lr=0.01, alpha=0.9, eps=1e-2, momentum=0.5, centered=True, weight_decay=0.01
        ),
        lambda p: torch.optim.RMSprop(
            p, lr=0.01, alpha=0.9, eps=1e-2, momentum=0.5, centered=True, weight_decay=0.01
        ),
    ),
]


def _pair(seed=7):
    nn.manual_seed(seed)
    ours = nn.MLP([4, 8, 3], activation="tanh", dtype=np.float64)
    theirs = twin(ours, tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 3)))
    return ours, theirs


def _batches(n_steps, seed=8):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(10, 4)), rng.integers(0, 3, size=10)) for _ in range(n_steps)]


def _train(model, optimizer, batches, torch_side, scheduler=None):
    trajectory = []
    for x, y in batches:
        optimizer.zero_grad()
        if torch_side:
            TF.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        else:
            F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        state = model.state_dict()
        trajectory.append({k: v.numpy().copy() for k, v in state.items()} if torch_side else state)
    return trajectory


def _assert_same_trajectory(ours, theirs):
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for key in a:
            np.testing.assert_allclose(
                a[key], b[key], rtol=1e-9, atol=1e-12, err_msg=f"step {step + 1}, {key}"
            )


@pytest.mark.parametrize("row", OPTIMIZERS, ids=[r[0] for r in OPTIMIZERS])
def test_optimizer_steps_match_torch(row):
    _, make_ours, make_theirs = row
    ours, theirs = _pair()
    batches = _batches(6)
    a = _train(ours, make_ours(ours.parameters()), batches, torch_side=False)
    b = _train(theirs, make_theirs(theirs.parameters()), batches, torch_side=True)
    _assert_same_trajectory(a, b)


@pytest.mark.parametrize(
    "make",
    [
        lambda opt, lib: lib.StepLR(opt, step_size=2, gamma=0.5),
        lambda opt, lib: lib.LambdaLR(opt, lambda epoch: 1.0 / (1 + epoch)),
    ],
    ids=["step-lr", "lambda-lr"],
)
def test_schedules_match_torch(make):
    ours, theirs = _pair()
    batches = _batches(7)
    opt_o = nn.optim.SGD(ours.parameters(), lr=0.2, momentum=0.5)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.2, momentum=0.5)
    sched_o, sched_t = make(opt_o, nn.optim), make(opt_t, torch.optim.lr_scheduler)
    a = _train(ours, opt_o, batches, False, sched_o)
    b = _train(theirs, opt_t, batches, True, sched_t)
    _assert_same_trajectory(a, b)
    assert sched_o.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-15)


def test_param_groups_with_their_own_learning_rates_match_torch():
    ours, theirs = _pair()
    batches = _batches(4)
    opt_o = nn.optim.Adam(
        [{"params": ours[0].parameters(), "lr": 0.05}, {"params": ours[2].parameters()}], lr=0.01
    )
    opt_t = torch.optim.Adam(
        [{"params": theirs[0].parameters(), "lr": 0.05}, {"params": theirs[2].parameters()}], lr=0.01
    )
    _assert_same_trajectory(_train(ours, opt_o, batches, False), _train(theirs, opt_t, batches, True))


# ------------------------------------------------------------------------ state-dict interop
def test_state_dict_keys_match_torch_for_every_layer_kind():
    nn.manual_seed(9)
    ours = nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 2, bias=False)
    )
    theirs = tnn.Sequential(
        tnn.Linear(3, 4), tnn.BatchNorm1d(4), tnn.ReLU(), tnn.Dropout(0.1), tnn.Linear(4, 2, bias=False)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in ours.state_dict().items():
        assert value.shape == tuple(theirs.state_dict()[key].shape), key
        assert value.dtype == theirs.state_dict()[key].numpy().dtype, key  # float32 and int64, as torch


def test_torch_state_dict_loads_into_chainrule_and_gives_the_same_outputs():
    torch.manual_seed(0)
    theirs = tnn.Sequential(tnn.Linear(6, 5), tnn.BatchNorm1d(5), tnn.Tanh(), tnn.Linear(5, 2)).double()
    x = np.random.default_rng(10).normal(size=(7, 6))
    theirs.train()
    theirs(torch.from_numpy(x))  # move the running statistics away from their defaults
    ours = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2)).double()
    result = ours.load_state_dict(theirs.state_dict())  # torch tensors, loaded as they are
    assert result.missing_keys == [] and result.unexpected_keys == []
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), **TOL)
    assert int(ours[1].num_batches_tracked) == 1


def test_chainrule_state_dict_loads_into_torch_float32_default_model():
    nn.manual_seed(11)
    ours = nn.MLP([8, 16, 4])  # float32 by default, like torch
    theirs = tnn.Sequential(tnn.Linear(8, 16), tnn.ReLU(), tnn.Linear(16, 4))
    theirs.load_state_dict(to_torch(ours.state_dict()))
    x = np.random.default_rng(12).normal(size=(3, 8)).astype(np.float32)
    np.testing.assert_allclose(
        ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_saved_file_loads_into_torch_and_back(tmp_path):
    nn.manual_seed(13)
    ours = nn.MLP([3, 5, 2], dtype=np.float64)
    path = ours.save(tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as f:
        theirs = tnn.Sequential(tnn.Linear(3, 5), tnn.ReLU(), tnn.Linear(5, 2)).double()
        theirs.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    back = nn.MLP([3, 5, 2], dtype=np.float64)
    back.load_state_dict(theirs.state_dict())
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)


# ------------------------------------------------------------------------------ initialisation
@pytest.mark.parametrize(
    "name, param",
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(
        tnn.init.calculate_gain(name, param), rel=1e-15
    )


def test_linear_default_init_has_torchs_distribution():
    """torch: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); compare bounds and variance."""
    fan_in = 400
    ours = nn.Linear(fan_in, 300, dtype=np.float64).weight.data
    theirs = tnn.Linear(fan_in, 300).weight.detach().double().numpy()
    bound = 1 / math.sqrt(fan_in)
    for w in (ours, theirs):
        assert np.abs(w).max() <= bound
        assert w.var() == pytest.approx(bound**2 / 3, rel=0.02)


@pytest.mark.parametrize(
    "ours, theirs, expected_var",
    [
        (
            lambda w: nn.init.xavier_uniform_(w, gain=2.0),
            lambda w: tnn.init.xavier_uniform_(w, gain=2.0),
            4 * 2 / 500,
        ),
        (nn.init.xavier_normal_, tnn.init.xavier_normal_, 2 / 500),
        (
            lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"),
            lambda w: tnn.init.kaiming_uniform_(w, nonlinearity="relu"),
            2 / 200,
        ),
        (
            lambda w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
            lambda w: tnn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
            2 / 300,
        ),
    ],
    ids=["xavier-uniform", "xavier-normal", "kaiming-uniform", "kaiming-normal-fan-out"],
)
def test_initialisers_have_torchs_variance(ours, theirs, expected_var):
    w = nn.Parameter(np.zeros((300, 200)))  # fan_in 200, fan_out 300
    ours(w)
    t = torch.zeros(300, 200, dtype=torch.float64)
    theirs(t)
    assert w.data.var() == pytest.approx(expected_var, rel=0.03)
    assert t.var().item() == pytest.approx(expected_var, rel=0.03)
    assert w.data.var() == pytest.approx(t.var().item(), rel=0.05)


# ----------------------------------------------------------------------- a whole training run
def test_fit_trains_exactly_like_a_torch_loop():
    ours, theirs = _pair(14)
    rng = np.random.default_rng(15)
    x, y = rng.normal(size=(50, 4)), rng.integers(0, 3, size=50)
    history = nn.fit(
        ours,
        nn.CrossEntropyLoss(),
        nn.optim.SGD(ours.parameters(), lr=0.3, momentum=0.9),
        (x, y),
        epochs=3,
        batch_size=16,
        shuffle=False,
        progress=False,
    )
    opt = torch.optim.SGD(theirs.parameters(), lr=0.3, momentum=0.9)
    losses = []
    for _ in range(3):
        for i in range(0, 50, 16):
            opt.zero_grad()
            loss = TF.cross_entropy(theirs(torch.from_numpy(x[i : i + 16])), torch.from_numpy(y[i : i + 16]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(history.step_loss, losses, rtol=1e-10)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-9, atol=1e-12)
