"""The model protocol: what every paper's model declares, with the same names and shapes.

A model is one object (``MODEL`` in its module, registered in :data:`qorepro.models.MODELS`)
that the engines, plotting and claims ask instead of comparing model names:

* ``name``, ``kind`` (``time_domain``: mean fields + covariance integrated in time;
  ``steady_state``: linearised stable fixed point, Lyapunov covariance), ``references``;
* parameters: ``Params`` (a frozen dataclass type with ``replace``/``to_dict``/``to_json``) and
  ``defaults`` (``Params()``; the paper's values);
* ``axes``: sweep axis name → :class:`Axis` (the parameter fields a value sets, units, long
  name, plot label);
* ``variables``: result variable name → :class:`Variable` (units, long name, plot label), and
  ``default_variable`` (what a figure shows when it names none: S_Q for Lai, E_N for Jiao);
* modes: ``mode_names``, ``quadrature_names`` (``2 n_modes`` of them), ``mechanical_modes``
  and ``optical_modes`` (indices into ``mode_names``), ``entangled_modes`` (the pair E_N is
  reported for);
* plot text: ``labels`` (any name a figure of this model plots → mathtext label) and
  ``parameter_symbols`` (parameter field → (mathtext symbol, unit suffix) for legends);
* the physics, written once: ``coefficients(params)`` (a JAX pytree of arrays, leaves (N,)),
  ``mean_field_rhs(x, c)`` and ``diffusion_matrix(c)``.

Array layout, the same for every model: **batch last** in the model's equations.  A state is
``x`` of shape (2n, N) (or (2n,) for one point with scalar coefficients), ``mean_field_rhs`` is
elementwise in the trailing axes, ``diffusion_matrix(c)`` is (2n, 2n, N).  The drift is never
written by hand: it is the Jacobian ∂f/∂x of ``mean_field_rhs``, taken by automatic
differentiation (:func:`qorepro.gaussian.drift_matrix`, which returns it batch-first,
(N, 2n, 2n), the layout of per-point results and of numpy's batched linear algebra).

A steady-state model also provides ``solve(p)`` (all per-point results of a batch) and
``steady_state(c)`` (its fixed point, (2n, N)); a time-domain model ``Initial``,
``wigner_drift``, ``fixed_point_candidates`` and ``observables``.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

#: what a model can be; the workflow dispatches on it
KINDS = ("time_domain", "steady_state")
#: the light input directions by name (the ``named_values`` of a direction axis)
DIRECTIONS = {"left": 1.0, "right": -1.0}


class Axis(NamedTuple):
    """A sweep axis: the parameter fields one value sets (e.g. ``gamma`` sets γ₁ = γ₂), the
    units and long name of its coordinate, its plot label (mathtext) and, for an axis whose
    values are names (``direction``: left/right), name → parameter value."""

    fields: tuple[str, ...]
    units: str
    long_name: str
    label: str = ""
    named_values: Mapping[str, float] | None = None


class Variable(NamedTuple):
    """A result variable: units, long name (NetCDF attributes) and plot label (mathtext)."""

    units: str
    long_name: str
    label: str = ""


@runtime_checkable
class Model(Protocol):
    """The attributes every model has (see the module docstring for their meaning)."""

    name: str
    kind: str
    references: tuple[str, ...]
    Params: type
    defaults: Any
    axes: Mapping[str, Axis]
    variables: Mapping[str, Variable]
    default_variable: str
    mode_names: tuple[str, ...]
    quadrature_names: tuple[str, ...]
    n_modes: int
    mechanical_modes: tuple[int, ...]
    optical_modes: tuple[int, ...]
    entangled_modes: tuple[int, int]
    labels: Mapping[str, str]
    parameter_symbols: Mapping[str, tuple[str, str]]
    coefficients: Callable
    mean_field_rhs: Callable
    diffusion_matrix: Callable


def as_dict(p) -> dict:
    """A parameter record (a Params dataclass or a mapping of field names) as a dict."""
    if dataclasses.is_dataclass(p):
        return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}
    return dict(p) if isinstance(p, Mapping) else {}


def batched(r: Mapping) -> dict:
    """A dict of arrays broadcast to one common batch axis: (N,) leaves (a JAX pytree)."""
    shape = np.broadcast(*r.values()).shape
    n = int(np.prod(shape)) if shape else 1
    return {k: np.ascontiguousarray(np.broadcast_to(v, shape).reshape(n)) for k, v in r.items()}


def map_coefficients(fn, c):
    """``fn`` applied to every leaf of a model's coefficients (a NamedTuple or a dict of
    arrays), same container type — numpy-side, without JAX (which sees both as pytrees)."""
    if isinstance(c, Mapping):
        return type(c)((k, fn(v)) for k, v in c.items())
    return type(c)(*(fn(v) for v in c))


def nonlinear_modes(model) -> tuple[int, ...]:
    """The modes that enter a nonlinear term quadratically (the optional attribute
    ``nonlinear_modes``; default: all modes) — those the TWA certificate watches
    (:mod:`qorepro.twa_validity`)."""
    return tuple(getattr(model, "nonlinear_modes", range(model.n_modes)))


def n_points(c) -> int:
    """The batch size N of a model's coefficients (every leaf has shape (N,))."""
    leaves = c.values() if isinstance(c, Mapping) else c
    return int(np.shape(next(iter(leaves)))[0])


