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
"""
from .arclength import ContinuationSettings
from .events import KINDS, Event
from .fields import affine_coefficients, affine_field
from .shooting import Scales, Shooting, floquet
from .trace import Branch, BranchSet, Seed, trace_branches

__all__ = ["KINDS", "Branch", "BranchSet", "ContinuationSettings", "Event", "Scales", "Seed", "Shooting",
           "affine_coefficients", "affine_field", "floquet", "trace_branches"]
