"""Glue between the Snakemake workflow and the engine.

Each Snakemake stage calls one function here (through ``python -m qorepro.workflow``):
``params`` resolves the configuration of one figure into a JSON record, ``sweep`` computes
its panels into NetCDF files, ``certify`` summarises the stability verdicts, ``table1``
writes Table I.  Plotting helpers live in :mod:`qorepro.plotting`.
"""
