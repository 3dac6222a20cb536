"""Hostile and broken input: a corpus made by scripts, and the bounds each case must keep.

Nothing here is a hand-made binary: every file is written by a `make_*` function when the
tests (or `python -m tests.hostile.generate DIR`) ask for it.
"""
