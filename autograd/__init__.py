"""chainrule's autograd: Value (scalar) and Tensor (numpy) nodes sharing one graph core."""

from . import functional
from .compare_grads import compare_grads
from .engine import grad, topological_order
from .function import Function, once_differentiable
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .gradcheck_kinks import KinkWarning
from .tensor import Tensor
from .tensor_ops import cat, maximum, stack, where
from .value import Value
from .viz import draw_graph

# isort: split
from .viz import (
    Player,
    TrainingRecorder,
    backward_steps,
    draw_dot,
    keep_graphs,
    player,
    record_training,
    to_text,
)

__all__ = [
    "GradcheckError",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
    "Tensor",
    "cat",
    "maximum",
    "stack",
    "where",
    "Value",
    "detect_anomaly",
    "draw_graph",
    "draw_dot",
    "backward_steps",
    "to_text",
    "player",
    "Player",
    "TrainingRecorder",
    "record_training",
    "keep_graphs",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "Function",
    "once_differentiable",
    "functional",
    "compare_grads",
    "KinkWarning",
]

# PyTorch's surface (issue 10): constructors, the ops as functions, in-place and dims.
from . import creation, dims  # noqa: E402
from .creation import (  # noqa: E402
    arange,
    device,
    double,
    e,
    empty,
    empty_like,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_rng,
    half,
    inf,
    int8,
    int16,
    int32,
    int64,
    linspace,
    long,
    manual_seed,
    nan,
    ones,
    ones_like,
    pi,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    short,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .reductions import MaxResult, MinResult  # noqa: E402
from .tensor_ops import (  # noqa: E402
    abs,
    add,
    argmax,
    argmin,
    clip,
    clone,
    exp,
    expand,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    mean,
    min,
    minimum,
    mul,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    std,
    sub,
    sum,
    swapaxes,
    tanh,
    transpose,
    truediv,
    var,
)

div = divide = true_divide = truediv
__all__ += [
    "MaxResult",
    "MinResult",
    "creation",
    "dims",
    "div",
    "divide",
    "true_divide",
    "arange",
    "double",
    "e",
    "empty",
    "empty_like",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_rng",
    "half",
    "inf",
    "int8",
    "int16",
    "int32",
    "int64",
    "linspace",
    "long",
    "manual_seed",
    "nan",
    "ones",
    "ones_like",
    "pi",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "short",
    "tensor",
    "uint8",
    "zeros",
    "zeros_like",
    "abs",
    "add",
    "argmax",
    "argmin",
    "clip",
    "clone",
    "exp",
    "expand",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "permute",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "sqrt",
    "std",
    "sub",
    "sum",
    "swapaxes",
    "tanh",
    "transpose",
    "truediv",
    "var",
]

# PyTorch's op surface (issue 10): each module lists its functions in __all__
from . import tensor_math  # noqa: E402
from .tensor_math import *  # noqa: E402,F403

__all__ += tensor_math.__all__
from . import tensor_activation  # noqa: E402
from .tensor_activation import *  # noqa: E402,F403

__all__ += tensor_activation.__all__
from . import tensor_shape  # noqa: E402
from .tensor_shape import *  # noqa: E402,F403

__all__ += tensor_shape.__all__
from . import tensor_reduce  # noqa: E402
from .tensor_reduce import *  # noqa: E402,F403

__all__ += tensor_reduce.__all__
from . import tensor_compare, tensor_index, tensor_linalg  # noqa: E402
from .tensor_compare import *  # noqa: E402,F403
from .tensor_index import *  # noqa: E402,F403
from .tensor_linalg import *  # noqa: E402,F403

__all__ += tensor_index.__all__ + tensor_linalg.__all__ + tensor_compare.__all__
from . import tensor_convert  # noqa: E402

negative = tensor_convert.negative
__all__ += tensor_convert.__all__

# Convolution and pooling (issue 12), where torch has them at top level (torch.conv2d, ...);
# the rest are in nn.functional
from .conv import conv1d, conv2d, conv_transpose2d  # noqa: E402
from .pool import max_pool2d  # noqa: E402

__all__ += ["conv1d", "conv2d", "conv_transpose2d", "max_pool2d"]

__all__ += ["device"]

# `torch.autograd.Function`, `torch.autograd.grad`, ... in code ported with `import autograd as
# torch`: the package answers to its own name.
autograd = __import__("sys").modules[__name__]

# dtypes under PyTorch's short names (`dtype=torch.float`), numpy's dtypes underneath. Last in
# the file, since they shadow Python's float, int and bool in this module's namespace, and not
# in __all__, so that `from autograd import *` leaves the builtins alone.
float, int, bool = float32, int32, __import__("numpy").bool_
