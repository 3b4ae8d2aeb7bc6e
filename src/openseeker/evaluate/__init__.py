"""Evaluation: benchmarks, judges, metrics and reports."""