def take(c, idx):
    """The coefficients of the points ``idx`` (an index array or slice)."""
    return map_coefficients(lambda v: np.asarray(v)[idx], c)


def plot_labels(axes: Mapping[str, Axis], variables: Mapping[str, Variable], **extra: str) -> dict:
    """name → mathtext label: the labelled axes and variables, then ``extra`` names."""
    out = {k: a.label for k, a in axes.items() if a.label}
    out.update({k: v.label for k, v in variables.items() if v.label})
    out.update(extra)
    return out


def _jsonable(v):
    a = np.asarray(v)
    return a.tolist() if a.ndim else float(a)


class ParamsMixin:
    """``replace``/``to_dict``/``to_json``/``batch_size`` for a frozen parameter dataclass
    whose fields are scalars or 1-D arrays (a batch of parameter points)."""

    def replace(self, **changes):
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise KeyError(f"unknown {type(self).__name__} field(s): {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @property
    def batch_size(self) -> int:
        sizes = {np.size(getattr(self, f.name)) for f in dataclasses.fields(self)} - {1}
        if len(sizes) > 1:
            raise ValueError(f"{type(self).__name__} fields have inconsistent batch sizes {sizes}")
        return sizes.pop() if sizes else 1


def params_type(name: str, defaults: Mapping[str, float], doc: str) -> type:
    """A frozen parameter dataclass with the given field defaults (floats), plus
    :class:`ParamsMixin`."""
    cls = dataclasses.make_dataclass(name, [(k, float, dataclasses.field(default=v)) for k, v in defaults.items()],
                                     bases=(ParamsMixin,), frozen=True)
    cls.__doc__ = doc
    return cls


def check(model) -> list[str]:
    """What ``model`` lacks or gets wrong of the protocol (empty: it satisfies it)."""
    problems = [f"missing attribute {a!r}" for a in Model.__protocol_attrs__ if not hasattr(model, a)] \
        if hasattr(Model, "__protocol_attrs__") else \
        [f"missing attribute {a!r}" for a in Model.__annotations__ if not hasattr(model, a)]
    if problems:
        return problems
    if model.kind not in KINDS:
        problems.append(f"kind {model.kind!r} not in {KINDS}")
    if len(model.quadrature_names) != 2 * model.n_modes or len(model.mode_names) != model.n_modes:
        problems.append("mode_names/quadrature_names do not match n_modes")
    for attr in ("mechanical_modes", "optical_modes", "entangled_modes"):
        if not all(0 <= i < model.n_modes for i in getattr(model, attr)):
            problems.append(f"{attr} out of range")
    if set(model.mechanical_modes) & set(model.optical_modes):
        problems.append("a mode is both mechanical and optical")
    fields = {f.name for f in dataclasses.fields(model.Params)}
    for k, a in model.axes.items():
        if not isinstance(a, Axis) or not set(a.fields) <= fields:
            problems.append(f"axis {k!r} is not an Axis over Params fields")
    for k, v in model.variables.items():
        if not isinstance(v, Variable):
            problems.append(f"variable {k!r} is not a Variable")
    if model.default_variable not in model.variables:
        problems.append(f"default variable {model.default_variable!r} not among the variables")
    if not set(model.parameter_symbols) <= fields | set(model.axes):
        problems.append("parameter_symbols name unknown parameters")
    if model.defaults != model.Params():
        problems.append("defaults differ from Params()")
    return problems


@dataclasses.dataclass(frozen=True)
class CoherentInitial:
    """A single-mode coherent start |α₀⟩ (default the vacuum): Wigner mean α₀ and
    Var(Re α) = Var(Im α) = ¼, i.e. the quadrature covariance I/2 (the small validation models)."""

    alpha0: complex = 0j

    def as_real(self, n_batch: int) -> np.ndarray:
        z = complex(self.alpha0)
        return np.repeat(np.array([[z.real], [z.imag]]), n_batch, axis=1)

    def covariance(self, n_batch: int) -> np.ndarray:
        return np.repeat(0.5 * np.eye(2)[None], n_batch, axis=0)


def broadcast_coefficients(p, kind):
    """``kind`` (a NamedTuple of coefficient names) filled from the same-named fields of the
    parameter set ``p``, each broadcast to the batch, shape (N,), float."""
    n = p.batch_size
    return kind(*(np.ascontiguousarray(np.broadcast_to(np.asarray(getattr(p, f), dtype=float), (n,)))
                  for f in kind._fields))
