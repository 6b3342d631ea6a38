"""Wrong answers of Q4 checks."""
