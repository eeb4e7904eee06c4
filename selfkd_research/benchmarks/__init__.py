"""Benchmarks (docs/performance.md): train/inference speed, peak memory and
FLOP/s of the methods; the logic behind ``tools/analysis/benchmark_*.py``."""
