"""Governance views, one module per screen family."""
