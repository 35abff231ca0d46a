"""Outcome measures and data points: SPC (spc.py), charts (charts.py), summaries (measuring.py)."""
