"""Physical models: each module holds one model's parameters, mean-field equations, drift and
diffusion matrices.  Solvers, measures and certification are generic (see the package root).

lai2025 is computed in the time domain (limit cycles); the companion models of Jiao et al.
operate at stable fixed points and are computed from the steady-state Lyapunov equation.
"""
from . import jiao2020, jiao2022, lai2025

MODELS = {"lai2025": lai2025.MODEL}
#: models whose figures are computed at the linearised steady state (Lyapunov equation)
STEADY_MODELS = {"jiao2020": jiao2020, "jiao2022": jiao2022}
