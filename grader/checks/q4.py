"""Checks of q4 (to be declared)."""
CHECKS = ()
