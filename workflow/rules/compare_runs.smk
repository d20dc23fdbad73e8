# The runs `compare_<run>` sets side by side (compare.smk): which run a run is compared with, the
# reference run of an ad-hoc overlay (added to the runs of the DAG before any rule is defined),
# the refusal of a run compared with itself, and the inputs of the compare rules.  No rules here.
from snakemake.utils import update_config


def _reference_config():
    """The configuration of this invocation without the ad-hoc overlay: config/config.yaml, then
    the --configfile files but the last one that sets `run` to the main run, then the --config
    keys but `run` and `compare_against` (where such a file exists)."""
    files = [str(f) for f in workflow.config_settings.configfiles]

    def load(path):
        with open(path) as fh:
            return yaml.load(fh, Loader=yaml.CSafeLoader) or {}

    own = [i for i, f in enumerate(files) if load(f).get("run") == RUN]
    if own:
        del files[own[-1]]
    ref = {}
    for f in [os.path.join(workflow.basedir, "config", "config.yaml"), *files]:
        update_config(ref, load(f))
    if own:
        extra = dict(workflow.config_settings.config or {})
        update_config(ref, {k: v for k, v in extra.items() if k not in ("run", "compare_against")})
    return ref


_REFERENCE = _reference_config()
BASE_RUN = _REFERENCE.get("run", RUN)  # the run of the configuration without an ad-hoc overlay


def compare_against(run):
    """The run `run` is compared with."""
    if config.get("compare_against"):
        return config["compare_against"]
    return BASE_RUN if run == RUN else RUN


# the runs with a compare target: the declared variants, and the main run where it is ad hoc
COMPARED = [v for v in config.get("variants", {}) if v != RUN] + (
    [RUN] if RUN != BASE_RUN or config.get("compare_against") else []
)

_against = {compare_against(r) for r in COMPARED} - set(RUNS)
if _against:
    (_ref_run,) = _against
    if _ref_run != BASE_RUN:
        raise WorkflowError(
            f"compare_against={_ref_run!r}: no such run (the main run {RUN!r}, a key of `variants`, or {BASE_RUN!r})"
        )
    try:
        validate_config(_REFERENCE, SCHEMA, BASE_FIGURES)
    except ConfigError as e:
        raise WorkflowError(f"invalid configuration of run {_ref_run!r}: {e}")
    _RUN_CONFIGS[_ref_run] = _REFERENCE
    RUNS.append(_ref_run)


wildcard_constraints:
    run="|".join(RUNS),


for _t in cli_targets(sys.argv):
    _r = _t.removeprefix("compare_")
    if _t.startswith("compare_") and _r in {RUN, *config.get("variants", {})} and compare_against(_r) == _r:
        raise WorkflowError(
            f"{_t}: run {_r!r} cannot be compared with itself; name another run with --config compare_against=<run>"
        )


def compare_figures(run):
    """The figures with panels that both runs build, in the papers' order."""
    both = set(run_figures(run)) & set(run_figures(compare_against(run)))
    return [f for f in FIGURE_ORDER if f in both and f in FIGURES + REFEREE]


def shared_figures(run):
    """The compared figures whose panels `run` takes from the run it is compared with (the same
    content: parameters, grid, solver): identical by construction, so no overlay is drawn."""
    against = compare_against(run)
    return [f for f in compare_figures(run) if data_run(run, f) == data_run(against, f)]


def overlay_figures(run):
    """The compared figures with an overlay figure: those `run` computed itself."""
    shared = set(shared_figures(run))
    return [f for f in compare_figures(run) if f not in shared]


def compare_inputs(wc):
    runs = (compare_against(wc.run), wc.run)
    figs = compare_figures(wc.run)
    return {
        "params": [params_file(r, f) for r in runs for f in figs],
        "panels": [p for r in runs for f in figs for p in run_panel_files(r, f)],
        "claims": [f"results/{r}/claims.csv" for r in runs],
    }


def compare_dirs(wc):
    """run → figure → the folder holding its panels (a run may reuse another run's)."""
    runs = (compare_against(wc.run), wc.run)
    return {r: {f: f"results/{data_run(r, f)}/data/{f}" for f in compare_figures(wc.run)} for r in runs}


def compare_files(run):
    """Everything `compare_<run>` builds."""
    out = [f"results/compare/{run}/{n}" for n in ("summary.json", "params_diff.md", "claims_diff.md")]
    out += [f"results/compare/{run}/figures/{f}.{e}" for f in overlay_figures(run) for e in ("pdf", "png")]
    return out + [f"results/compare/{run}/report/compare.html"]
