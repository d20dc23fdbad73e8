# Targets: one rule per figure (fig1 … figS11, jiao2020_*, jiao2022_*, referee figures), table1,
# and the aggregates paper, si, jiao2020, jiao2022, all (default).  Variant runs have their own targets in referee.smk.


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


rule jiao2020:
    input:
        figure_files(figures_of("jiao2020")),
    localrule: True


rule jiao2022:
    input:
        figure_files(figures_of("jiao2022")),
    localrule: True


# an unknown target name is refused with the nearest rule name (Snakemake would only say
# "No rule to produce …")
try:
    check_targets(cli_targets(sys.argv), {r.name for r in workflow.rules})
except ConfigError as e:
    raise WorkflowError(str(e))
