"""Everything a configuration must pass before any job runs, with one-line errors.

:func:`validate_config` is the single entry point (the Snakefile calls it on the merged
configuration, and :func:`check_variants` on every variant's overlay): the JSON schema
(``config/schema.yaml``, through :func:`snakemake.utils.validate`, which also fills in its
defaults), finite numbers everywhere, figure names (a misspelt override is refused with the
nearest name), the relational checks of :func:`qorepro.workflow.spec.check_config` (windows
after presets are merged, axes, plot variables …), every value that reaches a model against
the one table of physical ranges (:func:`check_values`, the schema's
``definitions.<model>_parameters``, whatever route the value takes), `scope`, the
truncated-Wigner settings and the size limits (``limits:``), all before any grid is built.

Beside it, before any job: configuration, variant and claims files are read with a loader
that refuses duplicate keys (:func:`load_yaml`); :func:`check_variants` validates every
variant and the runs' ``continue_from`` chains; :func:`check_claims_file` the claims file.
Every error is a :class:`~qorepro.workflow.record.ConfigError` whose message starts with the
key (or the file) it is about.
"""
from __future__ import annotations

import difflib
import math

import yaml

from .record import ConfigError, model_of
from .spec import check_config, variant_config

#: seeds of the truncated-Wigner ensemble are below this (``jax.random.key`` takes an int64)
SEED_LIMIT = 2 ** 63


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


