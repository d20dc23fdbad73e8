# Referee targets (peer-review file): extra figures R1a, R4, R5, the squeezing figure, the
# experimental-parameter variant, and audits of the averaging window, the initial conditions
# and the window average vs. the Floquet long-time limit.  `referee` builds them all.
VARIANTS = list(config.get("variants", {}))
WINDOW_RUNS = [v for v in ("window-50-70", RUN, "window-980-1000") if v == RUN or v in VARIANTS]
IC_RUNS = [v for v in (RUN, "ic-inphase", "ic-antiphase") if v == RUN or v in VARIANTS]
AUDIT_FIGURES = LAI_FIGURES  # the S_Q panels of every Lai paper/SI figure
AUDIT_CODE = [os.path.join(_SRC, "workflow", "audits.py")]


rule refExperimental:
    input:
        lambda wc: figure_files([f for f in PAPER if f in run_figures("experimental")], run="experimental"),
        "results/experimental/tables/table1.md",
        "results/experimental/claims.csv",
        lambda wc: report_pages("experimental", PAPER),
    localrule: True


rule audit_claims_by_run:
    input:
        claims=lambda wc: [f"results/{r}/claims.csv" for r in [RUN, *VARIANTS]],
        floquet=f"results/audits/{RUN}/claims_floquet.csv",
        code=AUDIT_CODE,
    output:
        csv=report(
            f"results/audits/{RUN}/claims_by_run.csv",
            caption="../report/audits.rst",
            category="5. Referee audits",
        ),
        md=f"results/audits/{RUN}/claims_by_run.md",
    log:
        f"results/audits/{RUN}/logs/claims_by_run.log",
    localrule: True
    conda:
        ENV
    params:
        # run → its claims table, in this order (the floquet audit last)
        runs=lambda wc, input: {
            **dict(zip([RUN, *VARIANTS], input.claims)),
            "floquet-long-time": input.floquet,
        },
    script:
        "../scripts/audit_claims_by_run.py"


rule audit_claims_floquet:
    input:
        data=list(claim_datasets(RUN).values()),
        claims=config["claims_file"],
        code=CLAIMS_CODE,
    output:
        csv=f"results/audits/{RUN}/claims_floquet.csv",
        md=f"results/audits/{RUN}/claims_floquet.md",
    log:
        f"results/audits/{RUN}/logs/claims_floquet.log",
    localrule: True
    conda:
        ENV
    params:
        datasets=claim_datasets(RUN),
        run=RUN,
        measure="S_Q_floquet",
    script:
        "../scripts/claims.py"


rule audit_initial_conditions:
    input:
        data=lambda wc: [p for r in IC_RUNS for f in AUDIT_FIGURES for p in run_panel_files(r, f)],
        code=AUDIT_CODE,
    output:
        csv=f"results/audits/{RUN}/initial_conditions.csv",
        md=report(
            f"results/audits/{RUN}/initial_conditions.md",
            caption="../report/audits.rst",
            category="5. Referee audits",
        ),
    log:
        f"results/audits/{RUN}/logs/initial_conditions.log",
    localrule: True
    conda:
        ENV
    params:
        # run → {figure: the directory holding its panels} (a run may reuse another run's)
        runs={r: {f: f"results/{data_run(r, f)}/data/{f}" for f in AUDIT_FIGURES} for r in IC_RUNS},
        figures=AUDIT_FIGURES,
        tol=0.01,
    script:
        "../scripts/audit_initial_conditions.py"


rule audit_floquet:
    input:
        data=[p for f in AUDIT_FIGURES for p in run_panel_files(RUN, f)],
        code=AUDIT_CODE,
    output:
        csv=f"results/audits/{RUN}/floquet_vs_window.csv",
        md=report(
            f"results/audits/{RUN}/floquet_vs_window.md",
            caption="../report/audits.rst",
            category="5. Referee audits",
        ),
    log:
        f"results/audits/{RUN}/logs/floquet_vs_window.log",
    localrule: True
    conda:
        ENV
    params:
        # the main run's data directory: the folder above the figures' panel folders
        data_dir=lambda wc, input: os.path.dirname(os.path.dirname(input.data[0])),
        figures=AUDIT_FIGURES,
    script:
        "../scripts/audit_floquet.py"


rule audits:
    input:
        rules.audit_claims_by_run.output,
        rules.audit_initial_conditions.output,
        rules.audit_floquet.output,
    localrule: True


rule twa:
    input:
        lambda wc: figure_files([f for f in FIGURES if f in run_figures("twa")], run="twa"),
        "results/twa/claims.csv",
        "results/twa/claims.md",
    localrule: True


rule referee:
    input:
        figure_files(REFEREE),
        [f"{R}/report/figures/{f}.html" for f in REFEREE],
        f"results/audits/{RUN}/mechanism.csv",  # mechanism.smk: the mechanism claims (M01…)
        rules.refExperimental.input,
        rules.audits.input,
        rules.twa.input,
        rules.branches.input,
        # every declared variant beside the main run (compare.smk)
        lambda wc: [f"results/compare/{v}/report/compare.html" for v in VARIANTS if compare_against(v) != v],
    localrule: True
