"""Jiao et al., "Nonreciprocal enhancement of remote entanglement between nonidentical
mechanical oscillators", Phys. Rev. Applied 18, 064008 (2022): two spinning whispering-gallery
resonators (l, r) cascaded one way through a fibre, each with one optical and one mechanical
mode.

Parameters are physical and named with their units (§III): rates stated as κ/2π, ω_m/2π,
γ_m/2π carry ``_2pi_`` in their names and are multiplied by 2π here; the spinning speeds
Ω_l, Ω_r are angular velocities in 10⁶ rad/s ("MHz").  Internally every rate is in units of
ω_m,l; the detuning Δ is in units of ω_m,l as the paper plots it, and is the effective
detuning (the paper sets Δ_c,l = Δ_c,r = Δ, neglecting the radiation-pressure shift).

Equations implemented (u = (X_l, Y_l, X_r, Y_r, q_l, p_l, q_r, p_r), eq. 13):

* steady state (eq. 10), light entering at the left:  α_l = √κ_ex,l ε_d / (iΔ̃_l + Γ_l/2),
  α_r = √(ηκ_ex,r) e^{iφ} (ε_d − √κ_ex,l α_l) / (iΔ̃_r + Γ_r/2), Δ̃_j = Δ + Δ_F,j;
  light entering at the right: the roles of l and r are exchanged (the right resonator is
  driven first, Δ̃_j = Δ − Δ_F,j);
* drift matrix (eq. 14) with Γ_j = κ_0,j + κ_ex,j, Λ_j = 2g_0,j α_j and the one-way coupling
  J = √(ηκ_ex,l κ_ex,r) e^{iφ} from the upstream to the downstream resonator;
* diffusion D = ½ diag[Γ_l, Γ_l, Γ_r, Γ_r, γ_l(2n̄_l+1), γ_l(2n̄_l+1), γ_r(2n̄_r+1), γ_r(2n̄_r+1)]
  (eq. 18) — as printed (``correlated_noise = 0``): the inputs of the two resonators are
  uncorrelated.  In a cascaded system the downstream resonator is driven by the upstream
  output a_out = a_in − √κ_ex a, whose vacuum noise a_in also drives the upstream resonator;
  the drift keeps the −√κ_ex a part, the printed D drops the matching noise correlation, and
  the resulting V violates the uncertainty relation at every point (even without drive).
  ``correlated_noise = 1`` adds the cross terms of the standard cascaded input
  (Gardiner 1993; Carmichael 1993): the downstream port receives √η e^{iφ} a_in,up + √(1−η) (vacuum),
  D_up,dn = ½√(ηκ_ex,l κ_ex,r) R(φ)ᵀ, the diagonal unchanged;
* E_N between the two mechanical modes (eqs. 20–21); Wigner function of their reduced
  covariance (eq. 23).

Frequency ratio χ = ω_m,r/ω_m,l; g_0,j and n̄_j follow ω_m,j.
"""
from __future__ import annotations

import numpy as np

from .. import units
from ..steady_state import certified_covariance

NAME = "jiao2022"
#: computed at the linearised steady state (Lyapunov equation), Routh–Hurwitz certified
kind = "steady_state"
REFERENCE = ("Y.-F. Jiao, Y. Li, J.-X. Liu, R. Yang, L.-M. Kuang, H. Jing, Nonreciprocal "
             "enhancement of remote entanglement between nonidentical mechanical oscillators, "
             "Phys. Rev. Applied 18, 064008 (2022)")

#: §III parameters (identical resonators, χ = 1, static unless a figure says otherwise)
DEFAULTS = {
    "n": 1.48, "mass_ng": 15.0, "radius_um": 36.0, "wavelength_nm": 780.0,
    "kappa0_2pi_MHz": 15.0, "kappa_ex_l_2pi_MHz": 27.0, "kappa_ex_r_2pi_MHz": 30.0,
    "omega_m_l_2pi_MHz": 88.54, "chi": 1.0, "gamma_m_2pi_kHz": 2.2, "P_mW": 20.0, "T_mK": 100.0,
    "phi": 0.0, "eta": 1.0, "Omega_l_MHz": 0.0, "Omega_r_MHz": 0.0, "Delta": 1.0, "direction": 1.0,
    "correlated_noise": 0.0,    # 0: eq. 18 as printed; 1: cascaded input-noise correlation
}

