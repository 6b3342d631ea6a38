"""The declared checks, one module per question (see base.py for the types)."""
