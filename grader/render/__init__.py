"""Renderers: check results to a terminal table, JSON, HTML. Results are plain data."""
