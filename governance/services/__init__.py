"""Governance writes (services)."""
