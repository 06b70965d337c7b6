"""Switches that decide whether ops record a graph: no_grad, enable_grad, detect_anomaly."""

from __future__ import annotations

import functools


class _State:
    """Process-wide switches read by every op (one attribute lookup on the hot path)."""

    __slots__ = ("enabled", "anomaly")

    def __init__(self) -> None:
        self.enabled = True
        self.anomaly = False


state = _State()


class _Switch:
    """A context manager and decorator that sets one switch and restores it on exit."""

    _field = ""
    _value = False

    def __enter__(self):
        self._saved = getattr(state, self._field)
        setattr(state, self._field, self._value)
        return self

    def __exit__(self, *exc) -> None:
        setattr(state, self._field, self._saved)

    def __call__(self, fn):
        field, value = self._field, self._value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            saved = getattr(state, field)  # no context object per call: optimizer steps use this
            setattr(state, field, value)
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(state, field, saved)

        return wrapper


class no_grad(_Switch):
    """Ops inside record no graph: results have no parents and need no gradient."""

    _field, _value = "enabled", False


class enable_grad(_Switch):
    """Ops inside record the graph again, even within `no_grad`."""

    _field, _value = "enabled", True


class detect_anomaly(_Switch):
    """Raise at once when an op produces nan or inf, in forward or backward."""

    _field, _value = "anomaly", True


def is_grad_enabled() -> bool:
    """True when ops record the graph."""
    return state.enabled
