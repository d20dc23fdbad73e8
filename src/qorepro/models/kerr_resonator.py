r"""A coherently driven Kerr resonator: a validation model of the truncated-Wigner engine.

Not a paper's model (not registered in :data:`qorepro.models.MODELS`): it exists so that the
TWA engine (:func:`qorepro.twa.window_samples`, the same Runge–Kutta kernel as the pipeline)
can be checked against the exact master equation (:mod:`qorepro.validate_twa`, QuTiP).

Model (ħ = 1, frame of the drive, time in 1/κ when κ = 1)
---------------------------------------------------------

    dρ/dt = −i[H, ρ] + κ D[a]ρ,   H = −Δ a†a + (U/2) a†²a² + F (a + a†),

D[L]ρ = LρL† − ½{L†L, ρ} (so κ is the *energy* decay rate: ⟨a⟩ decays at κ/2).  Defaults
Δ = 2, U = 0.1, F = 3, κ = 1: the mean-field equation n[(Un − Δ)² + κ²/4] = F² has three
roots n ≈ 2.8 (stable, low branch), 13.6 (saddle) and 23.6 (stable, high branch) — bistable.

Wigner drift (derivation)
-------------------------
Weyl symbols, from a ⋆ = α + ½∂/∂α*:  a†a → |α|² − ½,  a†²a² = (a†a)² − a†a →
(|α|² − ½)² − ¼ − (|α|² − ½) = |α|⁴ − 2|α|² + ½, so

    H_W = −Δ(|α|² − ½) + (U/2)(|α|⁴ − 2|α|² + ½) + F(α + α*).

The Moyal bracket −i(H_W ⋆ W − W ⋆ H_W) = −2i H_W sin… expands as
−i H_W (Λ + Λ³/24 + …) W with Λ = ∂⃖_α∂⃗_α* − ∂⃖_α*∂⃗_α.  Its first order is the Liouville
flow α̇ = −i ∂H_W/∂α*:

    α̇ = iΔα − iU(|α|² − 1)α − iF − (κ/2)α,

i.e. the mean-field equation with the **ordering correction** |α|² → |α|² − 1 in the Kerr
shift (the "−1": the −2|α|² of the Weyl symbol; a classical field would have U|α|²).  Its third
order, the only other non-zero one (∂³H_W ≠ 0 only for ∂²_α∂_α* and ∂_α∂²_α*: 2Uα*, 2Uα), is

    ∂W/∂t ⊃ −(iU/4)[∂²_α∂_α*(αW) − ∂_α∂²_α*(α*W)],

which TWA drops (its weight against the kept Kerr drift is 1/(2n): :mod:`qorepro.twa_validity`).
The loss κD[a] adds −∂_α(−(κ/2)αW) + c.c. + (κ/2)∂_α∂_α*W: the drift −(κ/2)α and a constant
diffusion.  (The same follows from the Bopp operators aρ → (α + ½∂_α*)W, ρa† → (α* + ½∂_α)W,
…; ``tests/test_twa_exact.py`` checks the drift against finite differences of H_W, and the
whole equation — kept and dropped terms — against W of L[ρ] computed by QuTiP.)

In the engine's real coordinates x = (Re α, Im α), with Δ' = Δ − U(|α|² − 1):

    ẋ_r = −(κ/2)x_r − Δ' x_i,   ẋ_i = −(κ/2)x_i + Δ' x_r − F,

and the Itô noise dx_{r,i} ⊃ √(D/2) dW_{r,i} with D = κ/2, i.e. the engine's diffusion matrix
Q = diag(κ/2, κ/2) (σ = √(Q/2)).  Check: with U = F = 0 the stationary Var x_r = ¼ (vacuum).
With U = 0 the model is linear and TWA is exact: a coherent state of amplitude
α_ss = −iF/(κ/2 − iΔ) (tested).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..arrays import namespace
from .base import CoherentInitial, broadcast_coefficients, params_type

KerrParams = params_type("KerrParams", {"Delta": 2.0, "U": 0.1, "F": 3.0, "kappa": 1.0},
                         "Parameters of the driven Kerr resonator (detuning Δ, Kerr U, drive F, "
                         "energy decay rate κ; scalars or 1-D arrays of one batch).")


class Coefficients(NamedTuple):
    """Per-point coefficients (a JAX pytree), leaves (N,)."""
    Delta: np.ndarray
    U: np.ndarray
    F: np.ndarray
    kappa: np.ndarray


InitialState = CoherentInitial


def coefficients(p) -> Coefficients:
    return broadcast_coefficients(p, Coefficients)


def _equations(x, c: Coefficients, kerr_shift: float):
    xp = namespace(x)
    xr, xi = x[0], x[1]
    dp = c.Delta - c.U * (xr * xr + xi * xi - kerr_shift)
    return xp.stack([-0.5 * c.kappa * xr - dp * xi, -0.5 * c.kappa * xi + dp * xr - c.F])


def mean_field_rhs(x, c: Coefficients):
    """The classical (mean-field) equation α̇ = iΔα − iU|α|²α − iF − (κ/2)α in real parts."""
    return _equations(x, c, 0.0)


def wigner_drift(x, c: Coefficients):
    """The truncated-Wigner drift (module docstring): the Kerr shift with |α|² − 1."""
    return _equations(x, c, 1.0)


def diffusion_matrix(c: Coefficients):
    """Q = diag(κ/2, κ/2), shape (2, 2, N): the loss channel's Wigner diffusion."""
    xp = namespace(*c)
    d = xp.stack([0.5 * c.kappa, 0.5 * c.kappa])
    return xp.eye(2)[:, :, None] * d[None]


