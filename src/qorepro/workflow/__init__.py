"""Glue between the Snakemake workflow and the engine.

Each rule that runs code calls one function of :mod:`qorepro.workflow.stages` (through its
``workflow/scripts/<stage>.py`` and :func:`qorepro.workflow.jobs.run`): ``sweep`` computes a
figure's panels into NetCDF files from its params record, ``certify`` summarises the stability
verdicts, ``table1`` writes Table I, ``claims`` the claims audit, ``manifest`` the run's
MANIFEST.  The params records themselves are written by the workflow's ``params`` rule.
Plotting helpers live in :mod:`qorepro.plotting`.
"""
