"""Value: a scalar node, micrograd-style, and its primitive ops.

The file reads top to bottom: the `Value` class (what a node holds, the hooks the engine
calls, and the ops composed from primitives), then each primitive as a forward function
with its rule right below it, one line of math each, the first ops a learner meets first
(`+`, `*`, `**`, `tanh`, `exp`, `relu`), then the table that binds them as methods.

A rule is `rule(ctx, g, out, *parents) -> one gradient per parent`: `g` is d(root)/d(out),
and the rule returns d(root)/d(parent) = g * d(out)/d(parent), the chain rule for one
node. The engine calls it on floats, or on Values for `create_graph=True`, so rules use
only operators. `-`, `/` and the reflected forms are built from the primitives, as in
micrograd, so a graph drawn here has the same nodes as micrograd's.
"""

from __future__ import annotations

import math
from numbers import Real

from . import engine
from .grad_mode import no_grad
from .grad_mode import state as _state


class Value(engine.Node):
    """A scalar that remembers how it was computed. `.grad` holds d(root)/d(self)."""

    __slots__ = ()
    _keeps_every_grad = True

    def __init__(self, data, _children=(), _op: str = "", label: str = "", requires_grad: bool = True):
        if _children.__class__ is str:  # Value(2.0, "a"): the second argument was the label
            _children, label = (), _children
        if isinstance(data, Value):
            data = data.data
        elif not isinstance(data, Real):
            raise TypeError(
                f"Value: data must be a real number, got {type(data).__name__} {data!r}; "
                "pass a float or an int (use Tensor for arrays)"
            )
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._a = self._b = None
        self._g = engine.UNVISITED
        self.requires_grad = requires_grad
        self._rule = None
        self._ctx = None
        if _children or _op:
            self._made_by(tuple(_children), _op)

    @property
    def op(self) -> str:
        """The op that made this node: '' for a leaf (or a result made under no_grad)."""
        return _op_name(self._rule, self._ctx)

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={_fmt(self.grad)}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.op:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    # engine hooks ----------------------------------------------------------------------
    def _default_seed(self, gradient, create_graph):
        seed = 1.0 if gradient is None else _data(gradient)
        return Value(seed, requires_grad=False) if create_graph else seed

    def _keep_grad(self, g) -> None:
        # Leaves accumulate across passes (as in PyTorch); the engine sets intermediates.
        self.grad = self.grad + g

    def _wrap_grad(self, g, create_graph):
        return g if create_graph else float(g)

    def backward(self, create_graph: bool = False) -> None:
        """Set `.grad` of every node in the graph to d(self)/d(node); leaves accumulate."""
        engine.backward(self, None, retain_graph=True, create_graph=create_graph)

    # micrograd's names: the lecture's code runs with only its import changed ---------------
    @property
    def _prev(self) -> set:
        """The parents as a set, as micrograd keeps them (`parents` keeps order and repeats)."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op that made this node, as micrograd names it ('' for a leaf)."""
        return self.op

    def _backward(self) -> None:
        """micrograd's manual step: add `self.grad` times each local derivative to the
        parents' `.grad` (`+=`, as the lecture's closures do). Nothing for a leaf."""
        if self._rule is None:
            return
        parents = self.parents
        with no_grad():
            gs = self._rule(self._ctx, self.grad, self.data, *[p.data for p in parents])
        for p, gp in zip(parents, gs):
            if gp is not None and p.requires_grad:
                p.grad += gp

    def _made_by(self, children: tuple, op: str) -> None:
        """`Value(data, (a, b), '+')`: a node made by a known op from Values, as micrograd
        builds its own; the engine differentiates it with that op's rule."""
        rules = {name: rule for rule, name in _OP_NAMES.items()}
        n = None
        if op.startswith("**") and op != "**":
            n, rule = float(op[2:]), _pow_rule
        else:
            rule = rules.get(op)
        arity = 2 if rule in (_add_rule, _mul_rule, _pow_value_rule) else 1
        if rule is None or len(children) != arity or not all(isinstance(c, Value) for c in children):
            raise ValueError(
                f"Value: _op {op!r} with {len(children)} children is not an op Value can differentiate; "
                f"use one of {sorted(rules)} or '**n' with its Value inputs (or build it with the operators)"
            )
        self._a = children[0]
        self._b = children[1] if arity == 2 else None
        self._rule, self._ctx = rule, n

    # The primitives (+ * ** tanh exp relu log sqrt sigmoid abs) follow the class, each
    # beside its derivative, and are bound as methods by _bind() at the end of the file.

    # composed from the primitives ------------------------------------------------------
    def __neg__(self):
        """-a = a * -1"""
        return self * -1

    def __radd__(self, other):
        """b + a"""
        return self + other

    def __sub__(self, other):
        """a - b = a + (-b)"""
        return self + (-other)

    def __rsub__(self, other):
        """b - a = b + (-a)"""
        return other + (-self)

    def __rmul__(self, other):
        """b * a"""
        return self * other

    def __truediv__(self, other):
        """a / b = a * b**-1"""
        if _data(other) == 0:
            raise ZeroDivisionError(f"/: division by zero ({self.data:g} / 0)")
        return self * other**-1

    def __rtruediv__(self, other):
        """b / a = b * a**-1"""
        if self.data == 0:
            raise ZeroDivisionError(f"/: division by zero ({_data(other):g} / 0)")
        return other * self**-1

    def __rpow__(self, other):
        """b ** a, for a number b"""
        return _lift(other, "**") ** self


