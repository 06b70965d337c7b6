"""chainrule's nn: modules, layers, losses, optimizers, data and training, with PyTorch's names."""

from . import data, datasets, functional, init, optim, scalar
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
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential, StateDictError
from .train import History, evaluate, fit

__all__ = [
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
