# Variant comparison (issue 22): `snakemake compare_<run>` sets a run beside the run it is
# compared with — what changed (params_diff), how the claims moved (claims_diff), per-panel
# differences (data/, NetCDF) and overlay figures → results/compare/<run>/, plus its report card
# (category "Variants").  Targets: every declared variant (against the main run, or
# `compare_against`), and an ad-hoc run given with `--configfile my_variant.yaml` and its own
# `run:` — that run is this invocation's main run, so it is compared with `compare_against`, or
# else with the run of the configuration without that file (its `run:`, e.g. `baseline`), which
# is rebuilt here as one more run of the DAG (so this file comes before the rules that build runs).  A run compared with itself is refused before any job.
from snakemake.utils import update_config


def _reference_config():
    """The configuration of this invocation without the ad-hoc overlay: config/config.yaml, then
    the --configfile files but the last one that sets `run` to the main run, then the --config
    keys but `run` and `compare_against` (where such a file exists)."""
    files = [str(f) for f in workflow.config_settings.configfiles]
    own = [i for i, f in enumerate(files) if (yaml.safe_load(open(f)) or {}).get("run") == RUN]
    if own:
        del files[own[-1]]
    ref = {}
    for f in [os.path.join(workflow.basedir, "config", "config.yaml"), *files]:
        with open(f) as fh:
            update_config(ref, yaml.load(fh, Loader=yaml.CSafeLoader) or {})
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
    if _t.startswith("compare_") and _t[len("compare_") :] in {RUN, *config.get("variants", {})}:
        if compare_against(_t[len("compare_") :]) == _t[len("compare_") :]:
            raise WorkflowError(
                f"{_t}: run {_t[len('compare_'):]!r} cannot be compared with itself; "
                "name another run with --config compare_against=<run>"
            )


def compare_figures(run):
    """The figures with panels that both runs build, in the papers' order."""
    both = set(run_figures(run)) & set(run_figures(compare_against(run)))
    return [f for f in FIGURE_ORDER if f in both and f in FIGURES + REFEREE]


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


rule compare:
    input:
        unpack(compare_inputs),
    output:
        summary="results/compare/{run}/summary.json",
        params_csv="results/compare/{run}/params_diff.csv",
        params_md="results/compare/{run}/params_diff.md",
        claims_csv="results/compare/{run}/claims_diff.csv",
        claims_md="results/compare/{run}/claims_diff.md",
    log:
        "results/compare/{run}/logs/compare.log",
    localrule: True
    conda:
        ENV
    params:
        main_dir=lambda wc: f"results/{compare_against(wc.run)}",
        variant_dir=lambda wc: f"results/{wc.run}",
        figures=lambda wc: compare_figures(wc.run),
        data_dirs=compare_dirs,
    script:
        "../scripts/compare.py"


rule compare_figure:
    input:
        unpack(
            lambda wc: {
                "params": [params_file(r, wc.figure) for r in (compare_against(wc.run), wc.run)],
                "panels": [p for r in (compare_against(wc.run), wc.run) for p in run_panel_files(r, wc.figure)],
            }
        ),
        code=PLOT_SOURCES + [os.path.join(_SRC, "compare_plot.py")],
    output:
        pdf="results/compare/{run}/figures/{figure}.pdf",
        png="results/compare/{run}/figures/{figure}.png",
    log:
        "results/compare/{run}/logs/{figure}.log",
    localrule: True
    conda:
        ENV
    params:
        main_dir=lambda wc: f"results/{compare_against(wc.run)}",
        variant_dir=lambda wc: f"results/{wc.run}",
        data_dirs=compare_dirs,
    script:
        "../scripts/compare_figure.py"


rule report_compare:
    input:
        summary="results/compare/{run}/summary.json",
        params_md="results/compare/{run}/params_diff.md",
        claims_csv="results/compare/{run}/claims_diff.csv",
        pngs=lambda wc: [f"results/compare/{wc.run}/figures/{f}.png" for f in compare_figures(wc.run)],
    output:
        html=report(
            "results/compare/{run}/report/compare.html",
            caption="../report/compare.rst",
            category="Variants",
            subcategory="{run}",
            labels=lambda wc: {"run": wc.run, "against": compare_against(wc.run)},
        ),
        front="results/compare/{run}/report/front.html",
    log:
        "results/compare/{run}/logs/report.log",
    localrule: True
    conda:
        ENV
    script:
        "../scripts/report_compare.py"


def compare_files(run):
    """Everything `compare_<run>` builds."""
    out = [f"results/compare/{run}/{n}" for n in ("summary.json", "params_diff.md", "claims_diff.md")]
    out += [f"results/compare/{run}/figures/{f}.{e}" for f in compare_figures(run) for e in ("pdf", "png")]
    return out + [f"results/compare/{run}/report/compare.html"]


for _run in COMPARED:

    rule:
        name:
            f"compare_{_run}"
        input:
            compare_files(_run),
        localrule: True
