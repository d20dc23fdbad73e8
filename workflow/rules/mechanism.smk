# Mechanism claims (issue 19): for every switch of S_Q the paper reports (Fig. 2c: C07, Fig. 2b:
# C04, Fig. 1d: C02) whose panel is traced (branches.smk), the machine verdict of its mechanism
# on the panel's limit-cycle branches → results/audits/{run}/mechanism.{csv,md} (rows M01…).
# Part of `referee`.
from qorepro.workflow import mechanism_stage

MECHANISM_PANELS = mechanism_stage.traced_panels(branches_stage.targets(config))
MECHANISM_CODE = [
    os.path.join(_SRC, f) for f in ("claims/mechanism.py", "branches/mechanism.py", "workflow/mechanism_stage.py")
]


rule mechanism:
    input:
        branches=[branches_stage.branch_file(RUN, f, p) for f, p in MECHANISM_PANELS.values()],
        params=sorted({params_file(RUN, f) for f, _ in MECHANISM_PANELS.values()}),
        claims=config["claims_file"],
        code=MECHANISM_CODE,
    output:
        csv=report(
            f"results/audits/{RUN}/mechanism.csv",
            caption="../report/mechanism.rst",
            category="5. Referee audits",
        ),
        md=f"results/audits/{RUN}/mechanism.md",
    log:
        f"results/audits/{RUN}/logs/mechanism.log",
    localrule: True
    conda:
        ENV
    params:
        # panel key → its branch file and the figure's params record
        panels={
            k: {
                "branches": branches_stage.branch_file(RUN, f, p),
                "record": params_file(RUN, f),
            }
            for k, (f, p) in MECHANISM_PANELS.items()
        },
    script:
        "../scripts/mechanism.py"
