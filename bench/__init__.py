"""Benchmarks: figures for bench/RESULTS.md, never timed assertions in tests."""
