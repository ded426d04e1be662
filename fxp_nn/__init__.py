"""fxp_nn: train neural networks with every tensor in fixed point, built on ``fxp``."""
from fxp import __version__

from .checkpoint import load_model as load
from .checkpoint import save_model as save
from .data import Dataset, DataError, DatasetNotFoundError, load_dataset
from .layers import Conv2d, Flatten, Layer, Linear, MaxPool2d, Param, ReLU
from .losses import SoftmaxCrossEntropy
from .model import Sequential, lenet, mlp
from .numerics import Numerics
from .optim import SGD, Adam, AdamW, OptimizerPrecision
from . import schedules
from .policy import Accumulator, PrecisionPolicy, TensorPrecision
from .schedules import PrecisionSchedule
from .serialization import SerializationError, serializable
from .training import TrainingDiverged, evaluate, fit

__all__ = [
    "Accumulator", "Adam", "AdamW", "Conv2d", "DataError", "Dataset", "DatasetNotFoundError", "Flatten",
    "Layer", "Linear", "MaxPool2d", "Numerics", "OptimizerPrecision", "Param", "PrecisionPolicy",
    "PrecisionSchedule", "ReLU", "SGD", "Sequential", "SerializationError", "SoftmaxCrossEntropy",
    "TensorPrecision", "TrainingDiverged", "evaluate", "fit", "lenet", "load", "load_dataset", "mlp",
    "save", "serializable",
]