AXES = {
    "Delta": ("Delta", "omega_m_l", "effective optical detuning Δ/ω_m,l"),
    "Omega_l": ("Omega_l_MHz", "MHz (1e6 rad/s)", "angular velocity Ω_l of the left resonator"),
    "Omega_r": ("Omega_r_MHz", "MHz (1e6 rad/s)", "angular velocity Ω_r of the right resonator"),
    "chi": ("chi", "1", "mechanical frequency ratio χ = ω_m,r/ω_m,l"),
    "T": ("T_mK", "mK", "bath temperature T"),
    "P": ("P_mW", "mW", "input power P"),
    "phi": ("phi", "rad", "fibre phase delay φ"),
    "eta": ("eta", "1", "fibre power transmission η"),
    "direction": ("direction", "1", "input direction (left: Δ_F,j > 0)"),
}

VARIABLES = {
    "E_N": ("1", "logarithmic negativity between the two mechanical modes (eqs. 20–21)"),
    "N_l": ("1", "intracavity photon number |α_l|²"),
    "N_r": ("1", "intracavity photon number |α_r|²"),
    "G_l": ("omega_m_l", "effective coupling 2g₀,l|α_l|/ω_m,l"),
    "G_r": ("omega_m_l", "effective coupling 2g₀,r|α_r|/ω_m,l"),
}
DIM = 8
ENTANGLED_MODES = (2, 3)
COVARIANCE_LABELS = ("X_l", "Y_l", "X_r", "Y_r", "q_l", "p_l", "q_r", "p_r")


def rates(p: dict) -> dict:
    """Dimensionless rates (units of ω_m,l) from physical parameters (arrays broadcast)."""
    g = {k: np.asarray(p.get(k, v), dtype=float) for k, v in DEFAULTS.items()}
    two_pi = 2 * np.pi
    wl = two_pi * g["omega_m_l_2pi_MHz"] * units.MHZ
    wr = g["chi"] * wl
    lam = g["wavelength_nm"] * units.NM
    R = g["radius_um"] * units.UM
    m = g["mass_ng"] * units.NG_KG
    omega_c = units.optical_angular_frequency(lam)
    shift = lambda Om: g["direction"] * units.fizeau_shift(Om * units.MHZ, g["n"], R, lam) / wl
    k0 = two_pi * g["kappa0_2pi_MHz"] * units.MHZ / wl
    kl = two_pi * g["kappa_ex_l_2pi_MHz"] * units.MHZ / wl
    kr = two_pi * g["kappa_ex_r_2pi_MHz"] * units.MHZ / wl
    T = g["T_mK"] * units.MK
    return {
        "kappa0": k0, "kex_l": kl, "kex_r": kr,
        "omega_r": g["chi"], "gamma": two_pi * g["gamma_m_2pi_kHz"] * units.KHZ / wl,
        "g0_l": units.optomechanical_coupling(omega_c, R, m, wl) / wl,
        "g0_r": units.optomechanical_coupling(omega_c, R, m, wr) / wl,
        # ε_d in units of sqrt(ω_m,l): α = √κ_ex ε_d/(…) is then dimensionless
        "eps": units.drive_rate(g["P_mW"] * units.MW, omega_c) / np.sqrt(wl),
        "n_l": units.thermal_occupation(wl, T), "n_r": units.thermal_occupation(wr, T),
        "Delta_l": g["Delta"] + shift(g["Omega_l_MHz"]), "Delta_r": g["Delta"] + shift(g["Omega_r_MHz"]),
        "phi": g["phi"], "eta": g["eta"], "left_input": g["direction"] > 0,
        "correlated": g["correlated_noise"],
    }


