"""chainrule's nn: modules, layers, losses, optimizers, data and training, with PyTorch's names."""

from . import data, datasets, functional, init, lr_scheduler, optim, scalar, utils
from .activation import ELU, GELU, Dropout2d, Hardtanh, SiLU, Softplus
from .containers import ModuleDict, ParameterList
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .init import manual_seed
from .layers import (
    MLP,
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    Unflatten,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, ModuleList, Parameter, Sequential, StateDictError
from .normalization import BatchNorm2d, GroupNorm, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .sparse import Embedding
from .train import History, evaluate, fit

__all__ = [
    "BatchNorm2d",
    "Dropout2d",
    "ELU",
    "Embedding",
    "GELU",
    "GroupNorm",
    "Hardtanh",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "LayerNorm",
    "ModuleDict",
    "ParameterList",
    "SiLU",
    "SmoothL1Loss",
    "Softplus",
    "lr_scheduler",
    "utils",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "Conv1d",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HingeLoss",
    "History",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MLP",
    "MSELoss",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDictError",
    "Tanh",
    "Unflatten",
    "data",
    "datasets",
    "evaluate",
    "fit",
    "functional",
    "init",
    "manual_seed",
    "optim",
    "scalar",
]

optim.lr_scheduler = lr_scheduler  # torch.optim.lr_scheduler's place: nn.optim.lr_scheduler.StepLR
