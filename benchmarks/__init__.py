"""Stand-alone benchmarks: ``python -m benchmarks.<name>``."""
