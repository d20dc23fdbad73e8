"""Which figure engine computes a figure: chosen by what its model *is* (its ``kind``).

An engine module provides ``check_figure(fig, fspec, config)``, ``resolve(config, figure,
base=None)`` → :class:`~qorepro.workflow.record.FigureSpec`, ``n_points(spec)`` and
``compute_figure(spec, outdir, **execution)``; time-domain engines also ``compute_chunk`` and
``merge_chunks``.
"""
from __future__ import annotations

from ..models import MODELS
from . import steady, timedomain

ENGINES = {"time_domain": timedomain, "steady_state": steady}


def engine_for(model: str):
    """The engine module for a model name (``lai2025``, ``jiao2020`` …)."""
    return ENGINES[MODELS[model].kind]
