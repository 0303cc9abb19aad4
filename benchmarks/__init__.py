"""Reproducible benchmarks: ``python -m benchmarks NAME [options]`` (see README.md here)."""
