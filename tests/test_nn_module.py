"""Module: registration, PyTorch-style names, containers, modes, state dicts, .npz files and
every way a load can fail (each leaves the model unchanged)."""

from __future__ import annotations

import copy
import os
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.module import StateDictError


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.register_buffer("count", np.zeros((), dtype=np.int64))
        self.note = "not registered"
        self.plain = Tensor([1.0, 2.0])  # a plain Tensor is not a parameter (as in PyTorch)

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Block(), nn.ReLU(), nn.Linear(4, 2))
        self.heads = nn.ModuleList([nn.Linear(2, 1), nn.Linear(2, 3)])

    def forward(self, x):
        h = self.body(x)
        return [head(h) for head in self.heads]


NET_KEYS = [
    "body.0.scale",
    "body.0.count",
    "body.0.fc.weight",
    "body.0.fc.bias",
    "body.2.weight",
    "body.2.bias",
    "heads.0.weight",
    "heads.0.bias",
    "heads.1.weight",
    "heads.1.bias",
]


def snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_unchanged(model, before):
    after = model.state_dict()
    assert list(after) == list(before)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)
        assert after[k].dtype == before[k].dtype


# ----------------------------------------------------------------------------- registration
def test_parameters_and_submodules_register_in_assignment_order_with_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [k for k in NET_KEYS if not k.endswith("count")]
    assert len(net.parameters()) == 9
    assert list(net.state_dict()) == NET_KEYS  # PyTorch's order: own params, own buffers, children
    assert [n for n, _ in net.named_modules()] == [
        "",
        "body",
        "body.0",
        "body.0.fc",
        "body.1",
        "body.2",
        "heads",
        "heads.0",
        "heads.1",
    ]
    assert [n for n, _ in net.named_buffers()] == ["body.0.count"]
    assert "note" not in dict(net.named_parameters()) and net.body[0].note == "not registered"
    assert net.num_parameters() == 4 + 12 + 4 + 8 + 2 + 2 + 1 + 6 + 3


def test_parameter_is_a_leaf_tensor_that_requires_grad_and_keeps_float32():
    p = nn.Parameter(np.ones((2, 2), dtype=np.float32))
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter([1.0, 2.0]).dtype == np.float64
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        nn.Parameter([1, 2])  # integers stay int64, as torch.nn.Parameter(torch.tensor([1, 2])) refuses
    assert "Parameter containing" in repr(p)


def test_shared_parameter_is_listed_once_but_every_name_is_in_the_state_dict():
    a = nn.Linear(2, 2)
    model = nn.Sequential(a, nn.Tanh(), a)
    assert len(model.parameters()) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_reassigning_and_deleting_attributes():
    m = nn.Linear(2, 3)
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="'weight' is a parameter; assign a Parameter"):
        m.weight = np.zeros((3, 2))
    m.weight = nn.Parameter(np.zeros((3, 2)))
    assert m.weight.data.sum() == 0
    net = Net()
    net.body = nn.Linear(3, 2)  # a submodule replaced by another
    assert [n for n, _ in net.named_children()] == ["body", "heads"]
    del net.heads
    assert [n for n, _ in net.named_children()] == ["body"]
    with pytest.raises(AttributeError, match="has no attribute 'heads'"):
        getattr(net, "heads")  # noqa: B009
    with pytest.raises(TypeError, match="'body' is a submodule; assign a Module"):
        net.body = 5


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="call super\\(\\).__init__\\(\\) first"):
        Broken()


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="define forward"):
        nn.Module()(1)


def test_register_helpers_validate_names_and_kinds():
    m = nn.Module()
    with pytest.raises(KeyError, match="without '.'"):
        m.register_parameter("a.b", nn.Parameter([1.0]))
    with pytest.raises(TypeError, match="must be a Parameter"):
        m.register_parameter("w", np.ones(2))
    with pytest.raises(TypeError, match="must be a Module"):
        m.add_module("sub", 3)
    with pytest.raises(TypeError, match="must hold numbers"):
        m.register_buffer("b", np.array(["x"]))


