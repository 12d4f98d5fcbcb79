"""evalguard: an inference-readiness linter for PyTorch code.

The static checker reads code with libcst and never imports torch; the dynamic checker
(`evalguard.dynamic`, used by `--confirm` and `probe`) is the only part that does.
"""
__version__ = "0.1.0"
