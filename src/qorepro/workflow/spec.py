"""Resolve the workflow configuration into per-figure records, and check it first.

The configuration (``config/config.yaml``, validated against ``config/schema.yaml``) holds
the base parameters, solver settings, presets and, under ``figures:``, one entry per figure
with its panels.  :func:`check_config` runs the relational checks the schema cannot express;
:func:`resolve_figure` turns one figure entry into its :class:`FigureSpec` (the params record)
through the figure engine (:mod:`qorepro.workflow.figure`).
"""
from __future__ import annotations

import copy

from . import figure
from .record import ConfigError, FigureSpec, model_of, solver_settings  # noqa: F401 (ConfigError, model_of re-exported)


def check_config(config: dict) -> None:
    """Relational checks beyond the JSON schema; raise :class:`ConfigError` naming the key."""
    _check_solver(config["solver"], "solver")
    for name, pre in config["presets"].items():      # the solver as each preset merges it
        if pre.get("solver"):
            _check_solver({**config["solver"], **pre["solver"]}, f"presets.{name}.solver")
    if config["preset"] not in config["presets"]:
        raise ConfigError(f"preset = {config['preset']!r} is not one of presets: {sorted(config['presets'])}")
    figure.check_parameters(config)
    for fig, fspec in config["figures"].items():
        figure.check_figure(fig, fspec, config)


def _check_solver(s: dict, key: str) -> None:
    lo, hi = s["window_tau"]
    if not (0 <= lo < hi <= s["t_end_tau"]):
        raise ConfigError(f"{key}.window_tau = {s['window_tau']}: need 0 <= start < end <= "
                          f"t_end_tau = {s['t_end_tau']}")
    try:
        solver_settings(s)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{key}: {e}") from None


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
    merged = deep_merge({k: v for k, v in config.items() if k not in ("variants", "scope")}, overlay)
    merged["run"] = name
    for fig, spec in merged["figures"].items():
        if fig not in config["figures"] or set(spec["panels"]) != set(config["figures"][fig]["panels"]):
            raise ConfigError(f"variants.{name}: figure {fig!r} must keep the panels of the base config")
    return merged


def resolve_figure(config: dict, name: str, base: FigureSpec | None = None) -> FigureSpec:
    """The params record of one figure (``base``: the same figure of a run this one continues)."""
    return figure.resolve(config, name, base)


def figure_panels(config: dict, name: str) -> list[str]:
    return list(config["figures"][name]["panels"])
