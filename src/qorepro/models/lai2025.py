"""Lai, Miranowicz & Nori (2025) opto-magno-mechanical model (SI §II.A).

Modes, in this order: photon ``a``, magnon ``m``, phonons ``b1`` (YIG sphere, coupled to m)
and ``b2`` (silica sphere, coupled to a).  Everything is in units of ω₁ (see
:mod:`qorepro.units`).  :class:`LaiParams` fields may be scalars or 1-D arrays (a batch of
parameter points); :func:`coefficients` turns them into a :class:`Coefficients` pytree whose
leaves have shape (N,).

State vector of the mean fields (real, length 8; a batch is the *last* axis, as for every
model, see :mod:`qorepro.models.base`)::

    x = [Re α, Im α, Re μ, Im μ, Re β₁, Im β₁, Re β₂, Im β₂]

The fluctuation quadratures are u = [X_a, Y_a, X_m, Y_m, X_b1, Y_b1, X_b2, Y_b2]
(SI eq. S12) with X = (δo† + δo)/√2 = √2 Re δo and Y = √2 Im δo, so the drift A of eq. (S11)
is exactly the Jacobian ∂ẋ/∂x of the mean-field flow (S7): the fluctuation equations (S8)
are its linearisation.  This module therefore writes the physics once — the mean-field
equations :func:`mean_field_rhs` and the diffusion :func:`diffusion_matrix` (S20) — and the
engine derives A by automatic differentiation (:mod:`qorepro.gaussian`); the tests compare
that A with the matrix written out by hand from S8 (the transcription of the printed S14 is
garbled).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from .. import units
from ..arrays import namespace
from .base import DIRECTIONS, Axis, ParamsMixin, Variable, plot_labels

MODE_NAMES = ("a", "m", "b1", "b2")
QUADRATURE_NAMES = ("X_a", "Y_a", "X_m", "Y_m", "X_b1", "Y_b1", "X_b2", "Y_b2")
#: indices of the two mechanical modes in the mode list (for S_Q, E_N, squeezing)
MECHANICAL_MODES = (2, 3)
#: indices of the photon and magnon modes (driven by ξ_a, ξ_m)
OPTICAL_MODES = (0, 1)
#: the paper, and the method of the linearised moment equations (as the workflow stamps them)
REFERENCES = ("D.-G. Lai, A. Miranowicz, F. Nori, Nonreciprocal quantum synchronization, "
              "Nat. Commun. (2025) and its Supplementary Information; A. Mari et al., "
              "PRL 111, 103605 (2013)",)


@dataclass(frozen=True)
class LaiParams(ParamsMixin):
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


class Coefficients(NamedTuple):
    """Effective model coefficients (a JAX pytree); each leaf has shape (N,)."""
    omega1: np.ndarray
    omega2: np.ndarray
    gamma1: np.ndarray
    gamma2: np.ndarray
    kappa_a: np.ndarray
    kappa_m: np.ndarray
    g_a: np.ndarray       # g_a/√ρ
    g_m: np.ndarray       # g_m/√ρ
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
        return int(np.shape(self.omega1)[0])

    def take(self, idx) -> Coefficients:
        """The coefficients of the points ``idx`` (an index array or slice)."""
        return Coefficients(*(np.asarray(v)[idx] for v in self))


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
        sigma_a=np.asarray(sigma, dtype=float),
    )


def _equations(x, c: Coefficients, number_shift: float, kerr_shift: float):
    """SI eq. (S7) with the mode numbers |α|², |μ|² in the forces and the Kerr shift replaced
    by |α|² − number_shift and |μ|² − kerr_shift (0, 0: mean field; ½, 1: Wigner drift)."""
    xp = namespace(x)
    ar, ai, mr, mi, b1r, b1i, b2r, b2i = x
    n_a = ar * ar + ai * ai
    n_m = mr * mr + mi * mi
    # α̇ and μ̇ as −(κ + iΔ_eff) z + ξ with the field-dependent detunings
    # Δ_eff,a = Δ_a − 2g_a Re β₂ and Δ_eff,m = Δ_m + 2K|μ|² − 2g_m Re β₁
    da = c.Delta_a - 2 * c.g_a * b2r
    dm = c.Delta_m + 2 * c.K * (n_m - kerr_shift) - 2 * c.g_m * b1r
    return xp.stack([
        -c.kappa_a * ar + da * ai + c.xi_a,
        -c.kappa_a * ai - da * ar,
        -c.kappa_m * mr + dm * mi + c.xi_m,
        -c.kappa_m * mi - dm * mr,
        -c.gamma1 * b1r + c.omega1 * b1i - c.chi * b2i,
        -c.gamma1 * b1i - c.omega1 * b1r + c.g_m * (n_m - number_shift) + c.chi * b2r,
        -c.gamma2 * b2r + c.omega2 * b2i - c.chi * b1i,
        -c.gamma2 * b2i - c.omega2 * b2r + c.g_a * (n_a - number_shift) + c.chi * b1r,
    ])


def mean_field_rhs(x, c: Coefficients):
    """Mean-field equations (SI eq. S7) for the real state x of shape (8, ...):

        α̇ = −(κ_a + iΔ_a) α + 2i g_a α Re β₂ + ξ_a
        μ̇ = −(κ_m + iΔ_m) μ − 2iK|μ|²μ + 2i g_m μ Re β₁ + ξ_m
        β̇₁ = −(γ₁ + iω₁) β₁ + i g_m |μ|² + iχ β₂
        β̇₂ = −(γ₂ + iω₂) β₂ + i g_a |α|² + iχ β₁

    written in real and imaginary parts.  Elementwise in the trailing (batch) axes, so it
    serves one point (x (8,), scalar coefficients) and a batch (x (8, N), leaves (N,)) alike;
    pure array code for numpy or JAX (traced and differentiated: the drift is its Jacobian).
    """
    return _equations(x, c, 0.0, 0.0)


def wigner_drift(x, c: Coefficients):
    """Drift of the truncated-Wigner equations for the same model (derivation in
    :mod:`qorepro.twa`): eq. (S7) with the Weyl symbols of the number operators,

        β̇₁ ⊃ i g_m (|μ|² − ½),   β̇₂ ⊃ i g_a (|α|² − ½),   μ̇ ⊃ −2iK (|μ|² − 1) μ,

    the rest unchanged.  Same layout and conventions as :func:`mean_field_rhs`.
    """
    return _equations(x, c, 0.5, 1.0)


def diffusion_matrix(c: Coefficients):
    """Diffusion matrix Q (SI eq. S20), shape (8, 8, N) (batch last):

    Q = diag(κ_a, κ_a, (2n̄_m+1)κ_m, (2n̄_m+1)κ_m, (2n̄₁+1)γ₁, (2n̄₁+1)γ₁, (2n̄₂+1)γ₂, (2n̄₂+1)γ₂).
    """
    xp = namespace(*c)
    d = xp.stack([c.kappa_a, c.kappa_a,
                  (2 * c.n_m + 1) * c.kappa_m, (2 * c.n_m + 1) * c.kappa_m,
                  (2 * c.n1 + 1) * c.gamma1, (2 * c.n1 + 1) * c.gamma1,
                  (2 * c.n2 + 1) * c.gamma2, (2 * c.n2 + 1) * c.gamma2])
    return xp.eye(8)[:, :, None] * d[None]


# --------------------------------------------------------------------------- fixed points
def _beta_response(c: Coefficients):
    """Linear response of stationary (β₁, β₂) to the forces i g_m N_m and i g_a N_a.

    Stationary S7c,d: (γ₁+iω₁)β₁ − iχβ₂ = i g_m N_m ;  −iχβ₁ + (γ₂+iω₂)β₂ = i g_a N_a.
    Returns the complex coefficients (c11, c12, c21, c22) with β₁ = c11 N_m + c12 N_a and
    β₂ = c21 N_m + c22 N_a (arrays (N,)).
    """
    m11 = c.gamma1 + 1j * c.omega1
    m22 = c.gamma2 + 1j * c.omega2
    det = m11 * m22 + c.chi**2          # (−iχ)(−iχ) = −χ²  →  det = m11 m22 − (−χ²)
    c11 = 1j * c.g_m * m22 / det
    c12 = 1j * c.g_a * (1j * c.chi) / det
    c21 = 1j * c.g_m * (1j * c.chi) / det
    c22 = 1j * c.g_a * m11 / det
    return c11, c12, c21, c22


def _resultant_cubic_quadratic(a0, a1, a2, a3, b0, b1, b2):
    """Sylvester resultant of a0u³+a1u²+a2u+a3 and b0u²+b1u+b2 (the 5×5 determinant,
    expanded; tested against ``numpy.linalg.det``)."""
    return (a0**2 * b2**3 - a0 * a1 * b1 * b2**2 - 2 * a0 * a2 * b0 * b2**2 + a0 * a2 * b1**2 * b2
            + 3 * a0 * a3 * b0 * b1 * b2 - a0 * a3 * b1**3 + a1**2 * b0 * b2**2 - a1 * a2 * b0 * b1 * b2
            - 2 * a1 * a3 * b0**2 * b2 + a1 * a3 * b0 * b1**2 + a2**2 * b0**2 * b2 - a2 * a3 * b0**2 * b1
            + a3**2 * b0**3)


def fixed_point_candidates(c: Coefficients, n_grid: int = 4000):
    """Approximate fixed points of (S7) for every point of the batch, from two polynomials.

    With N_a = |α|², N_m = |μ|² and the stationary β linear in (N_m, N_a), the fixed points
    solve two coupled cubics

        N_a [κ_a² + (Δ_a − 2g_a Re β₂)²] = ξ_a²,
        N_m [κ_m² + (Δ_m − 2g_m Re β₁ + 2K N_m)²] = ξ_m².

    When the N_a-dependence of the magnon equation vanishes (χ = 0 or g_a = 0) the second is
    a cubic in N_m alone (the Kerr cubic), solved with ``numpy.roots``.  Otherwise the
    resultant in N_m (closed form of the Sylvester determinant) is scanned on a log grid of
    ``n_grid`` points in (0, ξ_m²/κ_m²] for sign changes, all points at once, and each
    bracket refined by bisection.  Returns (point index (M,), states x (8, M)); the caller
    polishes them on the full equations (:func:`qorepro.stability.fixed_points`).
    """
    c11, c12, c21, c22 = _beta_response(c)
    ka, km, Da, Dm, K = c.kappa_a, c.kappa_m, c.Delta_a, c.Delta_m, c.K
    xa2, xm2 = c.xi_a**2, c.xi_m**2
    # detunings are affine in (N_a, N_m):  δ_a = Da − p1 N_m − p2 N_a,  δ_m = Dm − q1 N_m − q2 N_a
    p1, p2 = 2 * c.g_a * c21.real, 2 * c.g_a * c22.real
    q1, q2 = 2 * c.g_m * c11.real - 2 * K, 2 * c.g_m * c12.real

    def cubic_in_na(i, v):   # coefficients (highest first) of eq. a in N_a at N_m = v
        D = Da[i] - p1[i] * v
        return p2[i] ** 2, -2 * D * p2[i], ka[i] ** 2 + D * D, -xa2[i]

    def quad_in_na(i, v):    # eq. m as polynomial in N_a at N_m = v
        D = Dm[i] - q1[i] * v
        return v * q2[i] ** 2, -2 * v * q2[i] * D, v * (km[i] ** 2 + D * D) - xm2[i]

    with np.errstate(divide="ignore"):
        vmax = np.where(km > 0, xm2 / km**2, 1e12)
        umax = np.where(ka > 0, xa2 / ka**2, 1e12)
    decoupled = np.abs(q2) * np.maximum(umax, 1.0) < 1e-12 * np.maximum(np.maximum(np.abs(Dm), km), 1e-30)
    pts, nas, nms = [], [], []
    for i in np.nonzero(decoupled)[0]:
        # v (km² + (Dm − q1 v)²) − xm2 = q1² v³ − 2 Dm q1 v² + (km² + Dm²) v − xm2
        for v in _positive_real_roots([q1[i] ** 2, -2 * Dm[i] * q1[i], km[i] ** 2 + Dm[i] ** 2, -xm2[i]]):
            for u in _positive_real_roots(cubic_in_na(i, v)):
                pts.append(i), nas.append(u), nms.append(v)
    idx = np.nonzero(~decoupled)[0]
    if idx.size:
        grid = vmax[idx, None] * np.geomspace(1e-12, 1.0, n_grid)[None]        # (n, G)

        def res(i, v):
            return _resultant_cubic_quadratic(*cubic_in_na(i, v), *quad_in_na(i, v))

        vals = res(idx[:, None], grid)
        r, k = np.nonzero(np.sign(vals[:, :-1]) * np.sign(vals[:, 1:]) < 0)
        i_b = idx[r]
        lo, hi = np.log(grid[r, k]), np.log(grid[r, k + 1])
        f_lo = np.sign(vals[r, k])
        for _ in range(60):                    # bisection in log N_m: 2⁻⁶⁰ of a grid cell
            mid = 0.5 * (lo + hi)
            s = np.sign(res(i_b, np.exp(mid)))
            same = s == f_lo
            lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
        v_b = np.exp(0.5 * (lo + hi))
        # the N_a roots of the cubic at each bracket's N_m (companion eigenvalues, all at once);
        # keep the positive real root that also satisfies the magnon equation best
        a = np.stack(np.broadcast_arrays(*cubic_in_na(i_b, v_b)), axis=-1)          # (B, 4)
        q = np.stack(np.broadcast_arrays(*quad_in_na(i_b, v_b)), axis=-1)           # (B, 3)
        lead = np.abs(a[:, 0]) > 1e-300
        comp = np.zeros((a.shape[0], 3, 3))
        comp[:, 0, :] = -a[:, 1:] / np.where(lead, a[:, 0], 1.0)[:, None]
        comp[:, 1, 0] = comp[:, 2, 1] = 1.0
        roots = np.linalg.eigvals(comp)                                              # (B, 3)
        real = (np.abs(roots.imag) <= 1e-7 * np.maximum(1.0, np.abs(roots)).max(axis=1, keepdims=True)) \
            & (roots.real > 0)
        u = roots.real
        resid = np.abs(q[:, :1] * u**2 + q[:, 1:2] * u + q[:, 2:3])
        best = np.argmin(np.where(real, resid, np.inf), axis=1)
        for r in np.nonzero(lead & real.any(axis=1))[0]:
            pts.append(i_b[r]), nas.append(u[r, best[r]]), nms.append(v_b[r])
        for r in np.nonzero(~lead)[0]:                      # no N_a³ term (g_a = 0): polynomial roots
            us = _positive_real_roots(a[r])
            if us:
                pts.append(i_b[r]), nas.append(us[int(np.argmin([abs(np.polyval(q[r], x)) for x in us]))]), \
                    nms.append(v_b[r])
    pts = np.asarray(pts, dtype=int)
    if not pts.size:
        return pts, np.zeros((8, 0))
    na, nm = np.asarray(nas), np.asarray(nms)
    b1 = c11[pts] * nm + c12[pts] * na
    b2 = c21[pts] * nm + c22[pts] * na
    da = Da[pts] - 2 * c.g_a[pts] * b2.real
    dm = Dm[pts] - 2 * c.g_m[pts] * b1.real + 2 * K[pts] * nm
    alpha = c.xi_a[pts] / (ka[pts] + 1j * da)
    mu = c.xi_m[pts] / (km[pts] + 1j * dm)
    z = np.stack([alpha, mu, b1, b2])
    x = np.empty((8, pts.size))
    x[0::2], x[1::2] = z.real, z.imag
    return pts, x


def _positive_real_roots(coeffs) -> list[float]:
    coeffs = np.array([float(np.asarray(c)) for c in coeffs])
    nz = np.nonzero(np.abs(coeffs) > 0)[0]
    if len(nz) == 0:
        return []
    r = np.roots(coeffs[nz[0]:])
    tol = 1e-7 * np.maximum(1.0, np.abs(r))
    return sorted(float(z.real) for z in r if abs(z.imag) <= tol.max() and z.real > 0)


# ----------------------------------------------------------------------- derived numbers
def photon_magnon_numbers(x):
    """Mean photon and magnon numbers N_a = |α|², N_m = |μ|² (x of shape (8, ...))."""
    return x[0] ** 2 + x[1] ** 2, x[2] ** 2 + x[3] ** 2


def effective_couplings(x, c: Coefficients):
    """Effective couplings G_a = g_a|α| = g_a√N_a and G_m = g_m|μ| (SI Table I convention).

    ``g`` is the mass-scaled coupling g/√ρ.  (The drift matrix carries 2g Re α etc.; the
    quadrature convention multiplies these G by 2, the Table I convention does not.)
    """
    na, nm = photon_magnon_numbers(x)
    return c.g_a * np.sqrt(na), c.g_m * np.sqrt(nm)


#: sweep axis → :class:`~qorepro.models.base.Axis` (parameter fields it sets, units, long name, label)
AXES = {
    "Delta_a": Axis(("Delta_a",), "omega1", "optical detuning Δ_a (before the Sagnac shift)", r"$\Delta_a/\omega_1$"),
    "Delta_m": Axis(("Delta_m",), "omega1", "magnon detuning Δ_m", r"$\Delta_m/\omega_1$"),
    "K": Axis(("K",), "omega1", "magnon-Kerr coefficient K", r"$K/\omega_1$"),
    "kappa_a": Axis(("kappa_a",), "omega1", "optical decay rate κ_a", r"$\kappa_a/\omega_1$"),
    "kappa_m": Axis(("kappa_m",), "omega1", "magnon decay rate κ_m", r"$\kappa_m/\omega_1$"),
    "gamma": Axis(("gamma1", "gamma2"), "omega1", "mechanical damping γ₁ = γ₂", r"$\gamma_j/\omega_1$"),
    "chi": Axis(("chi",), "omega1", "phonon–phonon coupling χ", r"$\chi/\omega_1$"),
    "rho": Axis(("rho",), "1", "mass ratio ρ = m_j/m₀", r"$\rho=m_j/m_0$"),
    "n_th": Axis(("n1", "n2"), "1", "thermal phonon number n̄₁ = n̄₂", r"$\bar n_j$"),
    "Omega": Axis(("Omega_kHz",), "kHz (1e3 rad/s)", "spinning angular velocity Ω",
                  r"$\Omega$ (kHz $\equiv 10^3$ rad/s)"),
    "direction": Axis(("direction",), "1", "light input direction", named_values=DIRECTIONS),
    "xi": Axis(("xi_a", "xi_m"), "omega1", "drive ξ_a = ξ_m"),
    "omega2": Axis(("omega2",), "omega1", "second mechanical frequency ω₂"),
}

#: per-point results of the time-domain engine that belong to this model (the engine's own —
#: window extrema, stability numbers — are in :data:`qorepro.sweep.ENGINE_VARIABLES`)
VARIABLES = {
    "S_Q": Variable("1", "quantum synchronization measure S_Q, late-window mean (main eq. 6)", r"$S_Q$"),
    "S_C": Variable("1", "complete synchronization measure S_C, late-window mean (SI eq. S23)", r"$S_C$"),
    "E_N": Variable("1", "phonon–phonon logarithmic negativity, late-window mean", r"$E_N$"),
    "squeezing_dB": Variable("dB", "two-mode mechanical squeezing below vacuum (smallest quadrature "
                                   "variance of the pair), late-window mean", "two-mode squeezing below vacuum (dB)"),
    "G_a": Variable("omega1", "effective photon–phonon coupling g_a√N_a, late-window mean", r"$G_a/\omega_1$"),
    "G_m": Variable("omega1", "effective magnon–phonon coupling g_m√N_m, late-window mean", r"$G_m/\omega_1$"),
    "N_a": Variable("1", "mean photon number |α|², late-window mean"),
    "N_m": Variable("1", "mean magnon number |μ|², late-window mean"),
    "sigma_a": Variable("omega1", "Sagnac–Fizeau shift σ_a (SI eq. S52)", r"$\sigma_a/\omega_1$"),
    "x_end": Variable("1", "mean fields x = (Re α, Im α, Re μ, Im μ, Re β₁, Im β₁, Re β₂, Im β₂) at t_end"),
}


def observables(x, c: Coefficients) -> dict:
    """The model's mean-field observables at states x (8, ...) (trailing axes broadcast with
    the coefficients' (N,)): N_a, N_m (:func:`photon_magnon_numbers`) and G_a, G_m
    (:func:`effective_couplings`)."""
    na, nm = photon_magnon_numbers(x)
    ga, gm = effective_couplings(x, c)
    return {"G_a": ga, "G_m": gm, "N_a": na, "N_m": nm}


def coefficient_observables(c: Coefficients) -> dict:
    """Per-point numbers fixed by the parameters alone: the Sagnac shift σ_a."""
    return {"sigma_a": c.sigma_a}


class LaiModel:
    """The Lai 2025 model as the engines, plots and claims see it (:mod:`qorepro.models.base`)."""

    name = "lai2025"
    #: computed by time integration of mean fields + covariance (limit cycles), certified by
    #: fixed-point and Floquet analysis
    kind = "time_domain"
    references = REFERENCES
    mode_names = MODE_NAMES
    quadrature_names = QUADRATURE_NAMES
    mechanical_modes = MECHANICAL_MODES
    optical_modes = OPTICAL_MODES
    entangled_modes = MECHANICAL_MODES
    #: the modes whose occupation sets the weight of TWA's dropped terms (qorepro.twa_validity):
    #: a and m enter the cubic couplings and the Kerr term quadratically, b₁ and b₂ linearly
    nonlinear_modes = OPTICAL_MODES
    n_modes = 4
    Params = LaiParams
    defaults = LaiParams()
    Initial = InitialState
    axes = AXES
    variables = VARIABLES
    default_variable = "S_Q"
    labels = plot_labels(AXES, VARIABLES, t=r"$t/\tau$", revival=r"revival factor $\Lambda$")
    #: how a series override (parameter or axis name) is written in a legend: (symbol, unit)
    parameter_symbols = {"K": (r"K/\omega_1", ""), "n1": (r"\bar n_j", ""), "n_th": (r"\bar n_j", ""),
                         "Omega_kHz": (r"\Omega", " kHz"), "chi": (r"\chi/\omega_1", ""),
                         "Delta_m": (r"\Delta_m/\omega_1", ""), "Delta_a": (r"\Delta_a/\omega_1", "")}

    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    wigner_drift = staticmethod(wigner_drift)
    diffusion_matrix = staticmethod(diffusion_matrix)
    fixed_point_candidates = staticmethod(fixed_point_candidates)
    observables = staticmethod(observables)
    coefficient_observables = staticmethod(coefficient_observables)


MODEL = LaiModel()
