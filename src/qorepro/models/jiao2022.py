"""Jiao et al., "Nonreciprocal enhancement of remote entanglement between nonidentical
mechanical oscillators", Phys. Rev. Applied 18, 064008 (2022): two spinning whispering-gallery
resonators (l, r) cascaded one way through a fibre, each with one optical and one mechanical
mode.

Parameters are physical and named with their units (§III): rates stated as κ/2π, ω_m/2π,
γ_m/2π carry ``_2pi_`` in their names and are multiplied by 2π here; the spinning speeds
Ω_l, Ω_r are angular velocities in 10⁶ rad/s ("MHz").  Internally every rate is in units of
ω_m,l; the detuning Δ is in units of ω_m,l as the paper plots it, and is the effective
detuning (the paper sets Δ_c,l = Δ_c,r = Δ, neglecting the radiation-pressure shift).

Modes, in this order: ``a_l``, ``a_r`` (optical), ``b_l``, ``b_r`` (mechanical).  State layout
as for every model (:mod:`qorepro.models.base`): x = (Re a_l, Im a_l, Re a_r, Im a_r, Re b_l,
Im b_l, Re b_r, Im b_r), batch last.  Equations implemented (u = (X_l, Y_l, X_r, Y_r, q_l, p_l,
q_r, p_r), eq. 13):

* steady state (eq. 10), light entering at the left:  α_l = √κ_ex,l ε_d / (iΔ̃_l + Γ_l/2),
  α_r = √(ηκ_ex,r) e^{iφ} (ε_d − √κ_ex,l α_l) / (iΔ̃_r + Γ_r/2), Δ̃_j = Δ + Δ_F,j;
  light entering at the right: the roles of l and r are exchanged (the right resonator is
  driven first, Δ̃_j = Δ − Δ_F,j);
* drift matrix (eq. 14, with Γ_j = κ_0,j + κ_ex,j, Λ_j = 2g_0,j α_j and the one-way coupling
  J = √(ηκ_ex,l κ_ex,r) e^{iφ} from the upstream to the downstream resonator): the Jacobian of
  the mean-field equations at the steady state, by automatic differentiation
  (:func:`qorepro.gaussian.drift_matrix`; the tests compare it with eq. 14 written out and with
  finite differences);
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
from ..arrays import namespace
from .base import DIRECTIONS, Axis, Variable, as_dict, batched, params_type, plot_labels

REFERENCES = ("Y.-F. Jiao, Y. Li, J.-X. Liu, R. Yang, L.-M. Kuang, H. Jing, Nonreciprocal "
              "enhancement of remote entanglement between nonidentical mechanical oscillators, "
              "Phys. Rev. Applied 18, 064008 (2022)",)

#: §III parameters (identical resonators, χ = 1, static unless a figure says otherwise);
#: ``correlated_noise`` 0: eq. 18 as printed; 1: cascaded input-noise correlation
Params = params_type("Jiao2022Params", {
    "n": 1.48, "mass_ng": 15.0, "radius_um": 36.0, "wavelength_nm": 780.0,
    "kappa0_2pi_MHz": 15.0, "kappa_ex_l_2pi_MHz": 27.0, "kappa_ex_r_2pi_MHz": 30.0,
    "omega_m_l_2pi_MHz": 88.54, "chi": 1.0, "gamma_m_2pi_kHz": 2.2, "P_mW": 20.0, "T_mK": 100.0,
    "phi": 0.0, "eta": 1.0, "Omega_l_MHz": 0.0, "Omega_r_MHz": 0.0, "Delta": 1.0, "direction": 1.0,
    "correlated_noise": 0.0,
}, "Parameters of Jiao et al. 2022 (§III); scalars or 1-D arrays.")

AXES = {
    "Delta": Axis(("Delta",), "omega_m_l", "effective optical detuning Δ/ω_m,l", r"$\Delta/\omega_{m,l}$"),
    "Omega_l": Axis(("Omega_l_MHz",), "MHz (1e6 rad/s)", "angular velocity Ω_l of the left resonator",
                    r"$\Omega_l$ (MHz)"),
    "Omega_r": Axis(("Omega_r_MHz",), "MHz (1e6 rad/s)", "angular velocity Ω_r of the right resonator",
                    r"$\Omega_r$ (MHz)"),
    "chi": Axis(("chi",), "1", "mechanical frequency ratio χ = ω_m,r/ω_m,l", r"$\chi = \omega_{m,r}/\omega_{m,l}$"),
    "T": Axis(("T_mK",), "mK", "bath temperature T", r"$T$ (mK)"),
    "P": Axis(("P_mW",), "mW", "input power P", r"$P$ (mW)"),
    "phi": Axis(("phi",), "rad", "fibre phase delay φ"),
    "eta": Axis(("eta",), "1", "fibre power transmission η"),
    "direction": Axis(("direction",), "1", "input direction (left: Δ_F,j > 0)", named_values=DIRECTIONS),
}

VARIABLES = {
    "E_N": Variable("1", "logarithmic negativity between the two mechanical modes (eqs. 20–21)", r"$E_N$"),
    "N_l": Variable("1", "intracavity photon number |α_l|²"),
    "N_r": Variable("1", "intracavity photon number |α_r|²"),
    "G_l": Variable("omega_m_l", "effective coupling 2g₀,l|α_l|/ω_m,l"),
    "G_r": Variable("omega_m_l", "effective coupling 2g₀,r|α_r|/ω_m,l"),
}
MODE_NAMES = ("a_l", "a_r", "b_l", "b_r")
QUADRATURE_NAMES = ("X_l", "Y_l", "X_r", "Y_r", "q_l", "p_l", "q_r", "p_r")


def rates(p) -> dict:
    """Dimensionless rates (units of ω_m,l) from physical parameters (arrays broadcast)."""
    v = as_dict(p)
    g = {k: np.asarray(v.get(k, d), dtype=float) for k, d in Params().to_dict().items()}
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


def coefficients(p) -> dict:
    """:func:`rates` broadcast to one batch axis: a dict of (N,) arrays (a JAX pytree)."""
    return batched(rates(p))


def amplitudes(r: dict):
    """Eq. 10 (and its mirror image for light entering at the right): (α_l, α_r)."""
    xp = namespace(*r.values())
    zl = 1j * r["Delta_l"] + (r["kappa0"] + r["kex_l"]) / 2
    zr = 1j * r["Delta_r"] + (r["kappa0"] + r["kex_r"]) / 2
    ph = xp.exp(1j * r["phi"])
    # left input: l is upstream
    al_L = xp.sqrt(r["kex_l"]) * r["eps"] / zl
    ar_L = xp.sqrt(r["eta"] * r["kex_r"]) * ph * (r["eps"] - xp.sqrt(r["kex_l"]) * al_L) / zr
    # right input: r is upstream
    ar_R = xp.sqrt(r["kex_r"]) * r["eps"] / zr
    al_R = xp.sqrt(r["eta"] * r["kex_l"]) * ph * (r["eps"] - xp.sqrt(r["kex_r"]) * ar_R) / zl
    left = r["left_input"]
    return xp.where(left, al_L, al_R), xp.where(left, ar_L, ar_R)


def mechanical_means(r: dict, al, ar):
    """β_j = i g₀,j |α_j|² / (iω_m,j + γ_m/2) (eq. 10), units of ω_m,l."""
    xp = namespace(al, ar)
    return (1j * r["g0_l"] * xp.abs(al) ** 2 / (1j + r["gamma"] / 2),
            1j * r["g0_r"] * xp.abs(ar) ** 2 / (1j * r["omega_r"] + r["gamma"] / 2))


def mean_field_rhs(x, c: dict):
    """Eq. 8 with the mechanical displacement kept dynamical (eq. 4 without noise) on
    x = (Re a_l, Im a_l, Re a_r, Im a_r, Re b_l, Im b_l, Re b_r, Im b_r) of shape (8, ...) (batch
    last), units of ω_m,l, at the *effective* detunings Δ̃_j (the displacement's shift is
    absorbed into Δ, as in the paper, so that its Jacobian at the steady state of
    :func:`amplitudes` is eq. 14):

        ȧ_j = −(iΔ_j + Γ_j/2) a_j + 2i g₀,j a_j Re b_j + (drive or one-way input),
        ḃ_j = −(iω_m,j + γ_m/2) b_j + i g₀,j |a_j|²,

    with Δ_j = Δ̃_j + 2g₀,j Re β_j at the steady state β_j.  Pure array code for numpy or JAX:
    the drift matrix is its Jacobian (:func:`qorepro.gaussian.drift_matrix`).
    """
    xp = namespace(x)
    al, ar = x[0] + 1j * x[1], x[2] + 1j * x[3]
    bl, br = x[4] + 1j * x[5], x[6] + 1j * x[7]
    bl0, br0 = mechanical_means(c, *amplitudes(c))
    # bare detunings such that Δ̃ = Δ_bare − g₀(β + β*) at the steady state
    Dl = c["Delta_l"] + 2 * c["g0_l"] * bl0.real
    Dr = c["Delta_r"] + 2 * c["g0_r"] * br0.real
    K = xp.sqrt(c["eta"] * c["kex_l"] * c["kex_r"]) * xp.exp(1j * c["phi"])
    left = c["left_input"]
    ph = xp.exp(1j * c["phi"])
    dal = -(1j * Dl + (c["kappa0"] + c["kex_l"]) / 2) * al + 1j * c["g0_l"] * al * 2 * bl.real
    dar = -(1j * Dr + (c["kappa0"] + c["kex_r"]) / 2) * ar + 1j * c["g0_r"] * ar * 2 * br.real
    dal = dal + xp.where(left, xp.sqrt(c["kex_l"]) * c["eps"],
                         -K * ar + xp.sqrt(c["eta"] * c["kex_l"]) * ph * c["eps"])
    dar = dar + xp.where(left, -K * al + xp.sqrt(c["eta"] * c["kex_r"]) * ph * c["eps"],
                         xp.sqrt(c["kex_r"]) * c["eps"])
    dbl = -(1j + c["gamma"] / 2) * bl + 1j * c["g0_l"] * (x[0] * x[0] + x[1] * x[1])
    dbr = -(1j * c["omega_r"] + c["gamma"] / 2) * br + 1j * c["g0_r"] * (x[2] * x[2] + x[3] * x[3])
    return xp.stack([z for d in (dal, dar, dbl, dbr) for z in (d.real, d.imag)])


def steady_state(c: dict) -> np.ndarray:
    """The mean-field fixed point (eq. 10), x of shape (8, N)."""
    al, ar = amplitudes(c)
    bl, br = mechanical_means(c, al, ar)
    return np.stack([z for v in (al, ar, bl, br) for z in (v.real, v.imag)])


def diffusion_matrix(c: dict) -> np.ndarray:
    """Eq. 18, units of ω_m,l, shape (8, 8, N) (batch last)."""
    shape = np.broadcast(*c.values()).shape
    b = lambda v: np.broadcast_to(v, shape)
    diag = [c["kappa0"] + c["kex_l"]] * 2 + [c["kappa0"] + c["kex_r"]] * 2 \
        + [c["gamma"] * (2 * c["n_l"] + 1)] * 2 + [c["gamma"] * (2 * c["n_r"] + 1)] * 2
    D = np.zeros((8, 8) + shape)
    for i, d in enumerate(diag):
        D[i, i] = 0.5 * b(d)
    # cascaded input: the upstream vacuum input reaches the downstream resonator rotated by φ
    corr = 0.5 * b(c["correlated"] * np.sqrt(c["eta"] * c["kex_l"] * c["kex_r"]))
    cos, sin = corr * np.cos(b(c["phi"])), corr * np.sin(b(c["phi"]))
    left = b(np.asarray(c["left_input"]) > 0)
    for up, dn, sel in (((0, 1), (2, 3), left), ((2, 3), (0, 1), ~left)):
        block = {(up[0], dn[0]): cos, (up[0], dn[1]): sin, (up[1], dn[0]): -sin, (up[1], dn[1]): cos}
        for (i, j), v in block.items():
            D[i, j] = D[j, i] = np.where(sel, v, D[i, j])
    return D


def solve(p) -> dict:
    """All per-point results for a batch of parameter points (:data:`Params` or a mapping of
    equal-shape arrays); every result has the batch as its first axis."""
    from ..steady_state import model_covariance
    c = coefficients(p)
    al, ar = amplitudes(c)
    cov = model_covariance(MODEL, c, steady_state(c))
    return {
        "N_l": np.abs(al) ** 2, "N_r": np.abs(ar) ** 2,
        "G_l": 2 * c["g0_l"] * np.abs(al), "G_r": 2 * c["g0_r"] * np.abs(ar),
        **cov,
    }


class Jiao2022Model:
    """Jiao et al. 2022 as the engines, plots and claims see it (:mod:`qorepro.models.base`)."""

    name = "jiao2022"
    #: computed at the linearised steady state (Lyapunov equation), Routh–Hurwitz certified
    kind = "steady_state"
    references = REFERENCES
    Params = Params
    defaults = Params()
    axes = AXES
    variables = VARIABLES
    default_variable = "E_N"
    mode_names = MODE_NAMES
    quadrature_names = QUADRATURE_NAMES
    n_modes = 4
    mechanical_modes = (2, 3)
    optical_modes = (0, 1)
    #: the two mechanical modes: E_N of eqs. 20–21
    entangled_modes = (2, 3)
    labels = plot_labels(AXES, VARIABLES, Delta_E_N=r"$\Delta E_N = E_{N}(\mathrm{left}) - E_{N}(\mathrm{right})$",
                         revival="revival factor")
    parameter_symbols = {"Omega_l_MHz": (r"\Omega_l", " MHz"), "Omega_r_MHz": (r"\Omega_r", " MHz"),
                         "chi": (r"\chi", ""), "T_mK": ("T", " mK"), "P_mW": ("P", " mW"),
                         "Delta": (r"\Delta/\omega_{m,l}", "")}

    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    diffusion_matrix = staticmethod(diffusion_matrix)
    steady_state = staticmethod(steady_state)
    solve = staticmethod(solve)


MODEL = Jiao2022Model()