# ------------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh()]
    seq = nn.Sequential(*layers)
    assert len(seq) == 4 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[3]
    tail = seq[2:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[2:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]  # slices keep their names, as PyTorch
    x = np.ones((5, 2), dtype=np.float32)
    np.testing.assert_allclose(seq(x).data, seq[2:](seq[:2](x)).data)
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        seq[4]
    with pytest.raises(TypeError, match="must be integers or slices"):
        seq["0"]
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    seq.append(nn.Identity())
    assert len(seq) == 5
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_sequential_from_ordered_dict_uses_its_names():
    from collections import OrderedDict

    seq = nn.Sequential(
        OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))])
    )
    assert list(seq.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert seq.hidden is seq[0]


def test_module_list_registers_its_entries():
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.Linear(2, 3)).extend([nn.ReLU()])
    assert len(ml) == 3 and isinstance(ml[-1], nn.ReLU)
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(ml[:2]) == 2
    with pytest.raises(NotImplementedError):
        ml(1)


def test_mlp_layout_and_activations():
    m = nn.MLP([4, 8, 8, 2], activation="tanh", output_activation=nn.Sigmoid)
    assert [type(x).__name__ for x in m] == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    assert m[1] is not m[3]  # one activation module per slot
    assert [type(x).__name__ for x in nn.MLP([3, 2])] == ["Linear"]
    assert isinstance(nn.MLP([3, 4, 2], activation=nn.LeakyReLU(0.2))[1], nn.LeakyReLU)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        nn.MLP([3])


def test_linear_rejects_wrong_input_width_naming_the_shapes():
    with pytest.raises(ValueError, match=r"Linear\(784 -> 50\): input of shape \(2, 783\).*expected 784"):
        nn.Linear(784, 50)(np.zeros((2, 783), dtype=np.float32))


# ------------------------------------------------------------------------------ modes, grads
def test_train_and_eval_reach_every_submodule():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_dropout_scales_in_training_and_is_identity_in_eval():
    nn.manual_seed(0)
    d = nn.Dropout(0.25)
    x = np.ones((200, 50))
    y = d(x).data
    assert set(np.unique(y)) == {0.0, 1 / 0.75}
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(d.eval()(x).data, x)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, 0 * x)
    with pytest.raises(ValueError, match="must be in \\[0, 1\\]"):
        nn.Dropout(1.5)


