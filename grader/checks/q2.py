"""Checks of q2 (to be declared)."""
CHECKS = ()
