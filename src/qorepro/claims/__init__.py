"""Claims audit: every checkable statement of a paper becomes a machine verdict.

:mod:`.base` (verdicts, the data view, helpers), one module of evaluators per paper
(:mod:`.lai2025`, :mod:`.jiao`), and :mod:`.decide` (verdicts from evaluator answers).
"""
from .base import VERDICTS, ClaimResult, Data  # noqa: F401
from .decide import EVALUATORS, evaluate, format_measured, resolve_thresholds  # noqa: F401
