"""Benchmarks: ``python -m bench`` (see docs/performance.md). Never imported by the test suite."""
