# Targets: one rule per figure (fig1 … figS11, referee figures), table1, and the aggregates
# paper, si, all (default).  Variant runs have their own targets in referee.smk.


for _fig in FIGURES + REFEREE:

    rule:
        name:
            _fig
        input:
            figure_files([_fig]),
        localrule: True


rule table1:
    input:
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
    localrule: True


rule paper:
    input:
        figure_files(PAPER),
    localrule: True


rule si:
    input:
        figure_files(SI),
        f"{R}/tables/table1.csv",
        f"{R}/tables/table1.md",
    localrule: True
