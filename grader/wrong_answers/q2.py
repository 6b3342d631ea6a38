"""Wrong answers of Q2 checks."""
