r"""The quantum van der Pol oscillator: a validation model of the truncated-Wigner engine.

Not a paper's model (not registered in :data:`qorepro.models.MODELS`); with
:mod:`qorepro.models.kerr_resonator` it checks the TWA engine against the exact master
equation (:mod:`qorepro.validate_twa`).  It is the textbook self-sustained oscillator of
quantum synchronisation (Lee & Sadeghpour, PRL 111, 234101 (2013); Walter, Nunnenkamp &
Bruder, PRL 112, 094102 (2014)):

    dρ/dt = −i[H, ρ] + γ₁ D[a†]ρ + γ₂ D[a²]ρ,   H = −Δ a†a + F (a + a†),

D[L]ρ = LρL† − ½{L†L, ρ}.  Classically (mean field) α̇ = (γ₁/2)α − γ₂|α|²α (+ iΔα − iF): a
limit cycle of radius² γ₁/(2γ₂).  γ₂/γ₁ → 0 is the classical limit (many phonons,
⟨a†a⟩ → γ₁/(2γ₂)); γ₂ ≫ γ₁ the deep quantum regime (⟨a†a⟩ → 1/3 for γ₂/γ₁ → ∞).

Wigner equation (derivation)
----------------------------
With the Bopp operators aρ → (α + ½∂_α*)W, ρa → (α − ½∂_α*)W, a†ρ → (α* − ½∂_α)W,
ρa† → (α* + ½∂_α)W, each dissipator becomes a differential operator on W; written in
Kramers–Moyal form (all derivatives to the left):

    γ₁D[a†]:  −∂_α[(γ₁/2)α W] + c.c. + (γ₁/2) ∂_α∂_α* W,
    γ₂D[a²]:  −∂_α[−γ₂(|α|² − 1)α W] + c.c. + γ₂ ∂_α∂_α*[(2|α|² − 1) W]
              + (γ₂/4)[∂²_α∂_α*(αW) + ∂_α∂²_α*(α*W)].

(Expanding the Bopp products and the Kramers–Moyal forms, the difference of the two sides
vanishes identically for any W — done symbolically while deriving; ``tests/test_twa_exact.py``
checks the whole equation against W of L[ρ] computed by QuTiP, to finite-difference accuracy.)  The Hamiltonian adds the Liouville drift iΔα − iF.  TWA keeps
the first two orders:

    drift     A(α) = (γ₁/2)α − γ₂(|α|² − 1)α + iΔα − iF,
    diffusion D(α) = γ₁/2 + γ₂(2|α|² − 1)     (∂_t W ⊃ ∂_α∂_α*(D W)),

and drops the third-order term of the two-phonon loss (weight 1/(2n) against the kept
γ₂|α|²α drift: :mod:`qorepro.twa_validity`).  The two-phonon loss has **state-dependent**
Wigner diffusion, and D(α) < 0 where |α|² < ½ − γ₁/(4γ₂): there the truncated equation is not
a Fokker–Planck equation and has no stochastic unravelling.  The simulation **clips** it:
the Itô noise is dx_{r,i} ⊃ √(max(D, 0)/2) dW_{r,i} (:func:`noise_amplitude`, the engine's
optional state-dependent noise hook), which adds diffusion where the truncated equation
removes it — one more reason the deep quantum regime (γ₂ ≫ γ₁, ⟨a†a⟩ < 1, most of the
Wigner function inside |α|² < ½) is outside TWA, and the certificate flags it (q = 1/(2n) ≥ ½
there).  :func:`negative_diffusion` reports where the clip acts.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..arrays import namespace
from .base import CoherentInitial, broadcast_coefficients, params_type

VdPParams = params_type("VdPParams", {"gamma1": 1.0, "gamma2": 0.1, "Delta": 0.0, "F": 0.0},
                        "Parameters of the quantum van der Pol oscillator (one-phonon gain γ₁, two-phonon "
                        "loss γ₂, detuning Δ from the drive, drive F; scalars or 1-D arrays of one batch).")


class Coefficients(NamedTuple):
    """Per-point coefficients (a JAX pytree), leaves (N,)."""
    gamma1: np.ndarray
    gamma2: np.ndarray
    Delta: np.ndarray
    F: np.ndarray


InitialState = CoherentInitial


def coefficients(p) -> Coefficients:
    return broadcast_coefficients(p, Coefficients)


def _equations(x, c: Coefficients, shift: float):
    xp = namespace(x)
    xr, xi = x[0], x[1]
    g = 0.5 * c.gamma1 - c.gamma2 * (xr * xr + xi * xi - shift)
    return xp.stack([g * xr - c.Delta * xi, g * xi + c.Delta * xr - c.F])


def mean_field_rhs(x, c: Coefficients):
    """The classical equation α̇ = (γ₁/2)α − γ₂|α|²α + iΔα − iF in real parts."""
    return _equations(x, c, 0.0)


def wigner_drift(x, c: Coefficients):
    """The truncated-Wigner drift A(α) (module docstring): |α|² → |α|² − 1 in the loss."""
    return _equations(x, c, 1.0)


def diffusion(x, c: Coefficients):
    """The Wigner diffusion D(α) = γ₁/2 + γ₂(2|α|² − 1) (unclipped; negative near α = 0)."""
    return 0.5 * c.gamma1 + c.gamma2 * (2 * (x[0] * x[0] + x[1] * x[1]) - 1)


def noise_amplitude(x, c: Coefficients):
    """The engine's state-dependent noise hook: σ = √(max(D(α), 0)/2) for both quadratures,
    shape of x (the clip where D < 0 is stated in the module docstring)."""
    xp = namespace(x)
    s = xp.sqrt(0.5 * xp.maximum(diffusion(x, c), 0.0))
    return xp.stack([s, s])


def negative_diffusion(x, c: Coefficients):
    """Whether D(α) < 0 at the states x (where the simulation clips the diffusion)."""
    return diffusion(x, c) < 0


def diffusion_matrix(c: Coefficients):
    """The diffusion at α = 0, clipped: Q = max(γ₁/2 − γ₂, 0)·I, shape (2, 2, N) — the protocol's
    constant part; the engine uses :func:`noise_amplitude` (state-dependent) instead."""
    xp = namespace(*c)
    q = xp.maximum(0.5 * c.gamma1 - c.gamma2, 0.0)
    return xp.eye(2)[:, :, None] * xp.stack([q, q])[None]


def lindblad(p, n_fock: int):
    """(H, collapse operators) of the master equation for QuTiP, one parameter point."""
    import qutip
    a = qutip.destroy(n_fock)
    g1, g2, D, F = (float(getattr(p, f)) for f in ("gamma1", "gamma2", "Delta", "F"))
    H = -D * a.dag() * a + F * (a + a.dag())
    return H, [np.sqrt(g1) * a.dag(), np.sqrt(g2) * a * a]


class VanDerPol:
    """The quantum van der Pol oscillator as the TWA engine sees it (a validation model)."""

    name = "vanderpol"
    kind = "time_domain"
    references = ("T. E. Lee, H. R. Sadeghpour, PRL 111, 234101 (2013)",
                  "S. Walter, A. Nunnenkamp, C. Bruder, PRL 112, 094102 (2014)")
    mode_names = ("a",)
    quadrature_names = ("X_a", "Y_a")
    n_modes = 1
    #: the modes that enter a nonlinear (two-phonon) term: those the TWA certificate watches
    nonlinear_modes = (0,)
    Params = VdPParams
    defaults = VdPParams()
    Initial = InitialState
    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    wigner_drift = staticmethod(wigner_drift)
    diffusion_matrix = staticmethod(diffusion_matrix)
    noise_amplitude = staticmethod(noise_amplitude)
    negative_diffusion = staticmethod(negative_diffusion)
    lindblad = staticmethod(lindblad)


MODEL = VanDerPol()
