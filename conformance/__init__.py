"""Conformance engine: scenarios, checks, pytest plugin, targets and reports."""
