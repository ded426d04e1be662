"""Command line: train an MLP or LeNet in fixed point or float32 (``fxp-train``, ``python -m fxp_nn.cli``).

Example::

    fxp-train --dataset fashion-mnist --model mlp --hidden 1000,1000 --word-bits 16 \\
        --frac-bits 14 --rounding stochastic --epochs 10 --batch-size 100 --lr 0.01 --out runs/sr14

A user's mistake is answered with one line ``fxp-train: error: ...`` and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import fxp

from ._argparse import OneLineParser, positive_float, positive_int
from .data import DATASETS, DataError, load_dataset
from .model import lenet, mlp
from .optim import SGD
from .policy import PrecisionPolicy, TensorPrecision
from .serialization import SerializationError, read_file
from .training import BEST_MODEL, CHECKPOINT, CONFIG_JSON, METRICS_JSON, MONITORS, TrainingDiverged, fit

#: Options that may differ between a run and its resumption (they do not change the result).
RESUMABLE = frozenset({"epochs", "resume", "force", "no_progress", "threads", "data_dir", "download", "out",
                       "allow_wide_frac"})


class UsageError(Exception):
    """A user's mistake on the command line: reported as one line and exit status 2."""


def build_parser():
    """The argument parser of ``fxp-train`` (defaults shown in ``--help``)."""
    p = OneLineParser(prog="fxp-train", description=__doc__.splitlines()[0],
                      formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, default="digits", help="dataset to train on")
    data.add_argument("--data-dir", help="searched before $FXP_DATA, ~/.cache/fxp and /usr/share/datasets")
    data.add_argument("--download", action="store_true", help="download a missing dataset (sha256-checked)")
    data.add_argument("--train-subset", type=positive_int, help="use only the first N training examples")
    data.add_argument("--validation", type=float,
                      help="fraction of the training set held out for validation (its last examples)")

    model = p.add_argument_group("model")
    model.add_argument("--model", choices=("mlp", "lenet"), default="mlp", help="architecture")
    model.add_argument("--hidden", default="1000,1000", help="MLP hidden sizes, comma separated")

    precision = p.add_argument_group("precision")
    precision.add_argument("--precision", choices=("fixed", "float32", "float64"), default="fixed",
                           help="fixed point (the formats below) or a float baseline")
    precision.add_argument("--word-bits", type=int, default=16, help="word length of every tensor role")
    precision.add_argument("--frac-bits", type=int, default=14, help="fraction bits of every tensor role")
    precision.add_argument("--rounding", default="stochastic", choices=[r.value for r in fxp.Rounding],
                           help="rounding of every write")
    precision.add_argument("--overflow", default="saturate", choices=("saturate", "wrap"),
                           help="what values outside a format's range do")
    precision.add_argument("--acc-bits", type=int, help="accumulator bits of every GEMM (default: exact)")
    precision.add_argument("--logits-frac-bits", type=int,
                           help="fraction bits of the last layer's outputs only (more integer bits for the logits)")
    precision.add_argument("--allow-wide-frac", action="store_true",
                           help="allow more fraction bits than the word has bits after the sign")

    training = p.add_argument_group("training")
    training.add_argument("--epochs", type=positive_int, default=10, help="total epochs (a resumed run continues "
                          "up to this number)")
    training.add_argument("--batch-size", type=positive_int, default=100, help="examples per SGD step")
    training.add_argument("--lr", type=positive_float, default=0.01, help="learning rate")
    training.add_argument("--momentum", type=float, default=0.0, help="SGD momentum, in [0, 1)")
    training.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay, >= 0")
    training.add_argument("--seed", type=int, default=0, help="seeds initialization, shuffling and stochastic rounding")
    training.add_argument("--threads", type=positive_int, help="threads for the fixed-point GEMMs (default: all)")
    training.add_argument("--patience", type=positive_int,
                          help="stop when the validation metric has not improved for this many epochs")
    training.add_argument("--monitor", choices=MONITORS, default="val_loss",
                          help="what --patience and --keep-best watch")
    training.add_argument("--keep-best", action="store_true",
                          help=f"save the model with the best validation metric to OUT/{BEST_MODEL}")

    run = p.add_argument_group("run directory")
    run.add_argument("--out", help=f"run directory for {CONFIG_JSON}, {METRICS_JSON}/.csv and {CHECKPOINT}")
    run.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT}")
    run.add_argument("--force", action="store_true",
                     help="overwrite an existing run in OUT, or resume with options that differ from the checkpoint's")
    run.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    return p


