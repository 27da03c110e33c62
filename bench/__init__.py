"""Benchmarks of this machine's figures in the README; ``bench.support`` and ``bench.scratch``
hold what they share.

Run each from the repository root as a module, ``python -m bench.<name> --help``, so the
project's packages import without a path change and no bench shadows an app.
"""
