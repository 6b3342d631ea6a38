"""Renderers: check results to a terminal table, JSON, HTML, Gradescope. Results are plain data."""


def fmt_number(x: float | None) -> str:
    """A measured error or a tolerance: '-' when absent, else 2 significant digits ('inf', 'nan' as such)."""
    return "-" if x is None else f"{x:.2e}"


def fmt_points(x: float) -> str:
    """Points without trailing zeros: 2, 1.5."""
    return f"{x:g}"