def test_zero_grad_clears_every_parameter():
    net = nn.MLP([3, 4, 2])
    net(np.ones((2, 3), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_double_and_float_cast_parameters_and_float_buffers():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).double()
    sd = net.state_dict()
    assert sd["0.weight"].dtype == np.float64 and sd["1.running_mean"].dtype == np.float64
    assert sd["1.num_batches_tracked"].dtype == np.int64
    assert net.float().state_dict()["0.weight"].dtype == np.float32


def test_repr_is_a_tree_with_parameter_counts():
    text = repr(nn.MLP([784, 50, 10]))
    assert text.splitlines() == [
        "MLP(  # 39,760 parameters",
        "  (0): Linear(in_features=784, out_features=50, bias=True)  # 39,250 parameters",
        "  (1): ReLU()",
        "  (2): Linear(in_features=50, out_features=10, bias=True)  # 510 parameters",
        ")",
    ]


def test_requires_grad_freezes_parameters():
    net = nn.MLP([2, 3, 1]).requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_deepcopy_gives_independent_parameters():
    net = nn.MLP([2, 3, 1])
    clone = copy.deepcopy(net)
    clone[0].weight.data += 1
    assert not np.array_equal(clone[0].weight.data, net[0].weight.data)


# ----------------------------------------------------------------------------- state dicts
def test_state_dict_is_a_snapshot_of_copies():
    net = nn.MLP([2, 3, 1])
    sd = net.state_dict()
    sd["0.weight"][...] = 7
    assert not (net[0].weight.data == 7).any()


def test_load_state_dict_round_trip_keeps_parameter_objects_and_dtype():
    a, b = Net(), Net()
    weight = b.body[0].fc.weight
    result = b.load_state_dict(
        {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in a.state_dict().items()}
    )
    assert result == ([], [])
    assert b.body[0].fc.weight is weight and weight.dtype == np.float32  # cast to the model's dtype
    assert_unchanged(b, a.state_dict())


def test_load_accepts_lists_and_tensors():
    m = nn.Linear(2, 1, dtype=np.float64)
    m.load_state_dict({"weight": [[1.0, 2.0]], "bias": Tensor([3.0])})
    assert m(np.array([[1.0, 1.0]])).item() == 6.0


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda sd: sd.pop("heads.1.bias"), "missing keys: heads.1.bias"),
        (lambda sd: sd.update(extra=np.ones(2)), "unexpected keys: extra"),
        (
            lambda sd: sd.update({"body.2.weight": np.ones((4, 2))}),
            r"'body.2.weight' has shape \(4, 2\), the model's has shape \(2, 4\)",
        ),
        (lambda sd: sd.update({"body.0.count": np.ones(3)}), r"'body.0.count' has shape \(3,\)"),
        (
            lambda sd: sd.update({"heads.0.bias": np.array(["a"])}),
            "'heads.0.bias' has dtype <U1, expected real numbers",
        ),
        (
            lambda sd: sd.update({"heads.0.bias": [[1.0], [2.0, 3.0]]}),
            "'heads.0.bias' is not an array of numbers",
        ),
    ],
    ids=["missing", "unexpected", "wrong-shape", "wrong-buffer-shape", "strings", "ragged"],
)
def test_bad_state_dict_raises_and_leaves_model_unchanged(edit, message):
    net = Net()
    before = snapshot(net)
    sd = {
        k: v + 1 for k, v in Net().state_dict().items()
    }  # valid entries first, so a partial load would show
    edit(sd)
    with pytest.raises(StateDictError, match=message) as info:
        net.load_state_dict(sd)
    assert "The model is unchanged" in str(info.value)
    assert isinstance(info.value, RuntimeError)  # as PyTorch's load_state_dict errors
    assert_unchanged(net, before)


def test_every_problem_is_reported_at_once():
    net = nn.Linear(2, 3)
    with pytest.raises(StateDictError, match="missing keys: bias; unexpected keys: b; 'weight' has shape"):
        net.load_state_dict({"weight": np.ones((2, 3)), "b": np.ones(3)})


