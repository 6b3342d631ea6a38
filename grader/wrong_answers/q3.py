"""Wrong answers of Q3 checks."""
