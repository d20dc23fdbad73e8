"""Everything a configuration must pass before any job runs, with one-line errors.

:func:`validate_config` is the single entry point (the Snakefile calls it on the merged
configuration, and again on every variant's overlay): the JSON schema (``config/schema.yaml``,
through :func:`snakemake.utils.validate`, which also fills in its defaults), finite numbers
everywhere, figure names (a misspelt override is refused with the nearest name), the
relational checks of :func:`qorepro.workflow.spec.check_config` (windows after presets are
merged, axes, plot variables …) and the size limits (``limits:``), all before any grid is
built.  Every error is a :class:`~qorepro.workflow.record.ConfigError` whose message starts
with the key it is about.
"""
from __future__ import annotations

import difflib
import math

from .record import ConfigError, model_of
from .spec import check_config


def suggest(name: str, choices) -> str:
    """`` (did you mean X?)`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def schema_message(err) -> str:
    """One line for a :class:`jsonschema.ValidationError`: the key, then what is wrong (never
    the schema or the whole instance)."""
    key = _key(err.absolute_path) or "config"
    if err.validator in ("oneOf", "anyOf") and err.context:
        msgs = []
        for sub in sorted(err.context, key=lambda e: len(e.absolute_path), reverse=True):
            m = _short(sub.message)
            if m not in msgs:
                msgs.append(m)
        return f"{key}: matches none of the allowed forms: {'; or '.join(msgs[:3])}"
    return f"{key}: {_short(err.message)}"


def _short(msg: str, n: int = 200) -> str:
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= n else msg[:n] + "…"


def validate_schema(config: dict, schema_path: str) -> None:
    """The JSON schema (defaults filled in); a violation raises ConfigError naming the key."""
    from jsonschema import ValidationError
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate
    try:
        validate(config, schema_path, set_default=True)
    except WorkflowError as e:
        err = e.__cause__ or e.__context__       # Snakemake raises it while handling jsonschema's error
        if not isinstance(err, ValidationError):
            raise ConfigError(f"config: {_short(str(e).splitlines()[0])}") from None
        raise ConfigError(schema_message(err)) from None


def check_finite(obj, key: str = "") -> None:
    """Every number of the configuration is finite (NaN and ±inf pass ``minimum:``)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            check_finite(v, f"{key}.{k}" if key else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            check_finite(v, f"{key}[{i}]")
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise ConfigError(f"{key}: {obj} is not a finite number")


def check_figure_names(config: dict, base_figures) -> None:
    """A figure that the base configuration does not define must be a complete new figure (a
    `title`, and panels each with a `kind`); anything else is a misspelt override, refused with
    the nearest existing name."""
    if base_figures is None or not isinstance(config.get("figures"), dict):
        return
    for fig, fspec in config["figures"].items():
        if fig in base_figures or not isinstance(fspec, dict):
            continue
        panels = fspec.get("panels")
        complete = ("title" in fspec and isinstance(panels, dict) and panels
                    and all(isinstance(p, dict) and "kind" in p for p in panels.values()))
        if not complete:
            raise ConfigError(f"figures.{fig}: no such figure{suggest(fig, base_figures)}; an override must "
                              "use an existing name, a new figure needs a `title` and panels with a `kind` each")


def planned_points(config: dict, fig: str) -> int:
    """Parameter points figure ``fig`` will compute, counted from the configuration alone
    (:func:`qorepro.workflow.figure.planned_points`, the count the engine computes)."""
    from .figure import planned_points as count
    return count(config, fig)


def check_sizes(config: dict) -> None:
    """No figure plans more points than ``limits`` allows (counted before any array exists)."""
    from ..models import MODELS
    limits = config.get("limits") or {}
    for fig, fspec in config["figures"].items():
        kind = MODELS[model_of(fspec)].kind
        key = f"{kind}_points"
        cap = limits.get(key)
        if cap is None:
            continue
        n = planned_points(config, fig)
        if n > cap:
            raise ConfigError(f"figures.{fig}: plans {n:,} parameter points, more than limits.{key} = {cap:,} "
                              f"(preset {config['preset']!r}); lower the grid (`n`, presets) or raise the limit "
                              f"in an overlay: `limits: {{{key}: {n}}}`")


def validate_config(config: dict, schema_path: str, base_figures=None) -> dict:
    """All checks, in the order that gives the most useful first error.  ``base_figures``:
    the figure names of the project's own configuration (for the misspelling check)."""
    check_finite(config)          # before the schema: NaN passes `minimum`, inf breaks ranges
    check_figure_names(config, base_figures)    # before the schema: a typo'd override is incomplete
    validate_schema(config, schema_path)
    check_config(config)
    check_sizes(config)
    return config


def check_targets(targets, rules, files_ok=True) -> None:
    """Unknown target names (not a rule, not a path) are refused with the nearest rule name."""
    for t in targets or ():
        t = str(t)
        if t in rules or "/" in t or "." in t:
            continue
        raise ConfigError(f"target {t!r}: no such rule{suggest(t, rules)}; targets are figure names "
                          "(fig1 … figS11, jiao2020_fig1 …), paper, si, all, claims, referee, or output paths")


def cli_targets(argv) -> list:
    """The targets named on a ``snakemake`` command line (parsed by Snakemake's own parser;
    the Snakefile runs before Snakemake hands them to the DAG).  Empty where ``argv`` is not
    a Snakemake command line."""
    import os
    if not argv or "snakemake" not in os.path.basename(os.path.dirname(argv[0])) + os.path.basename(argv[0]):
        return []
    from snakemake.cli import get_argument_parser
    try:
        args, _ = get_argument_parser().parse_known_args(list(argv[1:]))
    except SystemExit:
        return []
    return list(getattr(args, "targets", None) or [])
