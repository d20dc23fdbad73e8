"""Parameter grids over named sweep axes for :func:`qorepro.sweep.sweep`: axis values and
batched parameter sets.

A model declares its sweep axes (``model.axes``: axis name → parameter fields it sets, units,
long name; e.g. ``gamma`` sets γ₁ = γ₂); this module turns axes given by name into one batched
parameter set (the Cartesian product, C order).  The workflow's figures build their grids and
translate overrides in :mod:`qorepro.workflow.figure`.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .models import lai2025

#: the light input directions by name (σ_a = ±ΩΛ)
DIRECTIONS = {"left": 1.0, "right": -1.0}


def _axis_values(name, values, model=lai2025.MODEL):
    if name not in model.axes:
        raise KeyError(f"unknown sweep axis {name!r}; known axes: {sorted(model.axes)}")
    vals = np.asarray(values)
    if vals.ndim != 1 or vals.size == 0:
        raise ValueError(f"axis {name!r} needs a non-empty 1-D list of values")
    if name == "direction":
        bad = [v for v in vals if str(v) not in DIRECTIONS]
        if bad:
            raise ValueError(f"direction values must be 'left' or 'right', got {bad}")
        return vals.astype(str), np.array([DIRECTIONS[str(v)] for v in vals])
    if vals.dtype.kind not in "iuf" or not np.all(np.isfinite(vals.astype(float))):
        raise ValueError(f"axis {name!r}: values must be finite numbers, got {list(values)[:5]}")
    return vals.astype(float), vals.astype(float)


def grid_params(axes: Mapping[str, np.ndarray], base, model=lai2025.MODEL):
    """Cartesian product of the axes as one batched parameter set (C order)."""
    coords, numeric = {}, {}
    for name, values in axes.items():
        coords[name], numeric[name] = _axis_values(name, values, model)
    shape = tuple(len(v) for v in numeric.values())
    mesh = np.meshgrid(*numeric.values(), indexing="ij") if numeric else []
    changes = {}
    for (name, _), m in zip(numeric.items(), mesh):
        for fld in model.axes[name][0]:
            changes[fld] = m.ravel()
    params = base.replace(**changes)
    if not shape:   # no axes: a single point, as a batch of one
        params = concat_params([params])
    return coords, shape, params


def slice_params(params, sl):
    """The points ``sl`` of a batched parameter set."""
    d = {}
    for k, v in vars(params).items():
        a = np.asarray(v)
        d[k] = a[sl] if a.ndim else v
    return params.replace(**d)


def concat_params(parts):
    """Concatenate several (batched or scalar) parameter sets into one batch."""
    parts = list(parts)
    sizes = [p.batch_size for p in parts]
    d = {}
    for k in vars(parts[0]):
        d[k] = np.concatenate([np.broadcast_to(np.asarray(getattr(p, k), dtype=float), (n,))
                               for p, n in zip(parts, sizes)])
    return parts[0].replace(**d)