# ======================================================================================
# primitives: forward, then its rule right below; `g` is the gradient arriving at `out`
# ======================================================================================
def add(a, b):
    """a + b"""
    if b.__class__ is not Value:
        b = _lift(b, "+")
    return _make(a.data + b.data, a, b, _add_rule)


# d(a + b)/da = 1, d(a + b)/db = 1: rule (g, g). Shared with Tensor; the engine inlines it.
_add_rule = engine.add_rule


def mul(a, b):
    """a * b"""
    if b.__class__ is not Value:
        b = _lift(b, "*")
    return _make(a.data * b.data, a, b, _mul_rule)


# d(a * b)/da = b, d(a * b)/db = a: rule (g * b, g * a). Shared with Tensor; inlined too.
_mul_rule = engine.mul_rule


def pow(a, n):
    """a ** n for a number n, or a ** b for a Value b (then a must be positive)"""
    if isinstance(n, Value):
        return _pow_value(a, n)
    if not isinstance(n, Real):
        raise TypeError(f"**: exponent must be a number or a Value, got {type(n).__name__}")
    n = float(n)
    return _make(_real_pow(a.data, n), a, None, _pow_rule, n)


def _pow_rule(n, g, out, a):
    """d(a**n)/da = n * a**(n-1)"""
    if n == 0:  # x**0 is constant: derivative 0 everywhere, also at x = 0 (as PyTorch)
        return (g * 0.0,)
    if _data(a) == 0 and n < 1:
        raise ZeroDivisionError(f"**{n:g}: the derivative of x**{n:g} at x = 0 is infinite")
    return (g * n * a ** (n - 1),)


def _pow_value(a, b):
    """a ** b for a Value exponent b, a >= 0"""
    if a.data < 0:
        raise ValueError(
            f"**: base {a.data:g} is negative and the exponent is a Value; a ** b with a "
            "Value exponent needs a >= 0 (its derivative uses log(a))"
        )
    return _make(_real_pow(a.data, b.data), a, b, _pow_value_rule)


def _pow_value_rule(ctx, g, out, a, b):
    """d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a)"""
    # At a = 0 the limit of d/db along b > 0 is 0, as in PyTorch.
    db = g * out * (a.log() if isinstance(a, Value) else math.log(a)) if _data(a) > 0 else g * 0.0
    da = g * 0.0 if _data(b) == 0 else g * b * a ** (b - 1)  # b == 0: constant in a, as PyTorch
    return da, db


def tanh(x):
    """(e^2x - 1) / (e^2x + 1)"""
    return _make(math.tanh(x.data), x, None, _tanh_rule)


def _tanh_rule(ctx, g, out, x):
    """d tanh(x)/dx = 1 - tanh(x)^2"""
    return (g * (1 - out * out),)


def exp(x):
    """e ** x"""
    try:
        out = math.exp(x.data)
    except OverflowError:
        raise OverflowError(
            f"exp: exp({x.data:g}) overflows a float (inputs above about 709.78); "
            "scale the input down, or use a stable form (log-sum-exp, sigmoid)"
        ) from None
    return _make(out, x, None, _exp_rule)


def _exp_rule(ctx, g, out, x):
    """d e^x/dx = e^x"""
    return (g * out,)


def relu(x):
    """max(0, x)"""
    v = x.data
    return _make(v if v > 0 or v != v else 0.0, x, None, _relu_rule)  # nan stays nan, as Tensor


def _relu_rule(ctx, g, out, x):
    """d max(0, x)/dx = 1 if x > 0 else 0"""
    return (g * (1.0 if _data(x) > 0 else 0.0),)


def log(x):
    """natural log, x > 0"""
    if x.data <= 0:
        raise ValueError(f"log: input {x.data:g} is not positive; log needs x > 0")
    return _make(math.log(x.data), x, None, _log_rule)


def _log_rule(ctx, g, out, x):
    """d log(x)/dx = 1 / x"""
    return (g / x,)


def sqrt(x):
    """x ** 0.5, x >= 0"""
    if x.data < 0:
        raise ValueError(f"sqrt: input {x.data:g} is negative; sqrt needs x >= 0")
    return _make(math.sqrt(x.data), x, None, _sqrt_rule)


