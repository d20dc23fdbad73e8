# Limit-cycle branches (issue 19): for every traced line panel (config `branches.targets`),
# the branches, their stability, bifurcations and the truncated-Wigner census over them →
# results/{run}/branches/{figure}_{panel}.nc (every series of the panel along `series`; the
# panels of all figures in branches_stage.TRACE_JOBS jobs, branches_trace_<k>), and
# per target the figure results/{run}/figures/branches_{name}.{pdf,png}.  Targets
# branches_<name> and the aggregate `branches` (part of `referee`).

try:
    branches_stage.check_config(config)
except ConfigError as e:
    raise WorkflowError(f"invalid configuration: {e}")
BRANCH_TARGETS = branches_stage.targets(config)
BRANCH_FIGURES = sorted({f for f, _ in BRANCH_TARGETS.values()})
BRANCH_CODE = [
    os.path.join(_SRC, "branches", f) for f in sorted(os.listdir(os.path.join(_SRC, "branches"))) if f.endswith(".py")
]
BRANCH_CODE += [os.path.join(_SRC, f) for f in ("twa.py", "workflow/branches_stage.py")]


# the traced panels in TRACE_JOBS jobs of about equal cost (branches_stage.partition, from the
# main run's records: panels sharing a series in one job, which traces it once), each one
# process, so that the JAX programs (integrator, shooting, Floquet covariance, ensemble) are
# traced and compiled once per job, not once per figure
BRANCH_JOBS = branches_stage.partition(
    {f: figure_record(RUN, f) for f in BRANCH_FIGURES},
    {f: branches_stage.traced_panels(config, f) for f in BRANCH_FIGURES},
    branches_stage.settings_of(config),
)
for _k, _part in enumerate(BRANCH_JOBS, 1):
    _figs = sorted({f for f, _ in _part})

    rule:
        name:
            f"branches_trace_{_k}"
        input:
            params=lambda wc, figs=_figs: [params_file(wc.run, f) for f in figs],
            panels=lambda wc, part=_part: [f"results/{data_run(wc.run, f)}/data/{f}/{p}.nc" for f, p in part],
            code=lambda wc, figs=_figs: sorted({s for f in figs for s in engine_sources(f, wc.run)} | set(BRANCH_CODE)),
        output:
            [branches_stage.branch_file("{run}", f, p) for f, p in _part],
        log:
            f"results/{{run}}/logs/branches/trace_{_k}.log",
        benchmark:
            f"results/{{run}}/benchmarks/branches/trace_{_k}.tsv"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
            gpu=lambda wc, figs=_figs: max(figure_engine.planned_gpus(run_config(wc.run), f) for f in figs),
        params:
            figures=_figs,
            record_sha256=lambda wc, figs=_figs: [record_sha256(wc.run, f) for f in figs],
            panels=[list(fp) for fp in _part],
            settings=lambda wc: json.dumps(branches_stage.settings_of(run_config(wc.run)), sort_keys=True),
            backend=engine_setting("backend"),
            env=SWEEP_ENV,
        script:
            "../scripts/branches.py"


rule branches_figure:
    input:
        notebook="notebooks/branches.ipynb",
        params=lambda wc: params_file(wc.run, branch_targets(wc.run)[wc.name][0]),
        branches=lambda wc: branch_files(wc.run, wc.name),
        code=[os.path.join(_SRC, "branches_plot.py"), *PLOT_SOURCES],
    output:
        pdf="results/{run}/figures/branches_{name}.pdf",
        png="results/{run}/figures/branches_{name}.png",
        notebook="results/{run}/notebooks/branches_{name}.ipynb",
    log:
        "results/{run}/logs/plot/branches_{name}.log",
    wildcard_constraints:
        name="|".join(BRANCH_TARGETS) or "^$",
    localrule: True
    conda:
        ENV
    params:
        record_sha256=lambda wc: record_sha256(wc.run, branch_targets(wc.run)[wc.name][0]),
    script:
        "../scripts/branches_plot.py"


for _name in BRANCH_TARGETS:

    rule:
        name:
            f"branches_{_name}"
        input:
            [f"{R}/figures/branches_{_name}.{ext}" for ext in ("pdf", "png")],
        localrule: True


rule branches:
    input:
        [f"{R}/figures/branches_{n}.{ext}" for n in BRANCH_TARGETS for ext in ("pdf", "png")],
    localrule: True
