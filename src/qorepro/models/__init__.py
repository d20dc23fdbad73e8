"""Physical models: each module holds one model's parameters, equations and conventions, as
one object ``MODEL`` that satisfies the protocol of :mod:`qorepro.models.base`.

Every model declares what it is — its ``kind`` — and the workflow dispatches on that:

* ``time_domain`` (lai2025): mean fields + covariance integrated in time (limit cycles),
  certified by fixed-point and Floquet analysis (:mod:`qorepro.solver`, :mod:`qorepro.stability`);
* ``steady_state`` (jiao2020, jiao2022): stable fixed points, covariance from the Lyapunov
  equation (:mod:`qorepro.steady_state`).

A new paper's model is a new module with its ``MODEL`` and one registration line below.
"""
from . import jiao2020, jiao2022, lai2025

#: model name → model object (the registry; one line per model)
MODELS = {m.name: m for m in (lai2025.MODEL, jiao2020.MODEL, jiao2022.MODEL)}
