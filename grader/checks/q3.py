"""Checks of q3 (to be declared)."""
CHECKS = ()
