"""Firebreak's incident domain: pure decisions over frozen values; no I/O, no clock reads."""
