"""Benchmarks of rendered projects (run by hand; pytest only smoke-tests them)."""
