"""Read-only views across a plan: the recovery map (selectors.py) and the service dashboard (dashboard.py)."""
