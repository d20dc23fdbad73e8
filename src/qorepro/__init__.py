"""qorepro — reproducibility engine for Gaussian quantum-optics papers.

Modules: :mod:`units` (the one place for physical conversions), :mod:`models` (one module
per paper's model), :mod:`solver` (batched time-domain mean-field + covariance integration),
:mod:`measures` (S_Q, S_C, E_N, squeezing), :mod:`stability` (fixed points, Hurwitz,
Floquet, verdicts), :mod:`sweep` (xarray Datasets over named parameter axes).
"""
__version__ = "0.1.0"
