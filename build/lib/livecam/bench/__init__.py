"""Benchmark records: one JSON per run with machine, configuration, per-frame rows, summary."""
