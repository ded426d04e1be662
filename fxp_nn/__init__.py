"""fxp_nn: train neural networks with every tensor in fixed point, built on ``fxp``."""
from fxp import __version__

from .data import Dataset, DataError, DatasetNotFoundError, load_dataset
from .layers import Conv2d, Flatten, Linear, MaxPool2d, Param, ReLU
from .losses import SoftmaxCrossEntropy
from .model import Sequential, lenet, mlp
from .optim import SGD, Adam, AdamW, OptimizerPrecision
from . import schedules
from .policy import Accumulator, PrecisionPolicy, TensorPrecision
from .schedules import PrecisionSchedule
from .training import TrainingDiverged, evaluate, fit

__all__ = [
    "Accumulator", "Conv2d", "DataError", "Dataset", "DatasetNotFoundError", "Flatten", "Linear",
    "MaxPool2d", "Param", "PrecisionPolicy", "PrecisionSchedule", "ReLU", "SGD", "Adam", "AdamW", "OptimizerPrecision", "Sequential", "SoftmaxCrossEntropy",
    "TensorPrecision", "TrainingDiverged", "evaluate", "fit", "lenet", "load_dataset", "mlp",
]