def amplitudes(r: dict):
    """Eq. 10 (and its mirror image for light entering at the right): (α_l, α_r)."""
    zl = 1j * r["Delta_l"] + (r["kappa0"] + r["kex_l"]) / 2
    zr = 1j * r["Delta_r"] + (r["kappa0"] + r["kex_r"]) / 2
    ph = np.exp(1j * r["phi"])
    # left input: l is upstream
    al_L = np.sqrt(r["kex_l"]) * r["eps"] / zl
    ar_L = np.sqrt(r["eta"] * r["kex_r"]) * ph * (r["eps"] - np.sqrt(r["kex_l"]) * al_L) / zr
    # right input: r is upstream
    ar_R = np.sqrt(r["kex_r"]) * r["eps"] / zr
    al_R = np.sqrt(r["eta"] * r["kex_l"]) * ph * (r["eps"] - np.sqrt(r["kex_r"]) * ar_R) / zl
    left = r["left_input"]
    return np.where(left, al_L, al_R), np.where(left, ar_L, ar_R)


def drift_matrix(r: dict, al, ar) -> np.ndarray:
    """Eq. 14: A (…, 8, 8) in units of ω_m,l (one-way coupling from the upstream resonator)."""
    shape = np.shape(al)
    b = lambda x: np.broadcast_to(x, shape)
    A = np.zeros(shape + (8, 8))
    Gl, Gr = b(r["kappa0"] + r["kex_l"]), b(r["kappa0"] + r["kex_r"])
    Dl, Dr = b(r["Delta_l"]), b(r["Delta_r"])
    Ll = 2 * b(r["g0_l"]) * al
    Lr = 2 * b(r["g0_r"]) * ar
    for (x, y, G, D, L, q) in ((0, 1, Gl, Dl, Ll, 4), (2, 3, Gr, Dr, Lr, 6)):
        A[..., x, x] = A[..., y, y] = -G / 2
        A[..., x, y] = D
        A[..., y, x] = -D
        A[..., x, q] = -L.imag
        A[..., y, q] = L.real
        A[..., q + 1, x] = L.real
        A[..., q + 1, y] = L.imag
    K = b(np.sqrt(r["eta"] * r["kex_l"] * r["kex_r"]))
    Jc, Js = K * np.cos(b(r["phi"])), K * np.sin(b(r["phi"]))
    left = b(r["left_input"])
    # downstream (X, Y) += −J_c X_up + J_s Y_up,  −J_s X_up − J_c Y_up
    for dn, up, sel in (((2, 3), (0, 1), left), ((0, 1), (2, 3), ~left)):
        A[..., dn[0], up[0]] = np.where(sel, -Jc, 0.0)
        A[..., dn[0], up[1]] = np.where(sel, Js, 0.0)
        A[..., dn[1], up[0]] = np.where(sel, -Js, 0.0)
        A[..., dn[1], up[1]] = np.where(sel, -Jc, 0.0)
    g = b(r["gamma"])
    for q, w in ((4, np.ones(shape)), (6, b(r["omega_r"]))):
        A[..., q, q] = A[..., q + 1, q + 1] = -g / 2
        A[..., q, q + 1] = w
        A[..., q + 1, q] = -w
    return A


def diffusion_matrix(r: dict, shape) -> np.ndarray:
    """Eq. 18, units of ω_m,l."""
    b = lambda x: np.broadcast_to(x, shape)
    diag = [r["kappa0"] + r["kex_l"]] * 2 + [r["kappa0"] + r["kex_r"]] * 2 \
        + [r["gamma"] * (2 * r["n_l"] + 1)] * 2 + [r["gamma"] * (2 * r["n_r"] + 1)] * 2
    D = np.zeros(tuple(shape) + (8, 8))
    for i, d in enumerate(diag):
        D[..., i, i] = 0.5 * b(d)
    # cascaded input: the upstream vacuum input reaches the downstream resonator rotated by φ
    c = 0.5 * b(r["correlated"] * np.sqrt(r["eta"] * r["kex_l"] * r["kex_r"]))
    cos, sin = c * np.cos(b(r["phi"])), c * np.sin(b(r["phi"]))
    left = b(r["left_input"])
    for up, dn, sel in (((0, 1), (2, 3), left), ((2, 3), (0, 1), ~left)):
        block = {(up[0], dn[0]): cos, (up[0], dn[1]): sin, (up[1], dn[0]): -sin, (up[1], dn[1]): cos}
        for (i, j), v in block.items():
            D[..., i, j] = D[..., j, i] = np.where(sel, v, D[..., i, j])
    return D


