"""Jiao et al., "Nonreciprocal optomechanical entanglement against backscattering losses",
PRL 125, 143605 (2020): one spinning whispering-gallery resonator, its counter-propagating
optical modes coupled by backscattering J, one mechanical breathing mode.

Parameters are physical, named with their units (Table I of the supplement; "MHz"/"kHz" are
10⁶/10³ rad/s, see :mod:`qorepro.units`).  Internally every rate is in units of ω_m and the
detuning Δ_c is given in units of ω_m, as the paper plots it.

Equations implemented (u = (δX₁, δY₁, δX₂, δY₂, δq, δp), mode 1 = driven, 2 = reflected):

* mean fields (eq. 3 without noise):  ȧ₁ = −(iΔ₁ + κ)a₁ − iJa₂ + iG₀a₁q + ε,
  ȧ₂ = −(iΔ₂ + κ)a₂ − iJa₁ + iG₀a₂q,  q̇ = ω_m p,  ṗ = −ω_m q − γ_m p + G₀(|a₁|² + |a₂|²),
  with Δ₁,₂ = Δ_c ± Δ_F (Δ_F > 0 for the driven mode when light enters from the left);
* steady state (eq. 7): α₁ = (iΔ̃₂ + κ)ε / [(iΔ̃₁ + κ)(iΔ̃₂ + κ) + J²], α₂ = −iJα₁/(iΔ̃₂ + κ),
  q_s = G₀(|α₁|² + |α₂|²)/ω_m, Δ̃_j = Δ_j − G₀q_s — solved self-consistently for q_s;
* drift matrix (eq. 6), derived from the equations above (G_j = √2 G₀ α_j = G_j^x + iG_j^y);
* diffusion D = diag[κ, κ, κ, κ, 0, γ_m(2n_m + 1)] (eq. 10) and AV + VAᵀ = −D (eq. 11);
* E_N between the mechanical mode and the driven optical mode (eqs. 12–13).
"""
from __future__ import annotations

import numpy as np

from .. import units
from ..steady_state import certified_covariance

NAME = "jiao2020"
#: computed at the linearised steady state (Lyapunov equation), Routh–Hurwitz certified
kind = "steady_state"
REFERENCE = ("Y.-F. Jiao, S.-D. Zhang, Y.-L. Zhang, A. Miranowicz, L.-M. Kuang, H. Jing, "
             "Nonreciprocal optomechanical entanglement against backscattering losses, "
             "PRL 125, 143605 (2020), with its Supplemental Material")

#: Table I (supplement) and main text; P = 20 mW and Ω = 0 unless a figure says otherwise
DEFAULTS = {
    "n": 1.48, "mass_ng": 10.0, "radius_mm": 1.1, "wavelength_nm": 1550.0, "Q": 3.2e7,
    "omega_m_MHz": 63.0, "gamma_m_kHz": 5.2, "T_mK": 130.0, "P_mW": 20.0,
    "Omega_kHz": 0.0, "J_MHz": 0.0, "Delta_c": 1.0, "direction": 1.0,
}

#: sweep axis → (parameter, units, long name)
AXES = {
    "Delta_c": ("Delta_c", "omega_m", "bare optical detuning Δ_c/ω_m = (ω_c − ω_l)/ω_m"),
    "Omega": ("Omega_kHz", "kHz (1e3 rad/s)", "angular velocity Ω_r (signed: sense of rotation)"),
    "J": ("J_MHz", "MHz (1e6 rad/s)", "backscattering coupling J"),
    "T": ("T_mK", "mK", "bath temperature T"),
    "Q": ("Q", "1", "optical quality factor Q = ω_c/κ"),
    "P": ("P_mW", "mW", "input power P"),
    "direction": ("direction", "1", "input direction (left: Δ_F > 0 for the driven mode)"),
}

#: result variable → (units, long name)
VARIABLES = {
    "E_N": ("1", "logarithmic negativity, mechanical mode – driven optical mode (eqs. 12–13)"),
    "N_driven": ("1", "intracavity photon number |α₁|² of the driven mode"),
    "N_reflected": ("1", "intracavity photon number |α₂|² of the reflected mode"),
    "G_driven": ("omega_m", "effective coupling |G₁|/ω_m = √2 G₀|α₁|/ω_m of the driven mode"),
    "G_reflected": ("omega_m", "effective coupling |G₂|/ω_m of the reflected mode"),
    "radiation_pressure_shift": ("omega_m", "G₀q_s/ω_m (Δ̃_j = Δ_j − G₀q_s)"),
    "n_steady_states": ("1", "number of self-consistent mean-field solutions (the lowest-q_s one is used)"),
    "Delta_F": ("omega_m", "Sagnac–Fizeau shift of the driven mode Δ_F/ω_m (eq. 1)"),
}
DIM = 6
#: (driven optical, mechanical) mode indices of u for E_N
ENTANGLED_MODES = (0, 2)
COVARIANCE_LABELS = ("X1", "Y1", "X2", "Y2", "q", "p")


