"""Governance reads (selectors)."""
