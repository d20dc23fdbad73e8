"""Physical models: each module holds one model's parameters, mean-field equations, drift and
diffusion matrices.  Solvers, measures and certification are generic (see the package root)."""
from . import lai2025

MODELS = {"lai2025": lai2025.MODEL}
