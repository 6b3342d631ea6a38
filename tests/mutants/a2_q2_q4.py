"""Mutants of Q2 (batch and layer normalization) and Q4 (convolutional nets)."""
from . import Mutant

MUTANTS: list[Mutant] = []
