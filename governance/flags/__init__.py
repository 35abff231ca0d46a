"""Flags: rules that notice what a person must look at (rules.py), scans that raise and resolve them."""
