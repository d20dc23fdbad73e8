r"""The validity certificate of the truncated-Wigner ensemble (TWA).

TWA keeps the Poisson bracket of the Wigner equation and drops its third-order (Moyal)
terms (see :mod:`qorepro.twa`, "What is dropped").  For the cubic couplings and the Kerr term
those terms are smaller than the kept drift by the inverse occupation of the modes they
act on: a mode with occupation n = ⟨o†o⟩ contributes a relative weight of order 1/(2n).
The certificate of a point is

    q = max over the modes and the window's samples of 1 / (2 n_k(t)),
    n_k(t) = ⟨|z_k|²⟩_W − ½   (the ensemble-mean occupation, normally ordered),

and the ensemble is *valid* where q ≤ :data:`TRUNCATION_THRESHOLD` (q = ∞ where a mode's
occupation is ≤ 0).  The threshold is calibrated against the exact master equation on small
models (``python -m qorepro validate twa``).

PROVISIONAL (integrator's stub, to be derived and calibrated by the validation work).
"""
from __future__ import annotations

import numpy as np

#: largest dropped/kept weight q at which a TWA value counts as valid
TRUNCATION_THRESHOLD = 0.25
#: largest fraction of trajectories that may switch attractor within the window
SWITCHING_THRESHOLD = 0.01


def truncation_ratio(occupation) -> np.ndarray:
    """q = max_{k,t} 1/(2 n_k(t)) over the leading axes: ``occupation`` has shape (T, K, N)
    (window samples, modes, points) → (N,); ∞ where some n ≤ 0."""
    n = np.asarray(occupation, dtype=float)
    n_min = n.reshape(-1, n.shape[-1]).min(axis=0)
    with np.errstate(divide="ignore"):
        return np.where(n_min > 0, 1.0 / (2.0 * np.maximum(n_min, 1e-300)), np.inf)


def switching_fraction(labels) -> np.ndarray:
    """The fraction of trajectories whose attractor label changes within the window:
    ``labels`` (T, N, M) (window samples, points, trajectories; any integer/bool labels) → (N,)."""
    lab = np.asarray(labels)
    return (lab != lab[:1]).any(axis=0).mean(axis=-1)


def valid(q, threshold: float = TRUNCATION_THRESHOLD, switching=None,
          switching_threshold: float = SWITCHING_THRESHOLD) -> np.ndarray:
    """Whether the dropped terms are small enough: q ≤ threshold (NaN → False), and, where the
    fraction of trajectories switching between attractors within the window is given, that it
    is ≤ ``switching_threshold`` (weights set by noise-activated switching are outside TWA)."""
    q = np.asarray(q, dtype=float)
    ok = np.isfinite(q) & (q <= threshold)
    if switching is not None:
        ok &= np.asarray(switching, dtype=float) <= switching_threshold
    return ok
