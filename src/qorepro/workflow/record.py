"""The params record of a figure, parsed once into a typed object.

The ``params`` stage writes ``results/<run>/params/<figure>.json``: every axis expanded to its
values for the run's preset, every series' overrides translated to model parameter fields,
the full base parameter set and solver settings.  Every later stage reads it with
:meth:`FigureSpec.load` and works with the typed :class:`FigureSpec` / :class:`PanelSpec`
instead of re-deriving settings from the dict.  :meth:`FigureSpec.to_record` gives back
exactly the JSON that was read (``load → to_record`` round-trips).

This module also holds the small helpers every engine's resolution shares (axis values,
the config error type); it imports nothing else of the workflow package.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class ConfigError(ValueError):
    """A configuration value that the JSON schema cannot catch (the message names its key)."""


#: the model of a figure that names none (``figures.<fig>.model``; equal to the schema's default,
#: which a test checks)
DEFAULT_MODEL = "lai2025"


def model_of(fspec: dict) -> str:
    """The model name of a configured figure: the one place that knows the default."""
    return fspec.get("model", DEFAULT_MODEL)


def solver_settings(d: dict):
    """A time-domain solver configuration (``solver:``, merged with the preset's) →
    :class:`~qorepro.settings.SolverSettings` (which checks it)."""
    from ..settings import SolverSettings
    return SolverSettings(t_end_tau=d["t_end_tau"], window_tau=tuple(d["window_tau"]),
                          steps_per_tau=d["steps_per_tau"], samples_per_tau=d["samples_per_tau"],
                          method=d["method"])


def jsonable(obj: Any):
    """Plain JSON types (numpy scalars → Python, tuples → lists), recursively."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def panel_axes(pspec: dict) -> list:
    """The axis specifications of a configured panel: x, y and the maximised-over axis."""
    axes = [pspec[k] for k in ("x", "y") if k in pspec]
    if "over" in pspec:
        axes.append(pspec["over"])
    return axes


def axis_n(ax: dict, kind_default: int, preset: str) -> int:
    """Number of points of an axis: explicit ``values``, or ``n`` (per preset) or the default."""
    if "values" in ax:
        return len(ax["values"])
    n = ax.get("n", kind_default)
    if isinstance(n, dict):
        n = n.get(preset, kind_default)
    return int(n)


def axis_values(ax: dict, kind_default: int, preset: str) -> list:
    """Values of one axis: explicit ``values``, or ``range`` with ``n`` points (n may be a
    per-preset mapping; otherwise the preset's default for the panel kind)."""
    if "values" in ax:
        return list(ax["values"])
    n = axis_n(ax, kind_default, preset)
    lo, hi = ax["range"]
    vals = np.geomspace(lo, hi, n) if ax.get("scale") == "log" else np.linspace(lo, hi, n)
    return [float(v) for v in vals]


@dataclass(frozen=True)
class PanelSpec:
    """One resolved panel: its kind, swept axes (name → values), cases and variables."""

    name: str
    kind: str
    axes: dict
    x: str | None
    y: str | None
    over: str | None
    fixed: dict
    series: dict
    reference: dict | None
    variables: list
    traces: bool
    title: str = ""
    #: steady-state revival panels: the axis the reference case is maximised over
    reference_over: str | None = None

    def to_record(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "name"}
        if self.reference_over is None:
            d.pop("reference_over")
        return d

    @classmethod
    def from_record(cls, name: str, d: dict) -> PanelSpec:
        return cls(name=name, **d)

    @property
    def labels(self) -> list:
        """The series labels, in order."""
        return list(self.series)


@dataclass(frozen=True)
class FigureSpec:
    """One figure of one run, as computed: the single record every stage reads."""

    figure: str
    run: str
    preset: str
    model: str
    code_version: str
    title: str
    caption: str
    source: str
    group: str
    parameters: dict
    solver: dict
    panels: dict            # name → PanelSpec
    plot: dict = field(default_factory=dict)
    #: time-domain models only
    initial_state: dict | None = None
    certification: dict | None = None
    #: steady-state models only
    parameter_units: dict | None = None
    #: continue every point from the stored end state of this run's data (time-domain)
    continue_from: dict | None = None
    #: the truncated-Wigner ensemble's settings where the run computes it (time-domain)
    twa: dict | None = None

    # ------------------------------------------------------------------ (de)serialisation
    def to_record(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["panels"] = {k: p.to_record() for k, p in self.panels.items()}
        return jsonable({k: v for k, v in d.items() if v is not None})

    @classmethod
    def from_record(cls, d: dict) -> FigureSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"params record of {d.get('figure', '?')}: unknown field(s) {sorted(unknown)}")
        panels = {k: PanelSpec.from_record(k, p) for k, p in d["panels"].items()}
        return cls(**{**d, "panels": panels})

    def to_json(self) -> str:
        return json.dumps(self.to_record(), sort_keys=True, indent=1)

    @classmethod
    def load(cls, path: str) -> FigureSpec:
        with open(path) as fh:
            return cls.from_record(json.load(fh))

    # ---------------------------------------------------------------------------- helpers
    @property
    def model_object(self):
        from ..models import MODELS
        return MODELS[self.model]

    @property
    def solver_settings(self):
        """The time-domain solver settings (:class:`~qorepro.settings.SolverSettings`)."""
        return solver_settings(self.solver)

    @property
    def certification_settings(self):
        """The certification settings (:class:`~qorepro.settings.CertificationSettings`)."""
        from ..settings import CertificationSettings
        return CertificationSettings(**self.certification)

    @property
    def twa_settings(self):
        """The truncated-Wigner settings (:class:`~qorepro.settings.TWASettings`); None where off."""
        from ..settings import TWASettings
        return TWASettings(**self.twa) if self.twa else None

    @property
    def initial(self):
        """The initial state of a time-domain model (its ``Initial`` class)."""
        ini = self.initial_state
        means = tuple(complex(r, i) for r, i in zip(ini["means_re"], ini["means_im"]))
        return self.model_object.Initial(means=means, n_init=ini.get("n_init", 0.0))

    def content(self) -> dict:
        """The record without what only names it (run, title, caption, source, group):
        two runs whose figures have the same content compute the same numbers."""
        d = self.to_record()
        for k in ("run", "title", "caption", "source", "group", "plot"):
            d.pop(k, None)
        return d