# ------------------------------------------------------------- YAML files (no duplicate keys)
class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader, refusing a key given twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:           # an unhashable key: the constructor reports it
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given on line {seen[key]})", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def load_yaml(path: str):
    """Parse a YAML file, refusing duplicate keys; any problem is one :class:`ConfigError`
    line naming the file (and the line)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as e:
        where = f", line {e.problem_mark.line + 1}" if e.problem_mark else ""
        raise ConfigError(f"{path}{where}: {e.problem}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({_short(e)})") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a UTF-8 text file ({_short(e)})") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror or e})") from None


def check_yaml_files(paths) -> None:
    """Every configuration file given (Snakemake's ``workflow.configfiles``) parses without
    duplicate keys (Snakemake's own loader keeps the last of two equal keys silently)."""
    for p in paths:
        load_yaml(str(p))          # (JSON is read as YAML: its duplicate keys are refused too)


# --------------------------------------------------------- values: one table of physical ranges
def _resolve(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        extra = {k: v for k, v in node.items() if k != "$ref"}
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **extra}
    return node


_SCHEMAS: dict = {}


def parameter_ranges(schema_path: str) -> dict:
    """model name → parameter field → its range in the schema (``definitions.<model>_parameters``,
    references resolved): the one table of signs and ranges of every model's parameters."""
    if schema_path not in _SCHEMAS:
        with open(schema_path, encoding="utf-8") as fh:
            schema = yaml.safe_load(fh)
        from ..models import MODELS
        table = {}
        for m in MODELS:
            d = _resolve(schema, schema["definitions"][f"{m}_parameters"])
            table[m] = {k: _resolve(schema, v) for k, v in d["properties"].items()}
        # the model whose parameters the top-level `parameters:` overrides: the entry it refers to
        top = schema["properties"]["parameters"]["$ref"].rsplit("/", 1)[1].removesuffix("_parameters")
        _SCHEMAS[schema_path] = (table, top)
    return _SCHEMAS[schema_path][0]


def top_level_model(schema_path: str) -> str:
    """The model the top-level ``parameters:`` of the configuration belong to (per the schema)."""
    parameter_ranges(schema_path)
    return _SCHEMAS[schema_path][1]


def _axis_fields(mod, name: str) -> tuple:
    """The parameter fields an axis or override name sets (a field name sets itself)."""
    return tuple(mod.axes[name].fields) if name in mod.axes else (name,)


def _out_of_range(v: float, rng: dict):
    """What is wrong with ``v`` for the range ``rng`` (None: nothing)."""
    if "enum" in rng and v not in rng["enum"]:
        return f"is not one of {rng['enum']}"
    if "minimum" in rng and v < rng["minimum"]:
        return f"is below the minimum {rng['minimum']:g}"
    if "exclusiveMinimum" in rng and v <= rng["exclusiveMinimum"]:
        return f"must be above {rng['exclusiveMinimum']:g}"
    if "maximum" in rng and v > rng["maximum"]:
        return f"is above the maximum {rng['maximum']:g}"
    if "exclusiveMaximum" in rng and v >= rng["exclusiveMaximum"]:
        return f"must be below {rng['exclusiveMaximum']:g}"
    return None


def _check_value(key: str, name: str, value, fields: tuple, ranges: dict) -> None:
    from ..grid import DIRECTIONS
    if isinstance(value, str):
        if value not in DIRECTIONS:
            return                          # not a number: check_config has refused it already
        value = DIRECTIONS[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    for f in fields:
        bad = _out_of_range(float(value), ranges.get(f, {}))
        if bad:
            of = name if f == name else f"{name} ({f})"
            raise ConfigError(f"{key}: {value!r} {bad} of {of}")


def _check_overrides(key: str, over, mod, ranges: dict) -> None:
    for name, value in (over or {}).items():
        _check_value(f"{key}.{name}", name, value, _axis_fields(mod, name), ranges)


def _axis_value(key: str, name: str, v, mod):
    """One entry of an axis ``values:`` list as the engine will read it: a number, or a name
    converted through the axis' ``named_values`` (e.g. ``direction: left``) — by the grid's own
    conversion (:func:`qorepro.grid.axis_values`), for every model."""
    from ..grid import axis_values
    try:
        return float(axis_values(mod, name, [v])[1][0])
    except (KeyError, ValueError) as e:
        raise ConfigError(f"{key}: {e.args[0]}") from None


def _check_axis(key: str, ax: dict, mod, ranges: dict) -> None:
    name = ax["axis"]
    fields = _axis_fields(mod, name)
    if "values" in ax:
        for i, v in enumerate(ax["values"]):
            k = f"{key}.values[{i}]"
            _check_value(k, name, _axis_value(k, name, v, mod), fields, ranges)
        return
    if any("enum" in ranges.get(f, {}) for f in fields):
        raise ConfigError(f"{key}.range: {name} takes only the values {ranges[fields[0]]['enum']}; "
                          "list them under `values:` instead of a range")
    lo, hi = ax["range"]
    if ax.get("scale") == "log" and not (lo > 0 and hi > 0):
        raise ConfigError(f"{key}.range: {ax['range']} — a log axis (geometric spacing) needs both ends above 0")
    # a linear or geometric axis lies between its two ends: the ends decide every range
    for i, v in enumerate((lo, hi)):
        _check_value(f"{key}.range[{i}]", name, v, fields, ranges)


def check_values(config: dict, schema_path: str) -> None:
    """Every value that reaches a model, whatever route it takes — ``parameters:``,
    ``models.<m>.parameters``, a figure's ``parameters``, an axis ``range`` or ``values``,
    ``fixed``, ``series``, ``reference`` (and so every variant, validated merged) — against
    the one table of ranges (:func:`parameter_ranges`); the error names the key path, e.g.
    ``figures.fig3.panels.e.x.values[2]: -1.0 is below the minimum 0 of n_th (n1)``."""
    from ..models import MODELS
    table = parameter_ranges(schema_path)
    top = top_level_model(schema_path)
    _check_overrides("parameters", config.get("parameters"), MODELS[top], table[top])
    for m, mspec in (config.get("models") or {}).items():
        _check_overrides(f"models.{m}.parameters", (mspec or {}).get("parameters"), MODELS[m], table[m])
    for fig, fspec in config["figures"].items():
        m = model_of(fspec)
        mod, ranges = MODELS[m], table[m]
        _check_overrides(f"figures.{fig}.parameters", fspec.get("parameters"), mod, ranges)
        for pname, p in fspec["panels"].items():
            where = f"figures.{fig}.panels.{pname}"
            for k in ("x", "y", "over", "reference_over"):
                if k in p:
                    _check_axis(f"{where}.{k}", p[k], mod, ranges)
            for k in ("fixed", "reference"):
                _check_overrides(f"{where}.{k}", p.get(k), mod, ranges)
            for label, ov in (p.get("series") or {}).items():
                _check_overrides(f"{where}.series.{label}", ov, mod, ranges)


# ----------------------------------------------------------------- scope, TWA settings, variants
def check_scope(config: dict) -> None:
    """Every `scope` entry is a figure of the configuration (a typo would build nothing)."""
    for i, fig in enumerate(config.get("scope") or ()):
        if fig not in config["figures"]:
            raise ConfigError(f"scope[{i}]: {fig!r} is not a figure of the configuration"
                              f"{suggest(fig, config['figures'])}")


def check_twa(twa: dict, key: str) -> None:
    """The truncated-Wigner settings construct (:class:`qorepro.settings.TWASettings`) and
    the seed is one ``jax.random.key`` takes (below 2⁶³)."""
    seed = twa.get("seed")
    if isinstance(seed, int) and not 0 <= seed < SEED_LIMIT:
        raise ConfigError(f"{key}.seed: {seed} is outside [0, 2^63 - 1] (the random keys take a 64-bit signed seed)")
    from ..settings import TWASettings
    try:
        TWASettings(**{k: v for k, v in twa.items() if k != "enabled"})
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{key}: {_short(e)}") from None


def check_variants(config: dict, schema_path: str, base_figures=None) -> dict:
    """Every variant of ``config`` (``variants:`` name → overlay file), before any job: its
    file parses (no duplicate keys), the merged configuration validates, and the runs'
    ``continue_from`` form chains that end (not the run itself, no cycle, a known run).
    Returns run name → merged configuration (the main run's included)."""
    run = config["run"]
    configs = {run: config}
    for name, path in (config.get("variants") or {}).items():
        where = f"variants.{name} ({path})"
        if name == run:
            raise ConfigError(f"{where}: a variant cannot be named like the main run ({run!r}); rename it")
        overlay = _variant_overlay(path, where)
        if overlay.get("continue_from") == "main":
            overlay["continue_from"] = run
        try:
            configs[name] = validate_config(variant_config(config, name, overlay), schema_path, base_figures)
            if configs[name]["claims_file"] != config["claims_file"]:
                check_claims_file(configs[name]["claims_file"], configs[name]["figures"])
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None
    check_continuations(configs, {n: f"variants.{n} ({p})" for n, p in (config.get("variants") or {}).items()})
    return configs


def _variant_overlay(path: str, where: str) -> dict:
    try:
        overlay = load_yaml(path)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    if not isinstance(overlay, dict):
        raise ConfigError(f"{where}: the file is empty or does not hold a mapping of configuration keys")
    return overlay


def check_continuations(configs: dict, where: dict) -> None:
    """``continue_from`` of every run (name → configuration) names another known run, and
    following it never comes back (a run continuing itself, or a cycle, would recurse)."""
    for start in configs:
        chain = [start]
        while (nxt := configs[chain[-1]].get("continue_from")):
            key = f"{where[chain[-1]]}: continue_from" if chain[-1] in where else "continue_from"
            if nxt not in configs:
                raise ConfigError(f"{key} = {nxt!r} is neither this run nor one of its variants "
                                  f"({', '.join(sorted(configs))}){suggest(nxt, configs)}")
            if nxt in chain:
                loop = " → ".join([*chain[chain.index(nxt):], nxt])
                raise ConfigError(f"{key} = {nxt!r}: the runs continue each other in a cycle ({loop})"
                                  if nxt != chain[-1] else f"{key} = {nxt!r}: a run cannot continue itself")
            chain.append(nxt)


# -------------------------------------------------------------------------------- claims file
_CLAIM_FIELDS = ("id", "source", "claim", "datasets", "evaluator")


def check_claims_file(path: str, figures: dict | None = None) -> dict:
    """The claims file, before any job: readable YAML without duplicate keys, a non-empty
    `claims` list whose entries each have an id (unique), source, claim, `datasets` (non-empty
    ``figure/panel`` keys of ``figures``, where given) and an `evaluator` that exists.
    Returns the parsed file; every error is one line naming the file and the key."""
    spec = load_yaml(path)
    if not isinstance(spec, dict) or not spec.get("claims"):
        raise ConfigError(f"{path}: no claims (the file is empty or has no non-empty `claims:` list)")
    if not isinstance(spec["claims"], list):
        raise ConfigError(f"{path}: claims: must be a list of claims")
    if not isinstance(spec.get("thresholds", {}), dict):
        raise ConfigError(f"{path}: thresholds: must be a mapping of threshold name → value")
    from ..claims import EVALUATORS
    seen = {}
    for i, c in enumerate(spec["claims"]):
        key = f"{path}: claims[{i}]"
        if not isinstance(c, dict):
            raise ConfigError(f"{key}: must be a mapping with {', '.join(_CLAIM_FIELDS)}")
        key = f"{path}: claims[{i}] ({c.get('id', 'no id')})"
        for f in _CLAIM_FIELDS:
            if f not in c or c[f] in (None, "", []):
                raise ConfigError(f"{key}.{f}: missing")
        if c["id"] in seen:
            raise ConfigError(f"{key}.id: {c['id']!r} is already the id of claims[{seen[c['id']]}]")
        seen[c["id"]] = i
        if c["evaluator"] not in EVALUATORS:
            raise ConfigError(f"{key}.evaluator: no evaluator {c['evaluator']!r}{suggest(c['evaluator'], EVALUATORS)}")
        if not isinstance(c["datasets"], list):
            raise ConfigError(f"{key}.datasets: must be a list of figure/panel keys")
        for j, d in enumerate(c["datasets"]):
            fig, _, panel = str(d).partition("/")
            if not panel or (figures is not None and panel not in (figures.get(fig) or {}).get("panels", {})):
                raise ConfigError(f"{key}.datasets[{j}]: {d!r} is not a figure/panel of the configuration"
                                  f"{suggest(d, [f'{f}/{p}' for f, s in (figures or {}).items() for p in s.get('panels', {})])}")
        if not isinstance(c.get("test", {}), dict):
            raise ConfigError(f"{key}.test: must be a mapping of thresholds")
    return spec


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
    check_values(config, schema_path)
    check_scope(config)
    check_twa(config.get("twa") or {}, "twa")
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
