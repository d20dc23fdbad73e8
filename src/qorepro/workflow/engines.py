"""The DAG's handle on the figure engine, per model (kept for the Snakemake rules).

:func:`engine_for` gives an object with the figure engine's functions
(:mod:`qorepro.workflow.figure`: ``check_figure``, ``resolve``, ``compute_figure``,
``compute_chunk``, ``merge_chunks``) and ``n_points(spec)`` = the points a chunked sweep splits
(0 for a kind whose figures are never split: the rules derive the number of chunk jobs from
it).  New code calls :mod:`qorepro.workflow.figure` directly (``figure.n_chunks``).
"""
from __future__ import annotations

from types import SimpleNamespace

from . import figure


def engine_for(model: str):
    """The figure engine as the rules call it, for a model name (``lai2025``, ``jiao2020`` …)."""
    chunked = figure.evaluator(model).CHUNKED
    return SimpleNamespace(
        check_figure=figure.check_figure, resolve=figure.resolve, compute_figure=figure.compute_figure,
        compute_chunk=figure.compute_chunk, merge_chunks=figure.merge_chunks,
        n_points=(lambda spec: figure.n_points(spec) if chunked else 0))
