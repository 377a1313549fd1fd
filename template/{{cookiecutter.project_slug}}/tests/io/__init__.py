"""Tests of the side-effect layer."""
