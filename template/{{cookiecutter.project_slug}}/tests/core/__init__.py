"""Tests of the pure core layer."""
