"""The layers, losses, containers, clipping and schedules of issue 12 against torch.nn: the
same weights (via state dicts, both ways), the same outputs and gradients in float64,
PyTorch's initialisation bounds, optimizer trajectories and learning-rate schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor
from tests.test_nn_torch import TOL, assert_layer_matches_torch, to_torch, twin

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
tnn = torch.nn
TF = torch.nn.functional
f64 = dict(dtype=np.float64)

# (id, our module, torch module, input shape)
LAYERS = [
    ("conv2d", lambda: nn.Conv2d(3, 4, 3, **f64), lambda: tnn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    (
        "conv2d-options",
        lambda: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False, **f64),
        lambda: tnn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False),
        (2, 4, 8, 7),
    ),
    (
        "conv2d-same",
        lambda: nn.Conv2d(2, 3, 4, padding="same", **f64),
        lambda: tnn.Conv2d(2, 3, 4, padding="same"),
        (2, 2, 5, 6),
    ),
    (
        "conv1d",
        lambda: nn.Conv1d(3, 5, 3, stride=2, padding=1, **f64),
        lambda: tnn.Conv1d(3, 5, 3, stride=2, padding=1),
        (2, 3, 9),
    ),
    (
        "conv-transpose2d",
        lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1, **f64),
        lambda: tnn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
        (2, 3, 4, 5),
    ),
    ("maxpool2d", lambda: nn.MaxPool2d(2), lambda: tnn.MaxPool2d(2), (2, 3, 7, 6)),
    ("maxpool2d-stride", lambda: nn.MaxPool2d(3, 2, 1), lambda: tnn.MaxPool2d(3, 2, 1), (2, 3, 7, 6)),
    ("avgpool2d", lambda: nn.AvgPool2d(3, 2, 1), lambda: tnn.AvgPool2d(3, 2, 1), (2, 3, 7, 6)),
    (
        "adaptive-avgpool2d",
        lambda: nn.AdaptiveAvgPool2d((2, 3)),
        lambda: tnn.AdaptiveAvgPool2d((2, 3)),
        (2, 3, 7, 6),
    ),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3, **f64), lambda: tnn.BatchNorm2d(3), (4, 3, 5, 4)),
    ("layernorm", lambda: nn.LayerNorm(6, **f64), lambda: tnn.LayerNorm(6), (3, 4, 6)),
    ("layernorm-2d", lambda: nn.LayerNorm((4, 6), **f64), lambda: tnn.LayerNorm((4, 6)), (3, 4, 6)),
    (
        "layernorm-no-bias",
        lambda: nn.LayerNorm(6, bias=False, **f64),
        lambda: tnn.LayerNorm(6, bias=False),
        (3, 6),
    ),
    ("groupnorm", lambda: nn.GroupNorm(2, 4, **f64), lambda: tnn.GroupNorm(2, 4), (3, 4, 5, 2)),
    ("gelu", nn.GELU, tnn.GELU, (4, 5)),
    ("gelu-tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), (4, 5)),
    ("silu", nn.SiLU, tnn.SiLU, (4, 5)),
    ("elu", lambda: nn.ELU(0.7), lambda: tnn.ELU(0.7), (4, 5)),
    ("softplus", lambda: nn.Softplus(2.0, 3.0), lambda: tnn.Softplus(2.0, 3.0), (4, 5)),
    ("hardtanh", lambda: nn.Hardtanh(-0.5, 0.8), lambda: tnn.Hardtanh(-0.5, 0.8), (4, 5)),
    ("dropout2d-eval", lambda: nn.Dropout2d(0.5).eval(), lambda: tnn.Dropout2d(0.5).eval(), (2, 3, 4, 4)),
    (
        "lenet",
        lambda: nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2, **f64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, **f64),
            nn.ReLU(),
        ),
        lambda: tnn.Sequential(
            tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.ReLU()
        ),
        (2, 1, 16, 16),
    ),
]


@pytest.mark.parametrize("row", LAYERS, ids=[r[0] for r in LAYERS])
def test_layer_forward_and_gradients_match_torch(row):
    assert_layer_matches_torch(row)


@pytest.mark.parametrize("row", [r for r in LAYERS if r[0].startswith("conv")], ids=lambda r: r[0])
def test_state_dict_from_torch_loads_into_ours(row):
    _, make_ours, make_theirs, shape = row
    torch.manual_seed(0)
    theirs = make_theirs().double()
    ours = make_ours()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).normal(size=shape)
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), **TOL)


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda: nn.Conv2d(3, 8, 5), 75),
        (lambda: nn.Conv1d(4, 6, 3, groups=2), 6),
        (lambda: nn.ConvTranspose2d(6, 4, 3), 36),
    ],
)
def test_conv_initialisation_is_pytorchs(make, fan_in):
    """kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias too."""
    nn.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound
    w = layer.weight.data
    assert np.abs(w).max() > 0.9 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.25 * bound


def test_batchnorm2d_running_statistics_and_eval_match_torch():
    ours = nn.BatchNorm2d(3, momentum=0.2, **f64)
    theirs = twin(ours, tnn.BatchNorm2d(3, momentum=0.2))
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.normal(1.0, 2.0, size=(5, 3, 4, 4))
        ours(x)
        theirs(torch.from_numpy(x))
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), **TOL, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=(2, 3, 4, 4))
    np.testing.assert_allclose(ours(x).data, theirs(torch.from_numpy(x)).detach().numpy(), **TOL)


def test_dropout2d_zeroes_whole_channels_and_scales():
    x = np.ones((50, 8, 3, 3))
    y = nn.Dropout2d(0.25)(x).data
    per_channel = y.reshape(50, 8, -1)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel == 1 / 0.75).all(axis=2))
    assert 0.15 < (per_channel[:, :, 0] == 0).mean() < 0.35


def test_embedding_matches_torch_with_padding_idx():
    ours = nn.Embedding(7, 3, padding_idx=2, **f64)
    assert np.all(ours.weight.data[2] == 0)
    theirs = twin(ours, tnn.Embedding(7, 3, padding_idx=2))
    idx = np.array([[1, 2, 6], [2, 0, 1]])
    out, out_t = ours(idx), theirs(torch.from_numpy(idx))
    up = np.random.default_rng(4).normal(size=out.shape)
    (out * up).sum().backward()
    (out_t * torch.from_numpy(up)).sum().backward()
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TOL)
    with pytest.raises(IndexError, match="index 7 is out of range for 7 embeddings"):
        ours(np.array([7]))


# ---------------------------------------------------------------------------------- losses
def _loss_case(ours_fn, theirs_fn, x, target, target_t=None):
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = ours_fn(xo, target)
    lt = theirs_fn(xt, torch.from_numpy(np.asarray(target)) if target_t is None else target_t)
    up = np.random.default_rng(9).normal(size=lo.shape)
    (lo * up).sum().backward()
    (lt * torch.from_numpy(up)).sum().backward()
    np.testing.assert_allclose(lo.data, lt.detach().numpy(), **TOL)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), **TOL)


RNG = np.random.default_rng(5)
X46, T46 = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6))
REGRESSION = [
    ("l1", nn.L1Loss(), tnn.L1Loss()),
    ("l1-sum", nn.L1Loss(reduction="sum"), tnn.L1Loss(reduction="sum")),
    ("smooth-l1", nn.SmoothL1Loss(), tnn.SmoothL1Loss()),
    (
        "smooth-l1-beta",
        nn.SmoothL1Loss(beta=0.4, reduction="none"),
        tnn.SmoothL1Loss(beta=0.4, reduction="none"),
    ),
    ("huber", nn.HuberLoss(delta=0.7), tnn.HuberLoss(delta=0.7)),
    ("huber-none", nn.HuberLoss(reduction="none"), tnn.HuberLoss(reduction="none")),
]


@pytest.mark.parametrize("row", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_match_torch(row):
    _, ours, theirs = row
    _loss_case(ours, theirs, X46, T46)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "mean", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logp = np.log(np.random.default_rng(6).dirichlet(np.ones(5), size=3))
    q = np.random.default_rng(7).dirichlet(np.ones(5), size=3)
    q[0, 1] = 0  # 0 log 0 = 0
    target = np.log(q + 1e-3) if log_target else q
    _loss_case(
        nn.KLDivLoss(reduction=reduction, log_target=log_target),
        tnn.KLDivLoss(reduction=reduction, log_target=log_target),
        logp,
        target,
    )


W5 = np.array([0.5, 2.0, 1.0, 0.3, 1.7])
CE = [
    ("weight", dict(weight=W5)),
    ("ignore-index", dict(ignore_index=1)),
    ("ignore-default", dict()),
    ("smoothing", dict(label_smoothing=0.2)),
    ("weight-smoothing-ignore", dict(weight=W5, label_smoothing=0.1, ignore_index=3)),
    ("weight-sum", dict(weight=W5, reduction="sum")),
    ("smoothing-none", dict(label_smoothing=0.3, ignore_index=0, reduction="none")),
]


@pytest.mark.parametrize("spatial", [(), (3, 2)], ids=["2d", "nd"])
@pytest.mark.parametrize("row", CE, ids=[r[0] for r in CE])
def test_cross_entropy_options_match_torch(row, spatial):
    _, kw = row
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 5) + spatial)
    y = rng.integers(0, 5, (6,) + spatial)
    y.flat[0] = y.flat[3] = kw.get("ignore_index", -100)  # ignored (by default -100)
    tkw = dict(kw, weight=torch.from_numpy(W5)) if "weight" in kw else kw
    _loss_case(nn.CrossEntropyLoss(**kw), tnn.CrossEntropyLoss(**tkw), x, y)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.25), dict(weight=W5, label_smoothing=0.1)])
def test_cross_entropy_probability_targets_nd_match_torch(kw):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 5, 2, 2))
    p = rng.dirichlet(np.ones(5), size=(3, 2, 2)).transpose(0, 3, 1, 2).copy()
    tkw = dict(kw, weight=torch.from_numpy(W5)) if "weight" in kw else kw
    _loss_case(nn.CrossEntropyLoss(**kw), tnn.CrossEntropyLoss(**tkw), x, p)


def test_cross_entropy_accepts_integer_label_tensors_and_keeps_weight_buffer():
    loss = nn.CrossEntropyLoss(weight=W5)
    assert list(loss.state_dict()) == list(tnn.CrossEntropyLoss(weight=torch.from_numpy(W5)).state_dict())
    labels = Tensor(np.array([0, 1]))  # integer data stays int64
    out = nn.CrossEntropyLoss()(Tensor(np.zeros((2, 5))), labels)
    np.testing.assert_allclose(out.data, math.log(5), rtol=1e-12)


@pytest.mark.parametrize("weight", [None, "w"])
def test_bce_with_logits_pos_weight_matches_torch(weight):
    rng = np.random.default_rng(11)
    x, t = rng.normal(size=(4, 3)) * 3, (rng.random((4, 3)) > 0.5).astype(float)
    pw = np.array([0.5, 2.0, 3.0])
    w = rng.random((4, 3)) if weight else None
    ours = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)
    theirs = tnn.BCEWithLogitsLoss(
        weight=None if w is None else torch.from_numpy(w), pos_weight=torch.from_numpy(pw)
    )
    _loss_case(ours, theirs, x, t)
    assert list(ours.state_dict()) == list(theirs.state_dict())


# --------------------------------------------------------------------- containers, clipping
def test_module_dict_and_parameter_list_state_dict_keys_match_torch():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleDict(
                {"conv": nn.Conv2d(1, 2, 3, **f64), "fc": nn.Linear(4, 2, dtype=np.float64)}
            )
            self.extra = nn.ParameterList([np.zeros(3), np.ones((2, 2))])

    class Theirs(tnn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = tnn.ModuleDict({"conv": tnn.Conv2d(1, 2, 3), "fc": tnn.Linear(4, 2)})
            self.extra = tnn.ParameterList([tnn.Parameter(torch.zeros(3)), tnn.Parameter(torch.ones(2, 2))])

    ours, theirs = Ours(), Theirs().double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(to_torch(ours.state_dict()))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.blocks) == ["conv", "fc"] and len(ours.extra) == 2 and "fc" in ours.blocks
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 6


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(12)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    ttotal = tnn.utils.clip_grad_norm_(theirs, 1.5, norm_type)
    np.testing.assert_allclose(total.data, ttotal.numpy(), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(ours, 0.1)
    tnn.utils.clip_grad_value_(theirs, 0.1)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------- schedules, training
SCHEDULES = [
    (
        "step",
        lambda o: nn.optim.lr_scheduler.StepLR(o, 2, 0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.5),
    ),
    (
        "multistep",
        lambda o: nn.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.3),
        lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.3),
    ),
    (
        "exponential",
        lambda o: nn.lr_scheduler.ExponentialLR(o, 0.8),
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.8),
    ),
    (
        "cosine",
        lambda o: nn.lr_scheduler.CosineAnnealingLR(o, 6, eta_min=0.01),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 6, eta_min=0.01),
    ),
    (
        "lambda",
        lambda o: nn.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    ),
    (
        "onecycle",
        lambda o: nn.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=10),
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=10),
    ),
    (
        "onecycle-linear-3phase",
        lambda o: nn.lr_scheduler.OneCycleLR(
            o, 0.4, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True
        ),
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, 0.4, epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True
        ),
    ),
]


@pytest.mark.parametrize("row", SCHEDULES, ids=[r[0] for r in SCHEDULES])
def test_schedule_trajectories_match_torch(row):
    _, ours_sched, theirs_sched = row
    p = nn.Parameter(np.ones(2))
    t = torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt = nn.optim.SGD([p], lr=0.1, momentum=0.9)
    topt = torch.optim.SGD([t], lr=0.1, momentum=0.9)
    s, ts = ours_sched(opt), theirs_sched(topt)
    for _ in range(9):
        p.grad, t.grad = np.full(2, 0.5), torch.full((2,), 0.5, dtype=torch.float64)
        opt.step()
        topt.step()
        s.step()
        ts.step()
        np.testing.assert_allclose(s.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        np.testing.assert_allclose(
            opt.param_groups[0]["momentum"], topt.param_groups[0]["momentum"], rtol=1e-12
        )
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12)


def test_onecycle_cycles_adams_beta1_as_torch():
    p, t = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt, topt = nn.optim.Adam([p], lr=0.1), torch.optim.Adam([t], lr=0.1)
    s = nn.lr_scheduler.OneCycleLR(opt, 0.3, total_steps=6)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, 0.3, total_steps=6)
    for _ in range(5):
        s.step()
        ts.step()
        assert opt.param_groups[0]["betas"][0] == pytest.approx(topt.param_groups[0]["betas"][0], rel=1e-12)


def test_reduce_lr_on_plateau_matches_torch():
    p, t = nn.Parameter(np.ones(2)), torch.ones(2, dtype=torch.float64, requires_grad=True)
    opt, topt = nn.optim.SGD([p], lr=1.0), torch.optim.SGD([t], lr=1.0)
    s = nn.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.1)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, factor=0.5, patience=1, cooldown=1, min_lr=0.1)
    for metric in [5, 4, 4, 4, 4, 3.9999, 3, 3, 3, 3, 3, 3, 3, 3]:
        s.step(metric)
        ts.step(metric)
        assert s.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)


def test_small_cnn_sgd_trajectory_matches_torch():
    nn.manual_seed(1)
    ours = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, **f64), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 2, 3, **f64)
    )
    theirs = twin(
        ours,
        tnn.Sequential(tnn.Conv2d(1, 3, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(3, 2, 3)),
    )
    opt = nn.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    rng = np.random.default_rng(13)
    for _ in range(4):
        x, y = rng.normal(size=(4, 1, 8, 8)), rng.integers(0, 2, 4)
        out = ours(x).reshape(4, 2, -1).mean(axis=2)
        opt.zero_grad()
        F.cross_entropy(out, y).backward()
        opt.step()
        tout = theirs(torch.from_numpy(x)).reshape(4, 2, -1).mean(dim=2)
        topt.zero_grad()
        TF.cross_entropy(tout, torch.from_numpy(y)).backward()
        topt.step()
    for key, value in ours.state_dict().items():
        np.testing.assert_allclose(
            value, theirs.state_dict()[key].numpy(), rtol=1e-10, atol=1e-12, err_msg=key
        )
