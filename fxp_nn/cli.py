"""Command line: train an MLP or LeNet in fixed point or float32 (``fxp-train``, ``python -m fxp_nn.cli``).

Example::

    fxp-train --dataset fashion-mnist --model mlp --hidden 1000,1000 --word-bits 16 \\
        --frac-bits 14 --rounding stochastic --epochs 10 --batch-size 100 --lr 0.01 --out runs/sr14
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import fxp

from .data import DATASETS, load_dataset
from .model import lenet, mlp
from .optim import SGD
from .policy import PrecisionPolicy, TensorPrecision
from .training import CHECKPOINT, TrainingDiverged, fit


def build_parser():
    """The argument parser of ``fxp-train``."""
    p = argparse.ArgumentParser(prog="fxp-train", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data-dir", help="searched before $FXP_DATA, ~/.cache/fxp and /usr/share/datasets")
    p.add_argument("--download", action="store_true", help="download a missing dataset (sha256-checked)")
    p.add_argument("--train-subset", type=int, help="use only the first N training examples")
    p.add_argument("--model", choices=("mlp", "lenet"), default="mlp")
    p.add_argument("--hidden", default="1000,1000", help="MLP hidden sizes, comma separated")
    p.add_argument("--precision", choices=("fixed", "float32", "float64"), default="fixed")
    p.add_argument("--word-bits", type=int, default=16)
    p.add_argument("--frac-bits", type=int, default=14)
    p.add_argument("--rounding", default="stochastic",
                   choices=[r.value for r in fxp.Rounding])
    p.add_argument("--overflow", default="saturate", choices=("saturate", "wrap"))
    p.add_argument("--acc-bits", type=int, help="accumulator bits of every GEMM (default: exact)")
    p.add_argument("--logits-frac-bits", type=int,
                   help="fraction bits of the last layer's outputs only (more integer bits for the logits)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0, help="seeds initialization, shuffling and stochastic rounding")
    p.add_argument("--threads", type=int, help="threads for the fixed-point GEMMs (default: all)")
    p.add_argument("--out", help="run directory for metrics.json/.csv and checkpoint.pkl")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pkl")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    return p


def policy_from_args(args):
    """The :class:`PrecisionPolicy` selected by the command-line options."""
    if args.precision != "fixed":
        return PrecisionPolicy.floating(args.precision)
    return PrecisionPolicy.fixed(args.word_bits, args.frac_bits, args.rounding, args.overflow, args.acc_bits)


def build_model(args, data):
    """The model selected by ``--model``/``--hidden`` for ``data``'s input shape."""
    policy = policy_from_args(args)
    if args.model == "lenet":
        model = lenet(data.input_shape, data.n_classes, policy=policy, seed=args.seed)
    else:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
        model = mlp([int(np.prod(data.input_shape)), *hidden, data.n_classes], policy=policy, seed=args.seed)
    if args.logits_frac_bits is not None and not policy.is_float:
        logits = TensorPrecision(fxp.Format(args.word_bits, args.logits_frac_bits), args.rounding, args.overflow)
        model.layers[-1].policy = policy.replace(activations=logits, name=f"{policy}, logits {logits.fmt}")
    return model


def print_record(record):
    """Print one epoch's metrics on one line."""
    print(f"epoch {record['epoch']:3d}  loss {record['loss']:.4f}  train error {record['train_error']:.4f}  "
          f"test error {record['test_error']:.4f}  max saturation {record['max_saturation']:.2e}  "
          f"{record['time_s']:.1f} s", flush=True)


def main(argv=None):
    """Run ``fxp-train``; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if args.resume and not args.out:
        build_parser().error("--resume needs --out (the run directory holding " + CHECKPOINT + ")")
    data = load_dataset(args.dataset, args.data_dir, download_missing=args.download)
    if args.train_subset:
        data.x_train, data.y_train = data.x_train[:args.train_subset], data.y_train[:args.train_subset]
    model = build_model(args, data)
    model.rng = fxp.random.Xoroshiro128Plus(args.seed)
    model.n_threads = args.threads
    optimizer = SGD(model, args.lr, args.momentum, args.weight_decay)
    print(f"{data.name} ({len(data.x_train)} train / {len(data.x_test)} test, from {data.source})")
    print(model)
    try:
        history = fit(model, optimizer, data, args.epochs, args.batch_size, seed=args.seed,
                      run_dir=args.out, resume=args.resume, progress=not args.no_progress,
                      config=vars(args), after_epoch=print_record)
    except TrainingDiverged as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 1
    if history:
        print("saturation in the last epoch:", json.dumps(history[-1]["saturation"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