def check_args(args):
    """Refuse option values that make no sense; raises :class:`UsageError`."""
    try:
        if args.precision == "fixed":
            fxp.Format(args.word_bits, args.frac_bits)
            if args.logits_frac_bits is not None:
                fxp.Format(args.word_bits, args.logits_frac_bits)
            if args.acc_bits is not None:
                fxp.Accumulator(args.acc_bits)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"invalid format: {exc}") from None
    if args.precision == "fixed" and not args.allow_wide_frac:
        for name in ("frac_bits", "logits_frac_bits"):
            frac = getattr(args, name)
            if frac is not None and frac > args.word_bits - 1:
                raise UsageError(f"--{name.replace('_', '-')} {frac} leaves no integer bits in a {args.word_bits}-bit "
                                 f"word (at most {args.word_bits - 1}); pass --allow-wide-frac if you mean it")
    if not 0 <= args.momentum < 1:
        raise UsageError(f"--momentum must be in [0, 1), got {args.momentum}")
    if args.weight_decay < 0:
        raise UsageError(f"--weight-decay must be >= 0, got {args.weight_decay}")
    if args.validation is not None and not 0 < args.validation < 1:
        raise UsageError(f"--validation must be a fraction in (0, 1), got {args.validation}")
    if (args.patience or args.keep_best) and args.validation is None:
        raise UsageError("--patience and --keep-best watch a validation set: add --validation FRACTION")
    if args.keep_best and not args.out:
        raise UsageError(f"--keep-best writes OUT/{BEST_MODEL}: add --out")
    if args.model == "mlp":
        try:
            hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
        except ValueError:
            hidden = [0]
        if any(h < 1 for h in hidden):
            raise UsageError(f"--hidden must be positive integers separated by commas, got {args.hidden!r}")
    if args.resume and not args.out:
        raise UsageError(f"--resume needs --out (the run directory holding {CHECKPOINT})")


def check_run_dir(args):
    """Refuse to overwrite a run without ``--force``, to resume nothing, and to resume with other options."""
    if not args.out:
        return
    out = Path(args.out)
    if args.resume:
        if not (out / CHECKPOINT).is_file():
            old = " (its checkpoint.pkl is a pickle, which fxp_nn no longer loads)" if (out / "checkpoint.pkl").exists() else ""
            raise UsageError(f"cannot resume: no {CHECKPOINT} in {out}{old}")
        saved = read_file(out / CHECKPOINT, kinds=("checkpoint",)).get("config", {})
        differ = [f"--{k.replace('_', '-')} {v!r} (checkpoint: {saved[k]!r})" for k, v in sorted(vars(args).items())
                  if k not in RESUMABLE and k in saved and saved[k] != v]
        if differ and not args.force:
            raise UsageError(f"--resume with options that differ from the checkpoint's: {', '.join(differ)}; "
                             "add --force to resume with them")
    elif not args.force and any((out / name).exists() for name in (CHECKPOINT, METRICS_JSON)):
        raise UsageError(f"{out} already holds a run: --resume continues it, --force overwrites it")


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
    val = f"  val error {record['val_error']:.4f}" if "val_error" in record else ""
    print(f"epoch {record['epoch']:3d}  loss {record['loss']:.4f}  train error {record['train_error']:.4f}  "
          f"test error {record['test_error']:.4f}{val}  max saturation {record['max_saturation']:.2e}  "
          f"{record['time_s']:.1f} s", flush=True)


def main(argv=None):
    """Run ``fxp-train``; returns the process exit status (0, 1 when training diverged, 2 for a usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _train(args)
    except (UsageError, DataError, SerializationError, FileNotFoundError, FileExistsError) as exc:
        return parser.fail(exc)


def _train(args):
    check_args(args)
    check_run_dir(args)
    data = load_dataset(args.dataset, args.data_dir, download_missing=args.download)
    if args.train_subset:
        data.x_train, data.y_train = data.x_train[:args.train_subset], data.y_train[:args.train_subset]
    data.validate()
    model = build_model(args, data)
    model.rng = fxp.random.Xoroshiro128Plus(args.seed)
    model.n_threads = args.threads
    optimizer = SGD(model, args.lr, args.momentum, args.weight_decay)
    print(f"{data.name} ({len(data.x_train)} train / {len(data.x_test)} test, from {data.source})")
    print(model)
    try:
        history = fit(model, optimizer, data, args.epochs, args.batch_size, seed=args.seed,
                      run_dir=args.out, resume=args.resume, progress=not args.no_progress,
                      config=vars(args), after_epoch=print_record, validation=args.validation,
                      early_stopping=args.patience, monitor=args.monitor, keep_best=args.keep_best,
                      overwrite=args.force)
    except TrainingDiverged as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 1
    if history:
        print("saturation in the last epoch:", json.dumps(history[-1]["saturation"]))
    if len(history) < args.epochs:
        print(f"stopped early after epoch {len(history)}: {args.monitor} has not improved for {args.patience} epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
