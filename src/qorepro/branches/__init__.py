"""Limit-cycle branches: shooting, pseudo-arclength continuation, bifurcations of cycles.

Generic over the vector field: everything takes ``f(x, p)`` (a state x (d,), a scalar
parameter p, JAX-traceable) and knows nothing of the model it comes from.

* :mod:`~qorepro.branches.shooting` — the period map, its Jacobian (monodromy), Newton;
* :mod:`~qorepro.branches.arclength` — pseudo-arclength continuation in p;
* :mod:`~qorepro.branches.events` — folds, period doublings, tori: detection and location;
* :mod:`~qorepro.branches.trace` — branches from seeds, merged, as a :class:`BranchSet`.
"""
from .arclength import ContinuationSettings
from .events import KINDS, Event
from .shooting import Scales, Shooting, floquet
from .trace import Branch, BranchSet, Seed, trace_branches

__all__ = ["KINDS", "Branch", "BranchSet", "ContinuationSettings", "Event", "Scales", "Seed", "Shooting",
           "floquet", "trace_branches"]
