"""Parameter grids over named sweep axes, for every model: axis values, the one translator of
overrides, and batched parameter sets.

A model declares its sweep axes (``model.axes``: axis name → :class:`~qorepro.models.base.Axis`
with the parameter fields it sets — ``gamma`` sets γ₁ = γ₂ — and, for an axis whose values are
names, ``named_values``: ``direction`` takes left/right → ±1).  Everything that turns names into
parameter values goes through :func:`axis_values` and :func:`overrides`: the workflow's figures
(:mod:`qorepro.workflow.figure`), the validation of a configuration and the library
:func:`qorepro.sweep.sweep`.  No engine code.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .models.base import DIRECTIONS  # noqa: F401 (re-exported)


def axis_values(model, name: str, values) -> tuple[np.ndarray, np.ndarray]:
    """(coordinate values, numeric parameter values) of the swept axis ``name`` of ``model``:
    numbers as floats, names of an axis with ``named_values`` through that table (the
    coordinate keeps the names)."""
    if name not in model.axes:
        raise KeyError(f"unknown sweep axis {name!r}; known axes: {sorted(model.axes)}")
    vals = np.asarray(values)
    if vals.ndim != 1 or vals.size == 0:
        raise ValueError(f"axis {name!r} needs a non-empty 1-D list of values")
    named = model.axes[name].named_values
    if named:
        bad = [v for v in vals if str(v) not in named]
        if bad:
            raise ValueError(f"{name} values must be {' or '.join(map(repr, named))}, got {', '.join(map(str, bad))}")
        return vals.astype(str), np.array([named[str(v)] for v in vals])
    if vals.dtype.kind not in "iuf" or not np.all(np.isfinite(vals.astype(float))):
        raise ValueError(f"axis {name!r}: values must be finite numbers, got {list(values)[:5]}")
    return vals.astype(float), vals.astype(float)


def overrides(model, ov: Mapping[str, object] | None) -> dict:
    """Scalar overrides by axis name (``{"gamma": 0.01, "direction": "left"}``) or by parameter
    field name → parameter fields (an axis may set several).  The one translator of fixed values,
    series, references and figure parameters."""
    fields_ = set(model.Params.__dataclass_fields__)
    out = {}
    for name, value in (ov or {}).items():
        if name in model.axes:
            _, numeric = axis_values(model, name, [value])
            for fld in model.axes[name].fields:
                out[fld] = float(numeric[0])
        elif name in fields_:
            if isinstance(value, (str, bool)) or not np.isfinite(float(value)):
                raise ValueError(f"{name} = {value!r}: a finite number is required")
            out[name] = float(value)
        else:
            raise KeyError(f"unknown parameter or axis {name!r} of model {model.name}; axes: {sorted(model.axes)}, "
                           f"parameters: {sorted(fields_)}")
    return out


def grid(model, axes: Mapping[str, object], point: Mapping[str, float]) -> tuple:
    """Cartesian product (C order) of ``axes`` (name → values) around ``point`` (field → value)
    → (coords, shape, flat): ``flat`` maps every parameter field to one float per point."""
    coords, numeric = {}, []
    for name, values in axes.items():
        coords[name], num = axis_values(model, name, values)
        numeric.append(num)
    shape = tuple(v.size for v in numeric)
    size = int(np.prod(shape)) if shape else 1
    flat = {k: np.full(size, float(v)) for k, v in point.items()}
    for name, mesh in zip(axes, np.meshgrid(*numeric, indexing="ij") if numeric else []):
        for f in model.axes[name].fields:
            flat[f] = mesh.ravel()
    return coords, shape, flat


def grid_params(axes: Mapping[str, np.ndarray], base, model):
    """Cartesian product of the axes as one batched parameter set of ``base`` (C order)."""
    coords, shape, flat = grid(model, axes, {})
    params = base.replace(**flat)
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
