"""Benchmarks and evaluations (`make eval`, `make bench`)."""
