"""Mutants of Q1 (fully-connected nets) and Q3 (dropout)."""
from . import Mutant

MUTANTS = [
    Mutant(
        "affine_backward db averaged instead of summed",
        "layers.py",
        "db = dout.sum(axis=0)",
        "db = dout.mean(axis=0)",
        breaks=("affine_backward",),
        diagnosis="db is the mean",
    ),
]
