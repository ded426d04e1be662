"""Argument parsing shared by the command lines: one-line errors with exit status 2."""
from __future__ import annotations

import argparse
import sys


def one_line(message):
    """``message`` with its whitespace runs (newlines included) collapsed to single spaces."""
    return " ".join(str(message).split())


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line ``prog: error: message`` (exit status 2), no usage dump."""

    def error(self, message):
        """Print ``prog: error: message`` and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")

    def fail(self, message):
        """Print ``prog: error: message`` (one line) and return exit status 2, for errors found after parsing."""
        print(f"{self.prog}: error: {one_line(message)}", file=sys.stderr)
        return 2


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text):
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value
