"""Physical models: each module holds one model's parameters, equations and conventions.

Every model declares what it is — its ``kind`` — and the workflow dispatches on that:

* ``time_domain`` (lai2025): mean fields + covariance integrated in time (limit cycles),
  certified by fixed-point and Floquet analysis (:mod:`qorepro.solver`, :mod:`qorepro.stability`);
* ``steady_state`` (jiao2020, jiao2022): stable fixed points, covariance from the Lyapunov
  equation (:mod:`qorepro.steady_state`).
"""
from . import jiao2020, jiao2022, lai2025

MODELS = {"lai2025": lai2025.MODEL, "jiao2020": jiao2020, "jiao2022": jiao2022}

