"""Optimizers and learning-rate schedules, with PyTorch's update formulas and state dicts.

An optimizer holds `param_groups` (dicts of hyperparameters plus a list of parameters) and
per-parameter `state` (momentum buffers, running averages). `step()` reads each
parameter's `.grad` (a numpy array) and updates `.data` in place, in numpy, recording no
graph; parameters whose `.grad` is None are skipped, as in PyTorch. Every update ends by
assigning the array back to `.data`, so Tensor's in-place edit detection sees the change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from autograd import no_grad

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Optimizer", "LRScheduler", "StepLR", "LambdaLR"]


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad and state dicts."""

    defaults: dict = {}

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}  # id(param) -> dict of arrays and counters
        self.param_groups: list[dict] = []
        groups = list(params) if not isinstance(params, dict) else [params]
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a dict {"params": [...], hyperparameter: value, ...}; missing values use the defaults."""
        name = type(self).__name__
        params = group["params"]
        params = [params] if _is_param(params) else list(params)
        for i, p in enumerate(params):
            if not _is_param(p):
                raise TypeError(
                    f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor; pass model.parameters()"
                )
            if not p.requires_grad:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) does not require grad")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears more than once among the parameter groups")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(
                f"{name}: unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(self.defaults)}"
            )
        full = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group: dict) -> None:
        name = type(self).__name__
        for key in ("lr", "weight_decay", "momentum", "eps", "alpha", "dampening"):
            if key in group and not group[key] >= 0:
                raise ValueError(f"{name}: {key}={group[key]!r} must be >= 0")
        if "betas" in group:
            b1, b2 = group["betas"]
            if not (0 <= b1 < 1 and 0 <= b2 < 1):
                raise ValueError(f"{name}: betas={group['betas']!r}; each must be in [0, 1)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (None by default, as PyTorch; zeros if asked)."""
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None
                continue
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = np.zeros_like(p.grad)

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            self._step_group(group)

    def _step_group(self, group: dict) -> None:
        update, states = self._update, self.state
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g.__class__ is not np.ndarray:  # a Tensor gradient left by create_graph=True
                g = np.asarray(g.data)
            state = states.get(id(p))
            if state is None:
                state = states[id(p)] = {}
            data = p.data
            update(data, g, state, group)
            p.data = data  # an assignment, so in-place edit detection sees the update

    def _update(self, data: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    # state dicts, in PyTorch's layout: parameters are numbered across groups in order
    def state_dict(self) -> dict:
        """{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [index]}]}."""
        index = 0
        groups, state = [], {}
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                if id(p) in self.state:
                    state[index] = {k: _copy(v) for k, v in self.state[id(p)].items()}
                ids.append(index)
                index += 1
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and buffers; checks everything before changing anything."""
        name = type(self).__name__
        try:
            groups, saved = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'"
            ) from None
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        params = []
        for i, (new, own) in enumerate(zip(groups, self.param_groups)):
            if len(new["params"]) != len(own["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(new['params'])} parameters in the state "
                    f"dict and {len(own['params'])} here"
                )
            params.extend(zip(new["params"], own["params"]))
        by_index = dict(params)
        new_state = {}
        for index, buffers in saved.items():
            if index not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {index}, which no group lists")
            p = by_index[index]
            entry = {}
            for key, value in buffers.items():
                if isinstance(value, np.ndarray) or hasattr(value, "shape") and np.ndim(value) > 0:
                    value = np.array(value, dtype=p.dtype)
                    if value.shape != p.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: '{key}' of parameter {index} has shape "
                            f"{value.shape}, the parameter has shape {p.shape}"
                        )
                entry[key] = value
            new_state[id(p)] = entry
        for new, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in new.items() if k != "params"})
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            n = sum(p.numel() for p in group["params"])
            lines.append(f"  group {i}: {len(group['params'])} tensors, {n:,} parameters")
            lines.extend(f"    {k}: {v}" for k, v in group.items() if k != "params")
        return "\n".join(lines + [")"])


def _is_param(p) -> bool:
    return hasattr(p, "requires_grad") and hasattr(p, "grad") and hasattr(p, "data")


def _copy(v):
    return v.copy() if isinstance(v, np.ndarray) else v


class SGD(Optimizer):
    """p -= lr * d, d = g + wd*p, or with momentum: b = mu*b + (1 - dampening)*d (b = d at
    the first step) and d = b, or d + mu*b with nesterov (PyTorch's formulation)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )
        super().__init__(params, defaults)

    def _step_group(self, group: dict) -> None:
        if group["momentum"] or group["weight_decay"]:
            return super()._step_group(group)
        lr = group["lr"]  # plain SGD, the tutorials' update: no state, one line per parameter
        for p in group["params"]:
            g = p.grad
            if g is not None:
                data = p.data
                data -= lr * (g if g.__class__ is np.ndarray else np.asarray(g.data))
                p.data = data  # an assignment, so in-place edit detection sees the update

    def _update(self, data, g, state, group):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * data
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=data.dtype)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        data -= lr * g


class Adam(Optimizer):
    """m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).

    weight_decay adds wd*p to g (L2, as torch.optim.Adam); amsgrad keeps the running max of v.
    """

    _decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _update(self, data, g, state, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(data)
            state["exp_avg_sq"] = np.zeros_like(data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(data)
        if wd:
            if self._decoupled:
                data *= 1 - lr * wd
            else:
                g = g + wd * data
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - b1) * (g - m)  # m = b1*m + (1-b1)*g, written as torch's lerp
        v *= b2
        v += (1 - b2) * (g * g)
        step_size = lr / (1 - b1**t)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr*wd before the Adam step (default wd 0.01)."""

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """s = a*s + (1-a)*g^2; p -= lr * g / (sqrt(s) + eps), optionally centered (s - mean(g)^2)
    and with momentum (b = mu*b + g/(sqrt(s) + eps); p -= lr*b), as torch.optim.RMSprop."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
        )
        super().__init__(params, defaults)

    def _update(self, data, g, state, group):
        lr, alpha, eps, wd, mu = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(data)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(data)
        state["step"] += 1
        if wd:
            g = g + wd * data
        s = state["square_avg"]
        s *= alpha
        s += (1 - alpha) * (g * g)
        if group["centered"]:
            ga = state["grad_avg"]
            ga += (1 - alpha) * (g - ga)
            avg = np.sqrt(s - ga * ga)
        else:
            avg = np.sqrt(s)
        avg += eps
        if mu > 0:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += g / avg
            data -= lr * buf
        else:
            data -= lr * (g / avg)


# ------------------------------------------------------------------ learning-rate schedules
class LRScheduler:
    """Sets each group's lr from its initial lr and the epoch count; call step() once per epoch.

    As in PyTorch, construction counts as the first step (epoch 0), so the optimizer's lr
    is the schedule's value for epoch 0 from the start.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last step()."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = initial_lr * gamma ** (epoch // step_size)"""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size={step_size} must be a positive number of epochs")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch), with one function or one per group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable | Iterable[Callable], last_epoch: int = -1):
        n = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(fns) != n:
            raise ValueError(f"LambdaLR: got {len(fns)} lr_lambdas for {n} parameter groups")
        self.lr_lambdas = fns
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
