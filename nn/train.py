"""Training with a progress bar: `fit` runs the loop every tutorial writes by hand, `evaluate`
scores a model, and `History` keeps the losses and accuracies and plots them.

    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                     (x_train, y_train), epochs=5, val_data=(x_test, y_test), batch_size=100)
    history.plot()
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from autograd import Tensor, no_grad

from . import functional as F
from . import losses
from .data import DataLoader
from .module import Module

__all__ = ["History", "evaluate", "fit"]


class History:
    """What happened during training: per epoch `train_loss`, `train_acc` (accumulated over
    the epoch's batches), `val_loss`, `val_acc`, `lr`, `seconds` (training) and
    `val_seconds` (validation); per step `step_loss`."""

    FIELDS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "val_seconds")

    def __init__(self) -> None:
        for name in self.FIELDS:
            setattr(self, name, [])
        self.step_loss: list[float] = []
        self.steps_per_epoch: list[int] = []

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_dict(self) -> dict:
        return {name: list(getattr(self, name)) for name in (*self.FIELDS, "step_loss")}

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs)"
        last = []
        for name in ("train_loss", "train_acc", "val_loss", "val_acc"):
            values = getattr(self, name)
            if values and values[-1] is not None:
                last.append(f"{name}={values[-1]:.4f}")
        return f"History({self.epochs} epochs, {len(self.step_loss)} steps; last: {', '.join(last)})"

    def plot(self, path=None, smooth: int = 50):
        """A matplotlib Figure: losses (per step, smoothed over `smooth` steps, and per epoch)
        and, for classifiers, accuracies per epoch. Saved to `path` if given."""
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib") from None
        has_acc = any(v is not None for v in self.train_acc + self.val_acc)
        fig = Figure(figsize=(11 if has_acc else 6, 4), layout="constrained")
        axes = fig.subplots(1, 2 if has_acc else 1, squeeze=False)[0]
        ax = axes[0]
        ends = np.cumsum(self.steps_per_epoch)
        if self.step_loss:
            steps = np.arange(1, len(self.step_loss) + 1)
            ax.plot(
                steps, self.step_loss, color="tab:blue", alpha=0.25, linewidth=0.8, label="train (each step)"
            )
            if len(self.step_loss) >= 2 * smooth > 0:
                kernel = np.ones(smooth) / smooth
                ax.plot(
                    steps[smooth - 1 :],
                    np.convolve(self.step_loss, kernel, "valid"),
                    color="tab:blue",
                    label=f"train (mean of {smooth} steps)",
                )
        if any(v is not None for v in self.val_loss):
            ax.plot(ends, self.val_loss, "o-", color="tab:orange", label="validation (each epoch)")
        ax.set(xlabel="step", ylabel="loss", title="loss")
        ax.legend()
        ax.grid(alpha=0.3)
        if has_acc:
            ax = axes[1]
            epochs = np.arange(1, self.epochs + 1)
            ax.plot(epochs, [np.nan if v is None else v for v in self.train_acc], "o-", label="train")
            if any(v is not None for v in self.val_acc):
                ax.plot(epochs, [np.nan if v is None else v for v in self.val_acc], "o-", label="validation")
            ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
            ax.legend()
            ax.grid(alpha=0.3)
        if path is not None:
            fig.savefig(path)
        return fig


# ------------------------------------------------------------------------------ accuracy
def _argmax_correct(out: np.ndarray, target: np.ndarray) -> int:
    predicted = out.argmax(axis=1)
    truth = target.argmax(axis=1) if target.ndim == 2 else target
    return int(np.count_nonzero(predicted == truth))


def _binary(output_at: float, target_at: float):
    """Counts output > output_at agreeing with target > target_at (argmax for (N, C) scores)."""

    def correct(out: np.ndarray, target: np.ndarray) -> int:
        if out.ndim == 2 and out.shape[1] > 1:
            return _argmax_correct(out, target)
        return int(np.count_nonzero((out > output_at) == (target > target_at)))

    return correct


_logits, _probabilities, _signs = _binary(0.0, 0.5), _binary(0.5, 0.5), _binary(0.0, 0.0)
_ACCURACY = {
    losses.CrossEntropyLoss: _argmax_correct,
    losses.NLLLoss: _argmax_correct,
    F.cross_entropy: _argmax_correct,
    F.nll_loss: _argmax_correct,
    losses.BCEWithLogitsLoss: _logits,
    F.binary_cross_entropy_with_logits: _logits,
    losses.BCELoss: _probabilities,
    F.binary_cross_entropy: _probabilities,
    losses.HingeLoss: _signs,
    F.hinge_loss: _signs,
}


def _accuracy_fn(loss_fn, accuracy):
    """How to count correct predictions, or None when accuracy does not apply."""
    if accuracy is False:
        return None
    if callable(accuracy) and accuracy is not True:
        return accuracy
    fn = _ACCURACY.get(type(loss_fn)) or _ACCURACY.get(loss_fn)
    if fn is None and accuracy is True:
        raise ValueError(
            f"fit: cannot tell how to score predictions for loss {loss_fn!r}; pass "
            "accuracy=fn(output, target) -> number of correct predictions"
        )
    return fn


# --------------------------------------------------------------------------- progress bar
def _interactive() -> bool:
    """True in a terminal or a Jupyter kernel, where a progress bar can redraw itself."""
    if "ipykernel" in sys.modules:
        try:
            from IPython import get_ipython

            if get_ipython() is not None and "IPKernelApp" in get_ipython().config:
                return True
        except Exception:
            pass
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _progress_bar(total: int, enabled):
    if enabled is None:
        enabled = _interactive()
    if not enabled:
        return None
    try:
        import ipywidgets  # noqa: F401  (tqdm's notebook bar needs it)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    size = {}
    try:  # a terminal that reports a size of 0 x 0 (some pseudo-terminals) would get an empty bar
        if not os.get_terminal_size(sys.stderr.fileno()).columns:
            size = {"ncols": 80, "nrows": 24}
    except (OSError, ValueError, AttributeError):
        pass
    return tqdm(total=total, unit="step", dynamic_ncols=not size, **size)


# ------------------------------------------------------------------------------- loops
def _loader(data, batch_size: int, shuffle: bool, seed, what: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return DataLoader(*data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(
        f"fit: {what} must be (inputs, targets) arrays or a DataLoader, got {type(data).__name__}"
    )


def evaluate(model, loss_fn, data, batch_size: int = 1000, accuracy=None) -> dict:
    """{"loss": mean loss, "accuracy": fraction correct or None} over `data` ((x, y) or a
    DataLoader), in eval mode and without recording a graph."""
    loader = _loader(data, batch_size, False, None, "data")
    count_correct = _accuracy_fn(loss_fn, accuracy)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total, correct, n = 0.0, 0, 0
    try:
        with no_grad():
            for x, y in loader:
                out = model(_as_tensor(x))
                total += float(loss_fn(out, y).data) * len(x)
                if count_correct is not None:
                    correct += count_correct(out.data, y)
                n += len(x)
    finally:
        if was_training:
            model.train()
    return {"loss": total / n, "accuracy": correct / n if count_correct is not None else None}


def fit(
    model,
    loss_fn,
    optimizer,
    train_data,
    epochs: int = 1,
    val_data=None,
    *,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = None,
    scheduler=None,
    accuracy=None,
    max_steps: int | None = None,
    progress: bool | None = None,
    history: History | None = None,
) -> History:
    """Train `model` for `epochs` passes over `train_data` and return a History.

    train_data / val_data: (inputs, targets) arrays (batched with `batch_size`, training
    data shuffled with `seed`) or DataLoaders. Each step: forward, loss, zero_grad,
    backward, optimizer.step(); `scheduler.step()` after each epoch; validation after
    each epoch. Accuracy is tracked for classification losses (or pass
    accuracy=fn(output, target) -> number correct, or False). `max_steps` stops early,
    mid-epoch if need be. progress: True/False, or None for a tqdm bar only in a terminal
    or notebook. Pass a History to continue one.
    """
    loader = _loader(train_data, batch_size, shuffle, seed, "train_data")
    val_loader = _loader(val_data, 1000, False, None, "val_data") if val_data is not None else None
    count_correct = _accuracy_fn(loss_fn, accuracy)
    history = History() if history is None else history
    total_steps = epochs * len(loader) if max_steps is None else min(max_steps, epochs * len(loader))
    bar = _progress_bar(total_steps, progress)
    forward, loss_of = _direct(model), _direct(loss_fn)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            if step >= total_steps:
                break
            start = time.perf_counter()
            model.train()
            total, correct, n, steps = 0.0, 0, 0, 0
            record = history.step_loss.append
            for x, y in loader:
                out = forward(_as_tensor(x))
                loss = loss_of(out, y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                value = float(loss.data)
                record(value)
                size = len(x)
                total += value * size
                n += size
                if count_correct is not None:
                    correct += count_correct(out.data, y)
                step += 1
                steps += 1
                if bar is not None:
                    bar.update(1)
                    if steps % 25 == 0:
                        bar.set_postfix_str(f"epoch {epoch}/{epochs}, loss {total / n:.4f}", refresh=False)
                if step >= total_steps:
                    break
            history.seconds.append(time.perf_counter() - start)
            history.steps_per_epoch.append(steps)
            history.train_loss.append(total / n)
            history.train_acc.append(correct / n if count_correct is not None else None)
            history.lr.append(optimizer.param_groups[0]["lr"])
            start = time.perf_counter()
            if val_loader is not None:
                scores = evaluate(model, loss_fn, val_loader, accuracy=accuracy)
                history.val_loss.append(scores["loss"])
                history.val_acc.append(scores["accuracy"])
            else:
                history.val_loss.append(None)
                history.val_acc.append(None)
            history.val_seconds.append(time.perf_counter() - start)
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.write(_epoch_line(history, epoch, epochs))
    finally:
        if bar is not None:
            bar.close()
    return history


def _epoch_line(h: History, epoch: int, epochs: int) -> str:
    parts = [f"epoch {epoch}/{epochs}", f"loss {h.train_loss[-1]:.4f}"]
    if h.train_acc[-1] is not None:
        parts.append(f"acc {h.train_acc[-1]:.2%}")
    if h.val_loss[-1] is not None:
        parts.append(f"val_loss {h.val_loss[-1]:.4f}")
    if h.val_acc[-1] is not None:
        parts.append(f"val_acc {h.val_acc[-1]:.2%}")
    parts.append(f"{h.seconds[-1]:.1f}s")
    return "  ".join(parts)


def _direct(fn):
    """A module's forward when calling the module would only call it (a frame less per
    step), else the callable itself."""
    return fn.forward if isinstance(fn, Module) and type(fn).__call__ is Module.__call__ else fn


def _as_tensor(x) -> Tensor:
    """A batch as a Tensor (sharing the array's memory), so any model's forward can use Tensor ops."""
    return x if isinstance(x, Tensor) else Tensor(x)
