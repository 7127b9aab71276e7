"""Benchmarks (run by hand, never as timed tests): `python -m bench.sync`, `bench/bench_sandbox.py`."""
