"""The array module of an argument: numpy for numpy arrays, jax.numpy inside the compiled engine.

Physics functions (model equations, measures) are written once against this namespace, so
they serve the compiled time-domain engine (JAX, traced) and numpy callers (references,
reports, the steady-state path) alike, without importing JAX where it is not used.
"""
from __future__ import annotations

import numpy as np


def namespace(*arrays):
    """``jax.numpy`` if any argument is a JAX array or tracer, else ``numpy``."""
    for a in arrays:
        if type(a).__module__.split(".")[0] in ("jax", "jaxlib"):
            import jax.numpy as jnp
            return jnp
    return np