def mean_field_rhs(r: dict, x: np.ndarray) -> np.ndarray:
    """Eq. 8 with the mechanical displacement kept dynamical (eq. 4 without noise) on
    x = √2 (Re a_l, Im a_l, Re a_r, Im a_r, Re b_l, Im b_l, Re b_r, Im b_r), units of ω_m,l,
    at the *effective* detunings Δ̃_j (the displacement's shift is absorbed into Δ, as in the
    paper, so that its Jacobian at the steady state of :func:`amplitudes` is eq. 14)."""
    s2 = np.sqrt(2)
    al, ar = (x[..., 0] + 1j * x[..., 1]) / s2, (x[..., 2] + 1j * x[..., 3]) / s2
    bl, br = (x[..., 4] + 1j * x[..., 5]) / s2, (x[..., 6] + 1j * x[..., 7]) / s2
    bl0, br0 = mechanical_means(r, *amplitudes(r))
    # bare detunings such that Δ̃ = Δ_bare − g₀(β + β*) at the steady state
    Dl = r["Delta_l"] + 2 * r["g0_l"] * bl0.real
    Dr = r["Delta_r"] + 2 * r["g0_r"] * br0.real
    K = np.sqrt(r["eta"] * r["kex_l"] * r["kex_r"]) * np.exp(1j * r["phi"])
    left = r["left_input"]
    dal = -(1j * Dl + (r["kappa0"] + r["kex_l"]) / 2) * al + 1j * r["g0_l"] * al * 2 * bl.real
    dar = -(1j * Dr + (r["kappa0"] + r["kex_r"]) / 2) * ar + 1j * r["g0_r"] * ar * 2 * br.real
    ph = np.exp(1j * r["phi"])
    dal = dal + np.where(left, np.sqrt(r["kex_l"]) * r["eps"],
                         -K * ar + np.sqrt(r["eta"] * r["kex_l"]) * ph * r["eps"])
    dar = dar + np.where(left, -K * al + np.sqrt(r["eta"] * r["kex_r"]) * ph * r["eps"],
                         np.sqrt(r["kex_r"]) * r["eps"])
    dbl = -(1j + r["gamma"] / 2) * bl + 1j * r["g0_l"] * np.abs(al) ** 2
    dbr = -(1j * r["omega_r"] + r["gamma"] / 2) * br + 1j * r["g0_r"] * np.abs(ar) ** 2
    return np.stack([s2 * z for d in (dal, dar, dbl, dbr) for z in (d.real, d.imag)], -1)


def mechanical_means(r: dict, al, ar):
    """β_j = i g₀,j |α_j|² / (iω_m,j + γ_m/2) (eq. 10), units of ω_m,l."""
    return (1j * r["g0_l"] * np.abs(al) ** 2 / (1j + r["gamma"] / 2),
            1j * r["g0_r"] * np.abs(ar) ** 2 / (1j * r["omega_r"] + r["gamma"] / 2))


def steady_state_vector(r: dict) -> np.ndarray:
    al, ar = amplitudes(r)
    bl, br = mechanical_means(r, al, ar)
    s2 = np.sqrt(2)
    return np.stack([s2 * z for c in (al, ar, bl, br) for z in (c.real, c.imag)], -1)


def solve(p: dict) -> dict:
    """All per-point results for a batch of parameter points (dict of equal-shape arrays)."""
    r = rates(p)
    shape = np.broadcast(*r.values()).shape
    r = {k: np.broadcast_to(v, shape) for k, v in r.items()}
    al, ar = amplitudes(r)
    A = drift_matrix(r, al, ar)
    cov = certified_covariance(A, diffusion_matrix(r, shape), ENTANGLED_MODES)
    return {
        "N_l": np.abs(al) ** 2, "N_r": np.abs(ar) ** 2,
        "G_l": 2 * r["g0_l"] * np.abs(al), "G_r": 2 * r["g0_r"] * np.abs(ar),
        **cov,
    }
