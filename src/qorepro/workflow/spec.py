"""Resolve the workflow configuration into concrete per-figure specifications.

The configuration (``config/config.yaml``, validated against ``config/schema.yaml``) holds
the base parameters, solver settings, presets and, under ``figures:``, one entry per figure
with its panels.  :func:`resolve_figure` turns one entry into the JSON record written by the
``params`` stage: every axis expanded to its values for the chosen preset, every series'
overrides translated to model parameter fields, and the full base parameter set.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import __version__
from ..models import lai2025
from ..solver import SolverSettings
from ..stability import CertificationSettings
from ..sweep import AXES, axis_overrides
from . import steady



class ConfigError(ValueError):
    """A configuration value that the JSON schema cannot catch (named by its key)."""


def check_config(config: dict) -> None:
    """Relational checks beyond the JSON schema; raise :class:`ConfigError` naming the key."""
    s = config["solver"]
    lo, hi = s["window_tau"]
    if not (0 <= lo < hi <= s["t_end_tau"]):
        raise ConfigError(f"solver.window_tau = {s['window_tau']}: need 0 <= start < end <= "
                          f"solver.t_end_tau = {s['t_end_tau']}")
    try:
        SolverSettings(t_end_tau=s["t_end_tau"], window_tau=tuple(s["window_tau"]),
                       steps_per_tau=s["steps_per_tau"], samples_per_tau=s["samples_per_tau"],
                       method=s["method"])
    except ValueError as e:
        raise ConfigError(f"solver: {e}") from None
    if config["preset"] not in config["presets"]:
        raise ConfigError(f"preset = {config['preset']!r} is not one of presets: {sorted(config['presets'])}")
    try:
        lai2025.LaiParams().replace(**config.get("parameters", {}))
    except KeyError as e:
        raise ConfigError(f"parameters: {e.args[0]}") from None
    for model in (config.get("models") or {}):
        try:
            steady.base_parameters(config, model)
        except KeyError as e:
            raise ConfigError(e.args[0]) from None
    for fig, fspec in config["figures"].items():
        if steady.model_of(fspec) != "lai2025":
            _check_steady_figure(fig, fspec)
            continue
        if fspec.get("parameters"):
            raise ConfigError(f"figures.{fig}.parameters: figure-level parameters are for the "
                              "steady-state models; use the top-level `parameters` for lai2025")
        for pname, pspec in fspec["panels"].items():
            where = f"figures.{fig}.panels.{pname}"
            for ax in _panel_axes(pspec):
                if ax["axis"] not in AXES:
                    raise ConfigError(f"{where}: unknown axis {ax['axis']!r}; known: {sorted(AXES)}")
            for label, ov in (pspec.get("series") or {}).items():
                try:
                    axis_overrides(ov)
                except (KeyError, ValueError) as e:
                    raise ConfigError(f"{where}.series.{label}: {e}") from None
            try:
                axis_overrides(pspec.get("fixed") or {})
            except (KeyError, ValueError) as e:
                raise ConfigError(f"{where}.fixed: {e}") from None


def _check_steady_figure(fig: str, fspec: dict) -> None:
    model = steady.model_of(fspec)
    try:
        steady.overrides(model, fspec.get("parameters") or {})
    except (KeyError, ValueError) as e:
        raise ConfigError(f"figures.{fig}.parameters: {e.args[0]}") from None
    for pname, p in fspec["panels"].items():
        where = f"figures.{fig}.panels.{pname}"
        try:
            steady.check_axes(model, [a["axis"] for a in _panel_axes(p)], where)
            if "reference_over" in p:
                steady.check_axes(model, [p["reference_over"]["axis"]], where)
            for label, ov in (p.get("series") or {}).items():
                steady.overrides(model, ov)
            steady.overrides(model, p.get("fixed") or {})
            steady.overrides(model, p.get("reference") or {})
        except (KeyError, ValueError) as e:
            raise ConfigError(f"{where}: {e.args[0]}") from None
        if p["kind"] in ("trace", "sagnac", "table") or (
                p["kind"] == "fizeau" and not hasattr(steady.STEADY_MODELS[model], "fizeau_shift_MHz")):
            raise ConfigError(f"{where}: kind {p['kind']!r} is not available for model {model}")
        if p["kind"] == "revival" and not ("over" in p or "reference_over" in p):
            raise ConfigError(f"{where}: a revival panel needs `over` or `reference_over`")
        if "Delta_E_N" in p.get("variables", []) and set(p.get("series") or {}) != {"left", "right"}:
            raise ConfigError(f"{where}: Delta_E_N needs exactly the series left and right")


def deep_merge(base: dict, overlay: dict) -> dict:
    """A copy of ``base`` with ``overlay`` merged in recursively (dicts merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for k, v in overlay.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def variant_config(config: dict, name: str, overlay: dict) -> dict:
    """Configuration of a named variant run: the current config with the variant's overlay.

    The variant's run name is ``name`` (an overlay may not rename it), and a variant cannot
    add or remove figures or panels (their output files are fixed when the DAG is built).
    """
    if "run" in overlay and overlay["run"] != name:
        raise ConfigError(f"variants.{name}: its overlay sets run = {overlay['run']!r}; it must be {name!r}")
    merged = deep_merge({k: v for k, v in config.items() if k != "variants"}, overlay)
    merged["run"] = name
    for fig, spec in merged["figures"].items():
        if fig not in config["figures"] or set(spec["panels"]) != set(config["figures"][fig]["panels"]):
            raise ConfigError(f"variants.{name}: figure {fig!r} must keep the panels of the base config")
    return merged


def _panel_axes(pspec) -> list:
    axes = [pspec[k] for k in ("x", "y") if k in pspec]
    if "over" in pspec:
        axes.append(pspec["over"])
    return axes


def axis_values(ax: dict, kind_default: int, preset: str) -> list:
    """Values of one axis: explicit ``values``, or ``range`` with ``n`` points (n may be a
    per-preset mapping; otherwise the preset's default for the panel kind)."""
    if "values" in ax:
        return list(ax["values"])
    n = ax.get("n", kind_default)
    if isinstance(n, dict):
        n = n.get(preset, kind_default)
    lo, hi = ax["range"]
    if ax.get("scale") == "log":
        vals = np.geomspace(lo, hi, int(n))
    else:
        vals = np.linspace(lo, hi, int(n))
    return [float(v) for v in vals]


def resolve_figure(config: dict, figure: str) -> dict:
    """The ``params`` record of one figure (plain JSON-able dict)."""
    if figure not in config["figures"]:
        raise ConfigError(f"unknown figure {figure!r}; known: {sorted(config['figures'])}")
    preset = config["preset"]
    pre = config["presets"][preset]
    fspec = config["figures"][figure]
    if steady.model_of(fspec) != "lai2025":
        return _resolve_steady(config, figure)
    base = lai2025.LaiParams().replace(**config.get("parameters", {}))
    solver = copy.deepcopy(config["solver"])
    solver.update(pre.get("solver", {}))
    panels = {}
    for pname, p in fspec["panels"].items():
        kind = p["kind"]
        default_n = pre["map_points"] if kind in ("map", "revival") else pre["line_points"]
        axes = {}
        for ax in _panel_axes(p):
            axes[ax["axis"]] = axis_values(ax, default_n, preset)
        series = {label: axis_overrides(ov) for label, ov in (p.get("series") or {"default": {}}).items()}
        panels[pname] = {
            "kind": kind,
            "title": p.get("title", ""),
            "axes": axes,
            "x": p["x"]["axis"] if "x" in p else None,
            "y": p["y"]["axis"] if "y" in p else None,
            "over": p["over"]["axis"] if "over" in p else None,
            "fixed": axis_overrides(p.get("fixed") or {}),
            "series": series,
            "reference": axis_overrides(p["reference"]) if "reference" in p else None,
            "variables": p.get("variables", ["S_Q"]),
            "traces": kind == "trace",
        }
    return {
        "figure": figure,
        "run": config["run"],
        "preset": preset,
        "model": "lai2025",
        "code_version": f"qorepro {__version__}",
        "title": fspec.get("title", figure),
        "caption": fspec.get("caption", ""),
        "source": fspec.get("source", ""),
        "parameters": base.to_dict(),
        "initial_state": config["initial_state"],
        "solver": solver,
        "certification": {**CertificationSettings().to_dict(), **config.get("certification", {})},
        "batch_size": config["batch_size"],
        "plot": config.get("plot", {}),
        "panels": panels,
    }


def _resolve_steady(config: dict, figure: str) -> dict:
    """The params record of a steady-state (Jiao et al.) figure."""
    preset = config["preset"]
    pre = config["presets"][preset]
    fspec = config["figures"][figure]
    model = steady.model_of(fspec)
    panels = {}
    for pname, p in fspec["panels"].items():
        kind = p["kind"]
        default_n = pre["map_points"] if kind in ("map", "revival") else pre["line_points"]
        axes = {ax["axis"]: axis_values(ax, default_n, preset) for ax in _panel_axes(p)}
        rover = p.get("reference_over", p.get("over"))
        if rover:
            axes[rover["axis"]] = axis_values(rover, pre["line_points"], preset)
        panels[pname] = {
            "kind": kind, "title": p.get("title", ""), "axes": axes,
            "x": p["x"]["axis"] if "x" in p else None, "y": p["y"]["axis"] if "y" in p else None,
            "over": p["over"]["axis"] if "over" in p else None,
            "reference_over": rover["axis"] if rover else None,
            "fixed": steady.overrides(model, p.get("fixed") or {}),
            "series": {label: steady.overrides(model, ov)
                       for label, ov in (p.get("series") or {"default": {}}).items()},
            "reference": steady.overrides(model, p["reference"]) if "reference" in p else None,
            "variables": p.get("variables", ["E_N"]),
            "traces": False,
        }
    return {
        "figure": figure, "run": config["run"], "preset": preset, "model": model,
        "code_version": f"qorepro {__version__}", "title": fspec.get("title", figure),
        "caption": fspec.get("caption", ""), "source": fspec.get("source", ""),
        "parameters": {**steady.base_parameters(config, model),
                       **steady.overrides(model, fspec.get("parameters") or {})},
        "parameter_units": {k: v for k, v in steady.PARAMETER_UNITS.items() if k in steady.STEADY_MODELS[model].DEFAULTS},
        "solver": steady.SOLVER, "plot": config.get("plot", {}), "panels": panels,
    }


def figure_panels(config: dict, figure: str) -> list[str]:
    return list(config["figures"][figure]["panels"])


def to_settings(record: dict):
    """Engine objects from a params record: (base params, initial state, solver, cert)."""
    base = lai2025.LaiParams(**record["parameters"])
    ini = record["initial_state"]
    means = tuple(complex(r, i) for r, i in zip(ini["means_re"], ini["means_im"]))
    initial = lai2025.InitialState(means=means, n_init=ini.get("n_init", 0.0))
    s = record["solver"]
    solver = SolverSettings(t_end_tau=s["t_end_tau"], window_tau=tuple(s["window_tau"]),
                            steps_per_tau=s["steps_per_tau"], samples_per_tau=s["samples_per_tau"],
                            method=s["method"])
    cert = CertificationSettings(**record["certification"])
    return base, initial, solver, cert


def jsonable(obj: Any):
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