def rates(p: dict) -> dict:
    """Dimensionless rates (units of ω_m) from physical parameters (arrays broadcast)."""
    g = {k: np.asarray(p.get(k, v), dtype=float) for k, v in DEFAULTS.items()}
    omega_m = g["omega_m_MHz"] * units.MHZ
    lam = g["wavelength_nm"] * units.NM
    R = g["radius_mm"] * units.MM
    omega_c = units.optical_angular_frequency(lam)
    kappa = omega_c / g["Q"]
    # the laser frequency ω_l = ω_c − Δ_c differs from ω_c by < 1e-7 relative: ħω_l ≈ ħω_c
    eps = units.drive_rate(g["P_mW"] * units.MW, omega_c, kappa)
    return {
        "kappa": kappa / omega_m,
        "J": g["J_MHz"] * units.MHZ / omega_m,
        "gamma": g["gamma_m_kHz"] * units.KHZ / omega_m,
        "G0": units.optomechanical_coupling(omega_c, R, g["mass_ng"] * units.NG_KG, omega_m) / omega_m,
        "eps": eps / omega_m,
        "Delta_F": g["direction"] * units.fizeau_shift(g["Omega_kHz"] * units.KHZ, g["n"], R, lam) / omega_m,
        "n_m": units.thermal_occupation(omega_m, g["T_mK"] * units.MK),
        "Delta_c": g["Delta_c"],
    }


def amplitudes(r: dict, shift):
    """Eq. 7 at a given radiation-pressure shift G₀q_s (units of ω_m): (α₁, α₂, Δ̃₁, Δ̃₂)."""
    d1 = r["Delta_c"] + r["Delta_F"] - shift
    d2 = r["Delta_c"] - r["Delta_F"] - shift
    z1 = 1j * d1 + r["kappa"]
    z2 = 1j * d2 + r["kappa"]
    a1 = z2 * r["eps"] / (z1 * z2 + r["J"] ** 2)
    a2 = -1j * r["J"] * a1 / z2
    return a1, a2, d1, d2


def mean_fields(r: dict, per_linewidth: int = 32, iterations: int = 60):
    """Self-consistent steady state: roots of f(s) = s − G₀²(|α₁(s)|² + |α₂(s)|²), s = G₀q_s.

    Every root lies in [0, G₀²ε²/κ²] (photon balance κN = Re(ε*α₁) ≤ ε√N).  All roots are
    bracketed on a grid with ``per_linewidth`` points per κ (the resonances of |α|² are κ wide,
    so only two roots closer than κ/32 — a saddle-node — can share a cell) and refined by
    bisection, batched; the lowest one is returned with the number of roots (> 1: optical
    bistability).
    """
    r = {k: np.atleast_1d(v) for k, v in r.items()}
    shape = np.broadcast(*r.values()).shape
    r = {k: np.broadcast_to(v, shape) for k, v in r.items()}
    s_max = r["G0"] ** 2 * r["eps"] ** 2 / r["kappa"] ** 2 * (1 + 1e-9) + 1e-300
    grid = int(np.clip(np.ceil(per_linewidth * np.max(s_max / r["kappa"])) + 1, 64, 1 << 14))
    s = s_max[..., None] * np.linspace(0.0, 1.0, grid)
    rr = {k: v[..., None] for k, v in r.items()}

    def f(x, rr=rr):
        a1, a2, _, _ = amplitudes(rr, x)
        return x - rr["G0"] ** 2 * (np.abs(a1) ** 2 + np.abs(a2) ** 2)

    fs = f(s)
    change = (fs[..., :-1] < 0) & (fs[..., 1:] >= 0) | (fs[..., :-1] > 0) & (fs[..., 1:] <= 0)
    n_roots = change.sum(axis=-1)
    first = np.argmax(change, axis=-1)
    lo = np.take_along_axis(s, first[..., None], -1)
    hi = np.take_along_axis(s, first[..., None] + 1, -1)
    flo = np.take_along_axis(fs, first[..., None], -1)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        left = np.sign(fm) == np.sign(flo)
        lo = np.where(left, mid, lo)
        flo = np.where(left, fm, flo)
        hi = np.where(left, hi, mid)
    shift = 0.5 * (lo + hi)[..., 0]
    a1, a2, d1, d2 = amplitudes(r, shift)
    return {"alpha1": a1, "alpha2": a2, "Delta1": d1, "Delta2": d2, "shift": shift, "n_roots": n_roots}


