"""Benchmarks: `make bench` runs every module here; each prints its figures and the ratio to its baseline."""
