"""Figures (matplotlib, object-oriented) and the demo's HTML report."""
