# Targets: one rule per figure (fig1 … figS11), table1, and the aggregates paper, si, all.


rule all:
    default_target: True
    input:
        [f"{R}/figures/{f}.{ext}" for f in FIGURES for ext in ("pdf", "png")],
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
        f"{R}/claims.csv",
        f"{R}/claims.md",


for _fig in FIGURES:

    rule:
        name:
            _fig
        input:
            f"{R}/figures/{_fig}.pdf",
            f"{R}/figures/{_fig}.png",
        localrule: True


rule table1:
    input:
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
    localrule: True


rule paper:
    input:
        [f"{R}/figures/{f}.{ext}" for f in PAPER for ext in ("pdf", "png")],
    localrule: True


rule si:
    input:
        [f"{R}/figures/{f}.{ext}" for f in SI for ext in ("pdf", "png")],
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
    localrule: True
