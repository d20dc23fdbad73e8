"""Lai, Miranowicz & Nori (2025) opto-magno-mechanical model (SI §II.A).

Modes, in this order: photon ``a``, magnon ``m``, phonons ``b1`` (YIG sphere, coupled to m)
and ``b2`` (silica sphere, coupled to a).  Everything is in units of ω₁ (see
:mod:`qorepro.units`).  The batched functions take arrays whose *last* axis is the batch
of parameter points; :class:`LaiParams` fields may be scalars or 1-D arrays.

State vector of the mean fields (real, length 8)::

    x = [Re α, Im α, Re μ, Im μ, Re β₁, Im β₁, Re β₂, Im β₂]

The fluctuation quadratures are u = [X_a, Y_a, X_m, Y_m, X_b1, Y_b1, X_b2, Y_b2]
(SI eq. S12) with X = (δo† + δo)/√2 = √2 Re δo and Y = √2 Im δo, so the linearised drift
A of eq. (S11) is exactly the Jacobian ∂ẋ/∂x of the mean-field flow (S7): the fluctuation
equations (S8) are the linearisation of (S7).  We write A out analytically from (S8) in
:func:`drift_matrix` (the transcription of the printed matrix S14 is garbled) and the tests
compare it with a finite-difference Jacobian of :func:`mean_field_rhs`.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field, fields

import numpy as np

from .. import units

MODE_NAMES = ("a", "m", "b1", "b2")
QUADRATURE_NAMES = ("X_a", "Y_a", "X_m", "Y_m", "X_b1", "Y_b1", "X_b2", "Y_b2")
#: indices of the two mechanical modes in the mode list (for S_Q, E_N, squeezing)
MECHANICAL_MODES = (2, 3)


@dataclass(frozen=True)
class LaiParams:
    """Parameters of the Lai 2025 model; defaults = SI Table I simulation column / Fig. 1.

    All rates and frequencies are angular, in units of ω₁.  Exceptions are spelled out in
    the name: ``Omega_kHz`` is the spinning angular velocity in 10³ rad/s (the paper's
    "Ω = 6 kHz", see :mod:`qorepro.units`).
    """

    omega1: float = 1.0        #: first mechanical frequency (the unit)
    omega2: float = 1.005      #: second mechanical frequency ω₂/ω₁
    gamma1: float = 0.005      #: mechanical damping γ₁
    gamma2: float = 0.005      #: mechanical damping γ₂
    kappa_a: float = 0.15      #: optical decay κ_a
    kappa_m: float = 0.2       #: magnon decay κ_m
    g_a: float = 0.005         #: single-photon optomechanical coupling at ρ = 1
    g_m: float = 0.005         #: single-magnon magnomechanical coupling at ρ = 1
    chi: float = 0.02          #: phonon–phonon coupling χ
    Delta_a: float = -1.005    #: optical detuning of the non-spinning resonator
    Delta_m: float = -1.0      #: magnon detuning
    K: float = 0.0             #: magnon-Kerr coefficient (K<0: CD field direction, K>0: OD)
    xi_a: float = 35.0         #: optical drive ξ_a
    xi_m: float = 35.0         #: microwave drive ξ_m
    n1: float = 0.0            #: thermal phonon number of bath 1
    n2: float = 0.0            #: thermal phonon number of bath 2
    n_m: float = 0.0           #: thermal magnon number (vacuum in the paper)
    rho: float = 1.0           #: mass ratio ρ = m_j/m₀; g_j → g_j/√ρ
    Omega_kHz: float = 0.0     #: spinning speed in 10³ rad/s
    direction: float = 1.0     #: light input: +1 left (σ_a>0), −1 right (σ_a<0)
    omega1_MHz: float = 10.0   #: ω₁/2π in MHz: the frequency unit (SI Table I: 10, experiment 15.25)
    radius_mm: float = 1.1     #: silica sphere radius r in mm (enters Λ; experiment: 0.2)

    def replace(self, **changes) -> "LaiParams":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise KeyError(f"unknown LaiParams field(s): {sorted(unknown)}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @property
    def batch_size(self) -> int:
        sizes = {np.size(getattr(self, f.name)) for f in fields(self)} - {1}
        if len(sizes) > 1:
            raise ValueError(f"LaiParams fields have inconsistent batch sizes {sizes}")
        return sizes.pop() if sizes else 1


def _jsonable(v):
    a = np.asarray(v)
    return a.tolist() if a.ndim else float(a)


@dataclass(frozen=True)
class InitialState:
    """Initial condition of a time-domain run.

    ``means`` are the complex amplitudes (α, μ, β₁, β₂) at t = 0 (default: all zero, the
    paper's choice); the fluctuations start in the vacuum, V(0) = I/2, optionally with
    thermal phonon occupation ``n_init`` in both mechanical modes.
    """

    means: tuple = (0j, 0j, 0j, 0j)
    n_init: float = 0.0

    def as_real(self, n_batch: int) -> np.ndarray:
        z = np.asarray(self.means, dtype=complex)
        x = np.empty(8)
        x[0::2], x[1::2] = z.real, z.imag
        return np.repeat(x[:, None], n_batch, axis=1)

    def covariance(self, n_batch: int) -> np.ndarray:
        d = np.full(8, 0.5)
        d[4:] += self.n_init
        return np.repeat(np.diag(d)[None], n_batch, axis=0)

    def to_dict(self) -> dict:
        return {"means_re": [complex(z).real for z in self.means],
                "means_im": [complex(z).imag for z in self.means],
                "n_init": float(self.n_init)}


@dataclass(frozen=True)
class Coefficients:
    """Effective model coefficients, each an array of shape (N,)."""
    omega1: np.ndarray
    omega2: np.ndarray
    gamma1: np.ndarray
    gamma2: np.ndarray
    kappa_a: np.ndarray
    kappa_m: np.ndarray
    g_a: np.ndarray
    g_m: np.ndarray
    chi: np.ndarray
    Delta_a: np.ndarray   # includes the Sagnac shift σ_a
    Delta_m: np.ndarray
    K: np.ndarray
    xi_a: np.ndarray
    xi_m: np.ndarray
    n1: np.ndarray
    n2: np.ndarray
    n_m: np.ndarray
    sigma_a: np.ndarray

    @property
    def n(self) -> int:
        return self.omega1.shape[0]

    @functools.cached_property
    def linear_part(self) -> np.ndarray:
        """A at zero mean fields, shape (N, 8, 8): the state-independent part of the drift
        (and the linear part of the mean-field flow, ẋ = L x + ξ + nonlinear terms)."""
        n = self.n
        L = np.zeros((n, 8, 8))
        L[:, 0, 0] = L[:, 1, 1] = -self.kappa_a
        L[:, 0, 1], L[:, 1, 0] = self.Delta_a, -self.Delta_a
        L[:, 2, 2] = L[:, 3, 3] = -self.kappa_m
        L[:, 2, 3], L[:, 3, 2] = self.Delta_m, -self.Delta_m
        L[:, 4, 4] = L[:, 5, 5] = -self.gamma1
        L[:, 4, 5], L[:, 5, 4] = self.omega1, -self.omega1
        L[:, 6, 6] = L[:, 7, 7] = -self.gamma2
        L[:, 6, 7], L[:, 7, 6] = self.omega2, -self.omega2
        L[:, 4, 7], L[:, 5, 6] = -self.chi, self.chi
        L[:, 6, 5], L[:, 7, 4] = -self.chi, self.chi
        return L

    @functools.cached_property
    def drive(self) -> np.ndarray:
        """Constant drive term of the mean-field flow, shape (8, N)."""
        d = np.zeros((8, self.n))
        d[0], d[2] = self.xi_a, self.xi_m
        return d


def coefficients(p: LaiParams) -> Coefficients:
    """Broadcast a (possibly batched) parameter set to effective coefficient arrays.

    Applies the two substitutions of the paper: g_j → g_j/√ρ (zero-point motion ∝ m^-1/2)
    and Δ_a → Δ_a + σ_a with σ_a = ±ΩΛ (SI eq. S52).
    """
    n = p.batch_size
    arr = {f.name: np.ascontiguousarray(np.broadcast_to(np.asarray(getattr(p, f.name), dtype=float), (n,)))
           for f in fields(p)}
    if np.any(arr["rho"] <= 0):
        raise ValueError("mass ratio rho must be positive")
    sigma = units.sagnac_shift(arr["Omega_kHz"], np.sign(arr["direction"]),
                               omega1_rad_s=2 * np.pi * units.MHZ * arr["omega1_MHz"],
                               radius_m=arr["radius_mm"] * units.MM)
    sqrt_rho = np.sqrt(arr["rho"])
    return Coefficients(
        omega1=arr["omega1"], omega2=arr["omega2"], gamma1=arr["gamma1"], gamma2=arr["gamma2"],
        kappa_a=arr["kappa_a"], kappa_m=arr["kappa_m"],
        g_a=arr["g_a"] / sqrt_rho, g_m=arr["g_m"] / sqrt_rho, chi=arr["chi"],
        Delta_a=arr["Delta_a"] + sigma, Delta_m=arr["Delta_m"], K=arr["K"],
        xi_a=arr["xi_a"], xi_m=arr["xi_m"], n1=arr["n1"], n2=arr["n2"], n_m=arr["n_m"],
        sigma_a=sigma,
    )


def mean_field_rhs(x: np.ndarray, c: Coefficients) -> np.ndarray:
    """Mean-field equations (SI eq. S7) for the real state x of shape (8, N).

    α̇ = −(κ_a + iΔ_a) α + 2i g_a α Re β₂ + ξ_a
    μ̇ = −(κ_m + iΔ_m) μ − 2iK|μ|²μ + 2i g_m μ Re β₁ + ξ_m
    β̇₁ = −(γ₁ + iω₁) β₁ + i g_m |μ|² + iχ β₂
    β̇₂ = −(γ₂ + iω₂) β₂ + i g_a |α|² + iχ β₁

    Evaluated as L x + ξ + (nonlinear terms), L = :attr:`Coefficients.linear_part`.
    """
    ar, ai, mr, mi, b1r, _, b2r, _ = x
    out = np.matmul(c.linear_part, x.T[:, :, None])[:, :, 0].T + c.drive
    # ż = … − i s z with the mean-field detuning shifts s_a = −2g_a Re β₂, s_m = −2g_m Re β₁ + 2K|μ|²
    nm = mr * mr + mi * mi
    sa = -2 * c.g_a * b2r
    sm = 2 * c.K * nm - 2 * c.g_m * b1r
    out[0] += sa * ai
    out[1] -= sa * ar
    out[2] += sm * mi
    out[3] -= sm * mr
    out[5] += c.g_m * nm
    out[7] += c.g_a * (ar * ar + ai * ai)
    return out


#: state-dependent drift entries: feature k multiplies these (row, col, coefficient)
_DRIFT_FEATURES = (
    ((0, 1, -2), (1, 0, 2)),            # g_a Re β₂   (Δ'_a)
    ((0, 6, -2), (7, 1, 2)),            # g_a Im α
    ((1, 6, 2), (7, 0, 2)),             # g_a Re α
    ((2, 3, -2), (3, 2, 2)),            # g_m Re β₁   (Δ'_m)
    ((2, 3, 4), (3, 2, -4)),            # K |μ|²      (Δ'_m)
    ((2, 3, -2), (3, 2, -2)),           # K (R² − I²)
    ((2, 2, 4), (3, 3, -4)),            # K R I
    ((2, 4, -2), (5, 3, 2)),            # g_m Im μ
    ((3, 4, 2), (5, 2, 2)),             # g_m Re μ
)
_FEATURE_MAP = np.zeros((len(_DRIFT_FEATURES), 64))
for _k, _entries in enumerate(_DRIFT_FEATURES):
    for _r, _c, _v in _entries:
        _FEATURE_MAP[_k, 8 * _r + _c] += _v


def _drift_features(x, c):
    ar, ai, mr, mi, b1r, _, b2r, _ = x
    return np.stack([c.g_a * b2r, c.g_a * ai, c.g_a * ar, c.g_m * b1r,
                     c.K * (mr * mr + mi * mi), c.K * (mr * mr - mi * mi), c.K * mr * mi,
                     c.g_m * mi, c.g_m * mr], axis=1)


def drift_matrix(x: np.ndarray, c: Coefficients) -> np.ndarray:
    """Drift matrix A (SI eq. S11) for states x (8, N), shape (N, 8, 8).

    A = L + Σ_k f_k(x) M_k: the constant part :attr:`Coefficients.linear_part` plus nine
    state-dependent features (see :data:`_DRIFT_FEATURES`) mapped by one matrix product.
    Equal to :func:`drift_matrix_explicit` (tested), which spells every entry out.
    """
    return c.linear_part + (_drift_features(x, c) @ _FEATURE_MAP).reshape(-1, 8, 8)


def drift_matrix_explicit(x: np.ndarray, c: Coefficients) -> np.ndarray:
    """Drift matrix A(α, μ, β) of the fluctuation quadratures (SI eqs. S8, S11), shape (N, 8, 8).

    Derived from S8 with Δ'_a = Δ_a − 2g_a Re β₂ and Δ'_m = Δ_m − 2g_m Re β₁ + 4K|μ|² (S9),
    writing μ = R + iI:

    rows X_a, Y_a:  [−κ_a, Δ'_a | X_b2: −2g_a Im α] , [−Δ'_a, −κ_a | X_b2: 2g_a Re α]
    rows X_m, Y_m:  [−κ_m + 4KRI, Δ'_m − 2K(R²−I²) | X_b1: −2g_m I],
                    [−Δ'_m − 2K(R²−I²), −κ_m − 4KRI | X_b1: 2g_m R]
    rows X_b1, Y_b1: [−γ₁, ω₁, Y_b2: −χ], [X_m: 2g_m R, Y_m: 2g_m I, −ω₁, −γ₁, X_b2: χ]
    rows X_b2, Y_b2: [Y_b1: −χ, −γ₂, ω₂], [X_a: 2g_a Re α, Y_a: 2g_a Im α, X_b1: χ, −ω₂, −γ₂]
    """
    ar, ai, mr, mi, b1r, b1i, b2r, b2i = x
    n = x.shape[1]
    da = c.Delta_a - 2 * c.g_a * b2r
    nm = mr * mr + mi * mi
    dm = c.Delta_m - 2 * c.g_m * b1r + 4 * c.K * nm
    p = 2 * c.K * (mr * mr - mi * mi)
    q = 4 * c.K * mr * mi
    A = np.zeros((n, 8, 8))
    A[:, 0, 0] = -c.kappa_a
    A[:, 0, 1] = da
    A[:, 0, 6] = -2 * c.g_a * ai
    A[:, 1, 0] = -da
    A[:, 1, 1] = -c.kappa_a
    A[:, 1, 6] = 2 * c.g_a * ar
    A[:, 2, 2] = -c.kappa_m + q
    A[:, 2, 3] = dm - p
    A[:, 2, 4] = -2 * c.g_m * mi
    A[:, 3, 2] = -dm - p
    A[:, 3, 3] = -c.kappa_m - q
    A[:, 3, 4] = 2 * c.g_m * mr
    A[:, 4, 4] = -c.gamma1
    A[:, 4, 5] = c.omega1
    A[:, 4, 7] = -c.chi
    A[:, 5, 2] = 2 * c.g_m * mr
    A[:, 5, 3] = 2 * c.g_m * mi
    A[:, 5, 4] = -c.omega1
    A[:, 5, 5] = -c.gamma1
    A[:, 5, 6] = c.chi
    A[:, 6, 5] = -c.chi
    A[:, 6, 6] = -c.gamma2
    A[:, 6, 7] = c.omega2
    A[:, 7, 0] = 2 * c.g_a * ar
    A[:, 7, 1] = 2 * c.g_a * ai
    A[:, 7, 4] = c.chi
    A[:, 7, 6] = -c.omega2
    A[:, 7, 7] = -c.gamma2
    return A


def diffusion_matrix(c: Coefficients) -> np.ndarray:
    """Diffusion matrix Q (SI eq. S20), shape (N, 8, 8).

    Q = diag(κ_a, κ_a, (2n̄_m+1)κ_m, (2n̄_m+1)κ_m, (2n̄₁+1)γ₁, (2n̄₁+1)γ₁, (2n̄₂+1)γ₂, (2n̄₂+1)γ₂).
    """
    d = np.stack([c.kappa_a, c.kappa_a,
                  (2 * c.n_m + 1) * c.kappa_m, (2 * c.n_m + 1) * c.kappa_m,
                  (2 * c.n1 + 1) * c.gamma1, (2 * c.n1 + 1) * c.gamma1,
                  (2 * c.n2 + 1) * c.gamma2, (2 * c.n2 + 1) * c.gamma2], axis=-1)
    Q = np.zeros((c.n, 8, 8))
    idx = np.arange(8)
    Q[:, idx, idx] = d
    return Q


# --------------------------------------------------------------------------- fixed points
def _beta_response(c: Coefficients):
    """Linear response of stationary (β₁, β₂) to the forces i g_m N_m and i g_a N_a.

    Stationary S7c,d: (γ₁+iω₁)β₁ − iχβ₂ = i g_m N_m ;  −iχβ₁ + (γ₂+iω₂)β₂ = i g_a N_a.
    Returns the complex coefficients (c11, c12, c21, c22) with β₁ = c11 N_m + c12 N_a and
    β₂ = c21 N_m + c22 N_a.
    """
    m11 = c.gamma1 + 1j * c.omega1
    m22 = c.gamma2 + 1j * c.omega2
    det = m11 * m22 + c.chi**2          # (−iχ)(−iχ) = −χ²  →  det = m11 m22 − (−χ²)
    c11 = 1j * c.g_m * m22 / det
    c12 = 1j * c.g_a * (1j * c.chi) / det
    c21 = 1j * c.g_m * (1j * c.chi) / det
    c22 = 1j * c.g_a * m11 / det
    return c11, c12, c21, c22


def fixed_points(c: Coefficients, i: int = 0, n_grid: int = 4000) -> list[np.ndarray]:
    """All fixed points of the mean-field equations (S7) for batch point ``i``.

    With N_a = |α|², N_m = |μ|² and the stationary β linear in (N_m, N_a), the fixed points
    solve two coupled cubics

        N_a [κ_a² + (Δ_a − 2g_a Re β₂)²] = ξ_a²,
        N_m [κ_m² + (Δ_m − 2g_m Re β₁ + 2K N_m)²] = ξ_m².

    When the N_a-dependence of the magnon equation vanishes (χ = 0 or g_a = 0) the second is
    a cubic in N_m alone (the Kerr cubic) and is solved with ``numpy.roots``.  Otherwise the
    resultant in N_m (Sylvester determinant) is scanned on a log grid of ``n_grid`` points
    in (0, ξ_m²/κ_m²] for sign changes and refined with Brent's method.  Every candidate is
    polished by Newton iteration on the full 8-dimensional mean-field equations.  Returns a
    list of real states x (length 8), deduplicated.
    """
    from scipy.optimize import brentq

    ci = _take(c, i)
    c11, c12, c21, c22 = (z[0] for z in _beta_response(ci))
    ka, km = float(ci.kappa_a[0]), float(ci.kappa_m[0])
    Da, Dm, K = float(ci.Delta_a[0]), float(ci.Delta_m[0]), float(ci.K[0])
    ga, gm = float(ci.g_a[0]), float(ci.g_m[0])
    xa2, xm2 = float(ci.xi_a[0]) ** 2, float(ci.xi_m[0]) ** 2
    # detunings are affine in (N_a, N_m):  δ_a = Da − p1 N_m − p2 N_a,  δ_m = Dm − q1 N_m − q2 N_a
    p1, p2 = 2 * ga * c21.real, 2 * ga * c22.real
    q1, q2 = 2 * gm * c11.real - 2 * K, 2 * gm * c12.real

    def cubic_in_na(v):      # coefficients (highest first) of eq. a in N_a at N_m = v
        D = Da - p1 * v
        return [p2 * p2, -2 * D * p2, ka * ka + D * D, -xa2]

    def quad_in_na(v):       # eq. m as polynomial in N_a at N_m = v
        D = Dm - q1 * v
        return [v * q2 * q2, -2 * v * q2 * D, v * (km * km + D * D) - xm2]

    candidates = []
    vmax = xm2 / km**2 if km > 0 else 1e12
    umax = xa2 / ka**2 if ka > 0 else 1e12
    scale_q2 = abs(q2) * max(umax, 1.0)
    if scale_q2 < 1e-12 * max(abs(Dm), km, 1e-30):
        # magnon equation independent of N_a: Kerr cubic in N_m
        # v (km² + (Dm − q1 v)²) − xm2 = q1² v³ − 2 Dm q1 v² + (km² + Dm²) v − xm2
        for v in _positive_real_roots([q1 * q1, -2 * Dm * q1, km * km + Dm * Dm, -xm2]):
            for u in _positive_real_roots(cubic_in_na(v)):
                candidates.append((u, v))
    else:
        def resultant(v):
            P, R = cubic_in_na(v), quad_in_na(v)
            S = np.zeros((5, 5))
            S[0, 0:4] = P
            S[1, 1:5] = P
            S[2, 0:3] = R
            S[3, 1:4] = R
            S[4, 2:5] = R
            return np.linalg.det(S)
        grid = np.geomspace(vmax * 1e-12, vmax, n_grid)
        vals = _resultant_grid(grid, cubic_in_na, quad_in_na)
        for k in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
            v = brentq(resultant, grid[k], grid[k + 1], xtol=1e-14 * grid[k + 1], rtol=1e-12)
            us = _positive_real_roots(cubic_in_na(v))
            # keep the N_a root that also satisfies the magnon equation best
            if us:
                res = [abs(np.polyval(quad_in_na(v), u)) for u in us]
                candidates.append((us[int(np.argmin(res))], v))
    states = []
    for u, v in candidates:
        x = _state_from_numbers(u, v, ci, (c11, c12, c21, c22))
        x = _newton_polish(x, ci)
        if x is None:
            continue
        if not any(np.allclose(x, s, rtol=1e-7, atol=1e-9) for s in states):
            states.append(x)
    return states


def _resultant_grid(grid, cubic, quad):
    """Sylvester resultant of cubic(v) and quad(v) in N_a, evaluated on all of ``grid``."""
    P = cubic(grid)
    R = quad(grid)
    S = np.zeros((grid.size, 5, 5))
    for j in range(4):
        S[:, 0, j] = P[j]
        S[:, 1, j + 1] = P[j]
    for j in range(3):
        S[:, 2, j] = R[j]
        S[:, 3, j + 1] = R[j]
        S[:, 4, j + 2] = R[j]
    return np.linalg.det(S)


def _positive_real_roots(coeffs) -> list[float]:
    coeffs = np.asarray(coeffs, dtype=float)
    nz = np.nonzero(np.abs(coeffs) > 0)[0]
    if len(nz) == 0:
        return []
    r = np.roots(coeffs[nz[0]:])
    tol = 1e-7 * np.maximum(1.0, np.abs(r))
    return sorted(float(z.real) for z in r if abs(z.imag) <= tol.max() and z.real > 0)


def _state_from_numbers(na, nm, ci, cc):
    c11, c12, c21, c22 = cc
    b1 = c11 * nm + c12 * na
    b2 = c21 * nm + c22 * na
    da = ci.Delta_a[0] - 2 * ci.g_a[0] * b2.real
    dm = ci.Delta_m[0] - 2 * ci.g_m[0] * b1.real + 2 * ci.K[0] * nm
    alpha = ci.xi_a[0] / (ci.kappa_a[0] + 1j * da)
    mu = ci.xi_m[0] / (ci.kappa_m[0] + 1j * dm)
    z = np.array([alpha, mu, b1, b2])
    x = np.empty(8)
    x[0::2], x[1::2] = z.real, z.imag
    return x


def _newton_polish(x, ci, iters: int = 30):
    for _ in range(iters):
        f = mean_field_rhs(x[:, None], ci)[:, 0]
        J = drift_matrix(x[:, None], ci)[0]
        try:
            dx = np.linalg.solve(J, -f)
        except np.linalg.LinAlgError:
            return None
        x = x + dx
        if np.linalg.norm(dx) <= 1e-13 * max(1.0, np.linalg.norm(x)):
            break
    f = mean_field_rhs(x[:, None], ci)[:, 0]
    scale = max(1.0, float(np.max(np.abs(ci.xi_a))), float(np.max(np.abs(ci.xi_m))))
    return x if np.linalg.norm(f) < 1e-8 * scale else None


def _take(c: Coefficients, i: int) -> Coefficients:
    return Coefficients(**{f.name: getattr(c, f.name)[i:i + 1] for f in fields(c)})


# ----------------------------------------------------------------------- derived numbers
def photon_magnon_numbers(x: np.ndarray):
    """Mean photon and magnon numbers N_a = |α|², N_m = |μ|² (x of shape (8, ...))."""
    return x[0] ** 2 + x[1] ** 2, x[2] ** 2 + x[3] ** 2


def effective_couplings(x: np.ndarray, c: Coefficients):
    """Effective couplings G_a = g_a|α| = g_a√N_a and G_m = g_m|μ| (SI Table I convention).

    ``g`` is the mass-scaled coupling g/√ρ.  (The drift matrix carries 2g Re α etc.; the
    quadrature convention multiplies these G by 2, the Table I convention does not.)
    """
    na, nm = photon_magnon_numbers(x)
    return c.g_a * np.sqrt(na), c.g_m * np.sqrt(nm)


class LaiModel:
    """The Lai 2025 model as seen by the generic solvers (see :mod:`qorepro.solver`)."""

    name = "lai2025"
    mode_names = MODE_NAMES
    quadrature_names = QUADRATURE_NAMES
    mechanical_modes = MECHANICAL_MODES
    n_modes = 4
    Params = LaiParams
    Initial = InitialState

    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    drift_matrix = staticmethod(drift_matrix)
    diffusion_matrix = staticmethod(diffusion_matrix)
    fixed_points = staticmethod(fixed_points)


MODEL = LaiModel()
