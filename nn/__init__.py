"""chainrule's nn: modules, layers, losses, optimizers, data and training, with PyTorch's names."""

from . import data, datasets, functional, init, optim, scalar
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .init import manual_seed
from .layers import (
    MLP,
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HingeLoss, MSELoss, NLLLoss
from .module import Module, ModuleList, Parameter, Sequential, StateDictError
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .train import History, evaluate, fit

__all__ = [
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