def drift_matrix(r: dict, mf: dict) -> np.ndarray:
    """Eq. 6: A (…, 6, 6) in units of ω_m, u = (δX₁, δY₁, δX₂, δY₂, δq, δp)."""
    G1 = np.sqrt(2) * r["G0"] * mf["alpha1"]
    G2 = np.sqrt(2) * r["G0"] * mf["alpha2"]
    k = np.broadcast_to(r["kappa"], G1.shape)
    J = np.broadcast_to(r["J"], G1.shape)
    d1, d2 = mf["Delta1"], mf["Delta2"]
    A = np.zeros(G1.shape + (6, 6))
    A[..., 0, :] = np.stack([-k, d1, 0 * k, J, -G1.imag, 0 * k], -1)
    A[..., 1, :] = np.stack([-d1, -k, -J, 0 * k, G1.real, 0 * k], -1)
    A[..., 2, :] = np.stack([0 * k, J, -k, d2, -G2.imag, 0 * k], -1)
    A[..., 3, :] = np.stack([-J, 0 * k, -d2, -k, G2.real, 0 * k], -1)
    A[..., 4, 5] = 1.0
    A[..., 5, :] = np.stack([G1.real, G1.imag, G2.real, G2.imag, -np.ones_like(k),
                             -np.broadcast_to(r["gamma"], G1.shape)], -1)
    return A


def diffusion_matrix(r: dict, shape) -> np.ndarray:
    """D = diag[κ, κ, κ, κ, 0, γ_m(2n_m + 1)] (eq. 10), units of ω_m."""
    D = np.zeros(tuple(shape) + (6, 6))
    k = np.broadcast_to(r["kappa"], shape)
    for i in range(4):
        D[..., i, i] = k
    D[..., 5, 5] = np.broadcast_to(r["gamma"] * (2 * r["n_m"] + 1), shape)
    return D


def mean_field_rhs(r: dict, x: np.ndarray) -> np.ndarray:
    """Right-hand side of eq. 3 without noise on x = (√2 Re a₁, √2 Im a₁, √2 Re a₂, √2 Im a₂, q, p)
    (units of ω_m; its Jacobian at the steady state is the drift matrix)."""
    a1 = (x[..., 0] + 1j * x[..., 1]) / np.sqrt(2)
    a2 = (x[..., 2] + 1j * x[..., 3]) / np.sqrt(2)
    q, p = x[..., 4], x[..., 5]
    D1 = r["Delta_c"] + r["Delta_F"]
    D2 = r["Delta_c"] - r["Delta_F"]
    da1 = -(1j * D1 + r["kappa"]) * a1 - 1j * r["J"] * a2 + 1j * r["G0"] * a1 * q + r["eps"]
    da2 = -(1j * D2 + r["kappa"]) * a2 - 1j * r["J"] * a1 + 1j * r["G0"] * a2 * q
    dq = p
    dp = -q - r["gamma"] * p + r["G0"] * (np.abs(a1) ** 2 + np.abs(a2) ** 2)
    s2 = np.sqrt(2)
    return np.stack([s2 * da1.real, s2 * da1.imag, s2 * da2.real, s2 * da2.imag, dq, dp], -1)


def steady_state_vector(r: dict, mf: dict) -> np.ndarray:
    """The mean-field fixed point as x (see :func:`mean_field_rhs`)."""
    s2 = np.sqrt(2)
    q = mf["shift"] / r["G0"]
    return np.stack([s2 * mf["alpha1"].real, s2 * mf["alpha1"].imag, s2 * mf["alpha2"].real,
                     s2 * mf["alpha2"].imag, q, np.zeros_like(q)], -1)


def solve(p: dict) -> dict:
    """All per-point results for a batch of parameter points (dict of equal-shape arrays)."""
    r = rates(p)
    mf = mean_fields(r)
    shape = mf["shift"].shape
    r = {k: np.broadcast_to(v, shape) for k, v in r.items()}
    A = drift_matrix(r, mf)
    cov = certified_covariance(A, diffusion_matrix(r, shape), ENTANGLED_MODES)
    return {
        "N_driven": np.abs(mf["alpha1"]) ** 2,
        "N_reflected": np.abs(mf["alpha2"]) ** 2,
        "G_driven": np.sqrt(2) * r["G0"] * np.abs(mf["alpha1"]),
        "G_reflected": np.sqrt(2) * r["G0"] * np.abs(mf["alpha2"]),
        "radiation_pressure_shift": mf["shift"],
        "n_steady_states": mf["n_roots"],
        "Delta_F": r["Delta_F"],
        **cov,
    }


def fizeau_shift_MHz(Omega_kHz, p: dict | None = None):
    """Δ_F (eq. 1) in MHz (10⁶ rad/s) for the resonator of ``p`` (Table I defaults)."""
    g = {**DEFAULTS, **(p or {})}
    return units.fizeau_shift(np.asarray(Omega_kHz) * units.KHZ, g["n"], g["radius_mm"] * units.MM,
                              g["wavelength_nm"] * units.NM) / units.MHZ
