"""Parameter grids over named sweep axes: axis values, overrides, batched parameter sets.

A model declares its sweep axes (``model.axes``: axis name → :class:`~qorepro.models.base.Axis`
with the parameter fields it sets; e.g. ``gamma`` sets γ₁ = γ₂; an axis with ``named_values``
takes names, e.g. ``direction``: left/right); this module turns axes and overrides given by
name into one batched parameter set (the Cartesian product, C order) of any model.  No engine
code: the workflow resolves grids with it while the DAG is built.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .models.base import DIRECTIONS  # noqa: F401 (re-exported)


def _axis_values(name, values, model):
    if name not in model.axes:
        raise KeyError(f"unknown sweep axis {name!r}; known axes: {sorted(model.axes)}")
    vals = np.asarray(values)
    if vals.ndim != 1 or vals.size == 0:
        raise ValueError(f"axis {name!r} needs a non-empty 1-D list of values")
    named = model.axes[name].named_values
    if named:
        bad = [v for v in vals if str(v) not in named]
        if bad:
            raise ValueError(f"{name} values must be {' or '.join(map(repr, named))}, got {bad}")
        return vals.astype(str), np.array([named[str(v)] for v in vals])
    if vals.dtype.kind not in "iuf" or not np.all(np.isfinite(vals.astype(float))):
        raise ValueError(f"axis {name!r}: values must be finite numbers, got {list(values)[:5]}")
    return vals.astype(float), vals.astype(float)


def grid_params(axes: Mapping[str, np.ndarray], base, model):
    """Cartesian product of the axes as one batched parameter set (C order)."""
    coords, numeric = {}, {}
    for name, values in axes.items():
        coords[name], numeric[name] = _axis_values(name, values, model)
    shape = tuple(len(v) for v in numeric.values())
    mesh = np.meshgrid(*numeric.values(), indexing="ij") if numeric else []
    changes = {}
    for (name, _), m in zip(numeric.items(), mesh):
        for fld in model.axes[name].fields:
            changes[fld] = m.ravel()
    params = base.replace(**changes)
    if not shape:   # no axes: a single point, as a batch of one
        params = concat_params([params])
    return coords, shape, params


def axis_overrides(overrides: Mapping[str, object], model) -> dict:
    """Scalar overrides given by axis name (e.g. ``{"gamma": 0.01, "direction": "left"}``)
    or by parameter field name, translated to parameter fields."""
    fields_ = set(model.Params.__dataclass_fields__)
    out = {}
    for name, value in overrides.items():
        if name in model.axes:
            _, numeric = _axis_values(name, [value], model)
            for fld in model.axes[name].fields:
                out[fld] = float(numeric[0])
        elif name in fields_:
            if isinstance(value, str) or not np.isfinite(float(value)):
                raise ValueError(f"{name} = {value!r}: a finite number is required")
            out[name] = float(value)
        else:
            raise KeyError(f"unknown parameter or axis {name!r}; axes: {sorted(model.axes)}, "
                           f"parameters: {sorted(fields_)}")
    return out


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