def _sqrt_rule(ctx, g, out, x):
    """d sqrt(x)/dx = 1 / (2 sqrt(x))"""
    if _data(out) == 0:
        raise ZeroDivisionError("sqrt: the derivative of sqrt(x) at x = 0 is infinite")
    return (g * 0.5 / out,)


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow for large |x|"""
    v = x.data
    if v >= 0:
        out = 1.0 / (1.0 + math.exp(-v))
    else:
        e = math.exp(v)
        out = e / (1.0 + e)
    return _make(out, x, None, _sigmoid_rule)


def _sigmoid_rule(ctx, g, out, x):
    """d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))"""
    return (g * out * (1 - out),)


def abs(x):
    """|x|"""
    return _make(math.fabs(x.data), x, None, _abs_rule)


def _abs_rule(ctx, g, out, x):
    """d|x|/dx = sign(x) (0 at x = 0, as in PyTorch)"""
    v = _data(x)
    return (g * (1.0 if v > 0 else -1.0 if v < 0 else 0.0),)


_OP_NAMES = {  # the op each rule differentiates, as drawings show it (x**n shows its n)
    _add_rule: "+",
    _mul_rule: "*",
    _pow_value_rule: "**",
    _tanh_rule: "tanh",
    _exp_rule: "exp",
    _relu_rule: "relu",
    _log_rule: "log",
    _sqrt_rule: "sqrt",
    _sigmoid_rule: "sigmoid",
    _abs_rule: "abs",
}


def _op_name(rule, ctx) -> str:
    if rule is None:
        return ""
    if rule is _pow_rule:
        return f"**{ctx:g}"
    name = _OP_NAMES.get(rule)
    if name is None:  # hook (issue 11): a rule from elsewhere names its node (a Function: its class)
        naming = getattr(rule, "node_name", None)
        name = naming(ctx) if naming is not None else getattr(rule, "__name__", "?")
    return name


# ======================================================================================
# binding: the primitives above as Value methods and operators
# ======================================================================================
def _bind():
    V = Value
    V.__add__, V.__mul__, V.__pow__, V.__abs__ = add, mul, pow, abs
    for fn in (tanh, exp, relu, log, sqrt, sigmoid, abs):
        setattr(V, fn.__name__, fn)


_bind()


# helpers -----------------------------------------------------------------------------------
_alloc = object.__new__
_UNVISITED = engine.UNVISITED


def _make(data, a, b, rule, ctx=None):
    """A new Value made by the op of `rule` from parents a and b (b None for unary ops);
    under no_grad it records no parents."""
    out = _alloc(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._ctx = ctx
    out._g = _UNVISITED
    if _state.enabled:
        out._a = a
        out._b = b
        out._rule = rule
        out.requires_grad = True
    else:
        out._a = out._b = out._rule = None
        out.requires_grad = False
    if _state.anomaly and not math.isfinite(data):
        raise FloatingPointError(
            f"detect_anomaly: op '{_op_name(rule, ctx)}' produced {data} from {[p.data for p in (a, b) if p]}"
        )
    return out


def _lift(x, op):
    """A number operand as a constant Value (no gradient); anything else is refused."""
    if x.__class__ is float or x.__class__ is int or isinstance(x, Real) and not isinstance(x, Value):
        c = _alloc(Value)
        c.data = float(x)
        c.grad = 0.0
        c.label = ""
        c._a = c._b = None
        c.requires_grad = False
        c._rule = None
        c._ctx = None
        c._g = _UNVISITED
        return c
    if isinstance(x, Value):
        return x
    raise TypeError(f"{op}: cannot combine a Value with {type(x).__name__} {x!r}; use a number or a Value")


def _data(x):
    return x.data if isinstance(x, Value) else x


def _real_pow(a: float, n: float) -> float:
    try:
        out = a**n
    except ZeroDivisionError:
        raise ZeroDivisionError(f"**: {a:g} ** {n:g} is undefined (zero to a negative power)") from None
    except OverflowError:
        raise OverflowError(f"**: {a:g} ** {n:g} overflows a float") from None
    if isinstance(out, complex):
        raise ValueError(
            f"**: {a:g} ** {n:g} is not a real number (negative base, fractional exponent); "
            "use abs(x) ** n or an integer exponent"
        )
    return out


def _fmt(g) -> str:
    return f"{g:.6g}" if isinstance(g, float) else repr(g)


def _warm_up_engine(passes: int = 8) -> None:
    """Run a tiny backward pass a few times. CPython 3.11 specializes a function's bytecode
    only once the function has been called a few times, so without this the first
    backward passes of a session (in a notebook often the biggest) would run the engine's
    loops unspecialized: about 1.5 times slower per node. Costs well under a millisecond."""
    for _ in range(passes):
        x = Value(2.0)
        (x * x + x).tanh().backward()


_warm_up_engine()
