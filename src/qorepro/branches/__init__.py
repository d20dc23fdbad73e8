"""Limit-cycle branches: shooting, pseudo-arclength continuation, bifurcations of cycles.

Generic over the vector field: everything takes ``f(x, p, *args)`` (a state x (d,), a scalar
parameter p, JAX-traceable; ``args`` runtime arguments such as a model's coefficients) and
knows nothing of the model it comes from.

* :mod:`~qorepro.branches.shooting` — the period map, its Jacobian (monodromy), Newton;
* :mod:`~qorepro.branches.arclength` — pseudo-arclength continuation in p;
* :mod:`~qorepro.branches.events` — folds, period doublings, tori: detection and location;
* :mod:`~qorepro.branches.trace` — branches from seeds, merged, as a :class:`BranchSet`;
* :mod:`~qorepro.branches.fields` — a model's rhs(x, c) as such a field, for a parameter that
  enters its coefficients affinely.

The names below are imported on first use (PEP 562), so that reading branch results
(:mod:`~qorepro.branches.mechanism`, the figures) does not start JAX.
"""
import importlib

_EXPORTS = {"ContinuationSettings": "arclength", "KINDS": "events", "Event": "events",
            "affine_coefficients": "fields", "affine_field": "fields", "Scales": "shooting", "Shooting": "shooting",
            "floquet": "shooting", "Branch": "trace", "BranchSet": "trace", "Seed": "trace", "trace_branches": "trace"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