def weyl_hamiltonian(alpha, c: Coefficients):
    """H_W(α, α*) (module docstring), for the finite-difference check of the drift."""
    n = np.abs(alpha) ** 2
    return -c.Delta * (n - 0.5) + 0.5 * c.U * (n * n - 2 * n + 0.5) + c.F * 2 * np.real(alpha)


def mean_field_numbers(p) -> np.ndarray:
    """The real roots n of n[(Un − Δ)² + κ²/4] = F² (one point): the classical branches, sorted."""
    D, U, F, k = (float(getattr(p, f)) for f in ("Delta", "U", "F", "kappa"))
    roots = np.roots([U * U, -2 * U * D, D * D + k * k / 4, -F * F]) if U else np.array([F * F / (D * D + k * k / 4)])
    return np.sort(roots[np.abs(roots.imag) < 1e-9].real)


def lindblad(p, n_fock: int):
    """(H, collapse operators) of the master equation for QuTiP, one parameter point."""
    import qutip
    a = qutip.destroy(n_fock)
    D, U, F, k = (float(getattr(p, f)) for f in ("Delta", "U", "F", "kappa"))
    H = -D * a.dag() * a + 0.5 * U * a.dag() * a.dag() * a * a + F * (a + a.dag())
    return H, [np.sqrt(k) * a]


class KerrResonator:
    """The driven Kerr resonator as the TWA engine sees it (a validation model)."""

    name = "kerr_resonator"
    kind = "time_domain"
    references = ("P. D. Drummond, D. F. Walls, J. Phys. A 13, 725 (1980)",)
    mode_names = ("a",)
    quadrature_names = ("X_a", "Y_a")
    n_modes = 1
    #: the modes that enter a nonlinear (Kerr) term: those the TWA certificate watches
    nonlinear_modes = (0,)
    Params = KerrParams
    defaults = KerrParams()
    Initial = InitialState
    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    wigner_drift = staticmethod(wigner_drift)
    diffusion_matrix = staticmethod(diffusion_matrix)
    weyl_hamiltonian = staticmethod(weyl_hamiltonian)
    mean_field_numbers = staticmethod(mean_field_numbers)
    lindblad = staticmethod(lindblad)


MODEL = KerrResonator()