def test_non_strict_load_reports_keys_and_loads_the_rest():
    net = nn.Linear(2, 3)
    result = net.load_state_dict({"weight": np.zeros((3, 2)), "extra": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert not net.weight.data.any()
    with pytest.raises(StateDictError, match="has shape"):
        net.load_state_dict({"weight": np.zeros((2, 2))}, strict=False)  # shapes are always checked


def test_load_state_dict_rejects_a_non_mapping():
    with pytest.raises(TypeError, match="expected a dict"):
        nn.Linear(2, 2).load_state_dict([np.ones(2)])


# ------------------------------------------------------------------------------- .npz files
def test_save_load_round_trip(tmp_path):
    a, b = Net(), Net()
    path = a.save(tmp_path / "net.npz")
    assert path == tmp_path / "net.npz"
    with np.load(path, allow_pickle=False) as f:  # a plain .npz, readable without pickle
        assert sorted(f.files) == sorted(NET_KEYS)
    assert b.load(path) == ([], [])
    assert_unchanged(b, a.state_dict())
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind


def test_save_accepts_any_key_even_numpy_savez_argument_names(tmp_path):
    m = nn.Module()
    m.file = nn.Parameter(np.arange(3.0))
    m.allow_pickle = nn.Parameter(np.ones(2))
    m.save(tmp_path / "odd.npz")
    m2 = nn.Module()
    m2.file, m2.allow_pickle = nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros(2))
    m2.load(tmp_path / "odd.npz")
    np.testing.assert_array_equal(m2.file.data, np.arange(3.0))


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    net = nn.MLP([2, 3, 1])
    path = net.save(tmp_path / "m.npz")
    old = path.read_bytes()
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    real = np.lib.format.write_array
    monkeypatch.setattr(np.lib.format, "write_array", flaky)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP([2, 3, 1]).save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.npz"]


def _corrupt_files(tmp_path, good: bytes):
    """name -> path of a file that must not load."""
    files = {}
    files["garbage"] = tmp_path / "garbage.npz"
    files["garbage"].write_bytes(os.urandom(300))
    files["empty"] = tmp_path / "empty.npz"
    files["empty"].write_bytes(b"")
    files["truncated"] = tmp_path / "truncated.npz"
    files["truncated"].write_bytes(good[: len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0xFF  # inside an array's bytes: the zip CRC check catches it
    files["bit-flip"] = tmp_path / "flipped.npz"
    files["bit-flip"].write_bytes(bytes(flipped))
    files["pickled-object-array"] = tmp_path / "objects.npz"
    np.savez(files["pickled-object-array"], **{"0.weight": np.array([object()] * 6, dtype=object)})
    files["single-npy"] = tmp_path / "single.npz"
    with open(files["single-npy"], "wb") as f:
        np.save(f, np.ones(3))
    files["bad-member"] = tmp_path / "bad_member.npz"
    with zipfile.ZipFile(files["bad-member"], "w") as zf:
        zf.writestr("0.weight.npy", b"not an npy header")
    return files


CORRUPTIONS = [
    "garbage",
    "empty",
    "truncated",
    "bit-flip",
    "pickled-object-array",
    "single-npy",
    "bad-member",
]


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_corrupt_file_raises_clearly_and_leaves_model_unchanged(tmp_path, kind):
    source = nn.MLP([20, 30, 5])
    good = source.save(tmp_path / "good.npz").read_bytes()
    path = _corrupt_files(tmp_path, good)[kind]
    net = nn.MLP([20, 30, 5])
    before = snapshot(net)
    with pytest.raises(StateDictError, match="not a readable .npz|unchanged"):
        net.load(path)
    assert_unchanged(net, before)


@pytest.mark.parametrize(
    "other, message",
    [
        (lambda: nn.MLP([2, 4, 1]), r"'0.weight' has shape \(4, 2\)"),
        (lambda: nn.MLP([2, 3, 3, 1]), "unexpected keys: 4.weight, 4.bias"),
    ],
    ids=["other-shapes", "other-layout"],
)
def test_file_of_another_model_raises_and_leaves_model_unchanged(tmp_path, other, message):
    path = other().save(tmp_path / "other.npz")
    net = nn.MLP([2, 3, 1])
    before = snapshot(net)
    with pytest.raises(StateDictError, match=message):
        net.load(path)
    assert_unchanged(net, before)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        nn.Linear(2, 2).load(tmp_path / "nope.npz")


def test_registered_entries_are_plain_attributes_kept_in_step_with_the_registries():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    lin, bn = net[0], net[1]
    assert vars(lin)["weight"] is lin._parameters["weight"]  # no __getattr__ detour on the hot path
    net.load_state_dict({k: v + 1 for k, v in net.state_dict().items()})
    assert bn.running_mean is bn._buffers["running_mean"] and bn.running_mean[0] == 1
    net.double()
    assert bn.running_var is bn._buffers["running_var"] and bn.running_var.dtype == np.float64
    net[1] = nn.Tanh()
    assert getattr(net, "1") is net._modules["1"] and isinstance(net[1], nn.Tanh)
    del lin.bias
    assert "bias" not in vars(lin) and "bias" not in lin._parameters


def test_linear_weight_layout_survives_loading_and_casting():
    """Linear keeps W column-major (W.T row-major, the fast BLAS layout); loads and casts keep it."""
    lin = nn.Linear(4, 3)
    assert lin.weight.data.flags["F_CONTIGUOUS"]
    lin.load_state_dict({"weight": np.arange(12.0).reshape(3, 4), "bias": np.zeros(3)})
    assert lin.weight.data.flags["F_CONTIGUOUS"]
    np.testing.assert_array_equal(lin.state_dict()["weight"], np.arange(12.0).reshape(3, 4))
    assert lin.double().weight.data.flags["F_CONTIGUOUS"]
    lin(np.ones((2, 4))).sum().backward()
    assert lin.weight.grad.shape == (3, 4) and lin.weight.grad.flags["F_CONTIGUOUS"]
