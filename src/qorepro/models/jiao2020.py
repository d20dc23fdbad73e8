"""Jiao et al., "Nonreciprocal optomechanical entanglement against backscattering losses",
PRL 125, 143605 (2020): one spinning whispering-gallery resonator, its counter-propagating
optical modes coupled by backscattering J, one mechanical breathing mode.

Parameters are physical, named with their units (Table I of the supplement; "MHz"/"kHz" are
10⁶/10³ rad/s, see :mod:`qorepro.units`).  Internally every rate is in units of ω_m and the
detuning Δ_c is given in units of ω_m, as the paper plots it.

Modes, in this order: ``a1`` (driven optical), ``a2`` (reflected optical), ``b`` (mechanical,
q = √2 Re b, p = √2 Im b).  State layout as for every model (:mod:`qorepro.models.base`): the
real and imaginary parts of the amplitudes, x = (Re a₁, Im a₁, Re a₂, Im a₂, Re b, Im b), batch
last.  Equations implemented (u = (δX₁, δY₁, δX₂, δY₂, δq, δp)):

* mean fields (eq. 3 without noise):  ȧ₁ = −(iΔ₁ + κ)a₁ − iJa₂ + iG₀a₁q + ε,
  ȧ₂ = −(iΔ₂ + κ)a₂ − iJa₁ + iG₀a₂q,  q̇ = ω_m p,  ṗ = −ω_m q − γ_m p + G₀(|a₁|² + |a₂|²),
  with Δ₁,₂ = Δ_c ± Δ_F (Δ_F > 0 for the driven mode when light enters from the left);
* steady state (eq. 7): α₁ = (iΔ̃₂ + κ)ε / [(iΔ̃₁ + κ)(iΔ̃₂ + κ) + J²], α₂ = −iJα₁/(iΔ̃₂ + κ),
  q_s = G₀(|α₁|² + |α₂|²)/ω_m, Δ̃_j = Δ_j − G₀q_s — solved self-consistently for q_s;
* drift matrix (eq. 6): the Jacobian of the mean-field equations at the steady state, by
  automatic differentiation (:func:`qorepro.gaussian.drift_matrix`; the tests compare it with
  eq. 6 written out, G_j = √2 G₀ α_j = G_j^x + iG_j^y, and with finite differences);
* diffusion D = diag[κ, κ, κ, κ, 0, γ_m(2n_m + 1)] (eq. 10) and AV + VAᵀ = −D (eq. 11);
* E_N between the mechanical mode and the driven optical mode (eqs. 12–13).
"""
from __future__ import annotations

import numpy as np

from .. import units
from ..arrays import namespace
from .base import DIRECTIONS, Axis, Variable, as_dict, batched, params_type, plot_labels

REFERENCES = ("Y.-F. Jiao, S.-D. Zhang, Y.-L. Zhang, A. Miranowicz, L.-M. Kuang, H. Jing, "
              "Nonreciprocal optomechanical entanglement against backscattering losses, "
              "PRL 125, 143605 (2020), with its Supplemental Material",)

#: Table I (supplement) and main text; P = 20 mW and Ω = 0 unless a figure says otherwise
Params = params_type("Jiao2020Params", {
    "n": 1.48, "mass_ng": 10.0, "radius_mm": 1.1, "wavelength_nm": 1550.0, "Q": 3.2e7,
    "omega_m_MHz": 63.0, "gamma_m_kHz": 5.2, "T_mK": 130.0, "P_mW": 20.0,
    "Omega_kHz": 0.0, "J_MHz": 0.0, "Delta_c": 1.0, "direction": 1.0,
}, "Parameters of Jiao et al. 2020 (Table I of the supplement); scalars or 1-D arrays.")

AXES = {
    "Delta_c": Axis(("Delta_c",), "omega_m", "bare optical detuning Δ_c/ω_m = (ω_c − ω_l)/ω_m",
                    r"$\Delta_c/\omega_m$"),
    "Omega": Axis(("Omega_kHz",), "kHz (1e3 rad/s)", "angular velocity Ω_r (signed: sense of rotation)",
                  r"$\Omega$ (kHz)"),
    "J": Axis(("J_MHz",), "MHz (1e6 rad/s)", "backscattering coupling J", r"$J$ (MHz)"),
    "T": Axis(("T_mK",), "mK", "bath temperature T", r"$T$ (mK)"),
    "Q": Axis(("Q",), "1", "optical quality factor Q = ω_c/κ", r"$Q$"),
    "P": Axis(("P_mW",), "mW", "input power P", r"$P$ (mW)"),
    "direction": Axis(("direction",), "1", "input direction (left: Δ_F > 0 for the driven mode)",
                      named_values=DIRECTIONS),
}

VARIABLES = {
    "E_N": Variable("1", "logarithmic negativity, mechanical mode – driven optical mode (eqs. 12–13)", r"$E_N$"),
    "N_driven": Variable("1", "intracavity photon number |α₁|² of the driven mode",
                         r"$N_j=|\alpha_j|^2$ (driven mode)"),
    "N_reflected": Variable("1", "intracavity photon number |α₂|² of the reflected mode"),
    "G_driven": Variable("omega_m", "effective coupling |G₁|/ω_m = √2 G₀|α₁|/ω_m of the driven mode",
                         r"$|G_j|/\omega_m$"),
    "G_reflected": Variable("omega_m", "effective coupling |G₂|/ω_m of the reflected mode"),
    "radiation_pressure_shift": Variable("omega_m", "G₀q_s/ω_m (Δ̃_j = Δ_j − G₀q_s)"),
    "n_steady_states": Variable("1", "number of self-consistent mean-field solutions (the lowest-q_s one is used)"),
    "Delta_F": Variable("omega_m", "Sagnac–Fizeau shift of the driven mode Δ_F/ω_m (eq. 1)"),
}
MODE_NAMES = ("a1", "a2", "b")
QUADRATURE_NAMES = ("X1", "Y1", "X2", "Y2", "q", "p")


def rates(p) -> dict:
    """Dimensionless rates (units of ω_m) from physical parameters (arrays broadcast)."""
    v = as_dict(p)
    g = {k: np.asarray(v.get(k, d), dtype=float) for k, d in Params().to_dict().items()}
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


def coefficients(p) -> dict:
    """:func:`rates` broadcast to one batch axis: a dict of (N,) arrays (a JAX pytree)."""
    return batched(rates(p))


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


def mean_field_rhs(x, c: dict):
    """Eq. 3 without noise, for x = (Re a₁, Im a₁, Re a₂, Im a₂, Re b, Im b) of shape (6, ...)
    (batch last; units of ω_m; q = √2 Re b, p = √2 Im b):

        ȧ₁ = −(iΔ̃₁ + κ)a₁ − iJa₂ + ε,   ȧ₂ = −(iΔ̃₂ + κ)a₂ − iJa₁,   Δ̃_j = Δ_j − G₀q,
        q̇ = p,   ṗ = −q − γ_m p + G₀(|a₁|² + |a₂|²),

    with Δ₁,₂ = Δ_c ± Δ_F.  Pure array code for numpy or JAX: the drift matrix (eq. 6) is its
    Jacobian at the steady state (:func:`qorepro.gaussian.drift_matrix`).
    """
    xp = namespace(x)
    a1r, a1i, a2r, a2i, br, bi = x
    s2 = np.sqrt(2.0)
    q = s2 * br
    d1 = c["Delta_c"] + c["Delta_F"] - c["G0"] * q
    d2 = c["Delta_c"] - c["Delta_F"] - c["G0"] * q
    k, J = c["kappa"], c["J"]
    n_photons = a1r * a1r + a1i * a1i + a2r * a2r + a2i * a2i
    return xp.stack([
        -k * a1r + d1 * a1i + J * a2i + c["eps"],
        -k * a1i - d1 * a1r - J * a2r,
        -k * a2r + d2 * a2i + J * a1i,
        -k * a2i - d2 * a2r - J * a1r,
        bi,                                                     # Re ḃ = q̇/√2 = p/√2
        -br - c["gamma"] * bi + c["G0"] * n_photons / s2,       # Im ḃ = ṗ/√2
    ])


def steady_state_vector(r: dict, mf: dict) -> np.ndarray:
    """The mean-field fixed point as x (6, N) (see :func:`mean_field_rhs`), q_s = shift/G₀."""
    b = mf["shift"] / r["G0"] / np.sqrt(2.0)
    return np.stack([mf["alpha1"].real, mf["alpha1"].imag, mf["alpha2"].real, mf["alpha2"].imag,
                     b, np.zeros_like(b)])


def steady_state(c: dict) -> np.ndarray:
    """The (lowest-q_s) mean-field fixed point, x of shape (6, N)."""
    return steady_state_vector(c, mean_fields(c))


def diffusion_matrix(c: dict) -> np.ndarray:
    """D = diag[κ, κ, κ, κ, 0, γ_m(2n_m + 1)] (eq. 10), units of ω_m, shape (6, 6, N)."""
    shape = np.broadcast(*c.values()).shape
    D = np.zeros((6, 6) + shape)
    for i in range(4):
        D[i, i] = c["kappa"]
    D[5, 5] = c["gamma"] * (2 * c["n_m"] + 1)
    return D


def solve(p) -> dict:
    """All per-point results for a batch of parameter points (:data:`Params` or a mapping of
    equal-shape arrays); every result has the batch as its first axis."""
    from ..steady_state import model_covariance
    c = coefficients(p)
    mf = mean_fields(c)
    cov = model_covariance(MODEL, c, steady_state_vector(c, mf))
    return {
        "N_driven": np.abs(mf["alpha1"]) ** 2,
        "N_reflected": np.abs(mf["alpha2"]) ** 2,
        "G_driven": np.sqrt(2) * c["G0"] * np.abs(mf["alpha1"]),
        "G_reflected": np.sqrt(2) * c["G0"] * np.abs(mf["alpha2"]),
        "radiation_pressure_shift": mf["shift"],
        "n_steady_states": mf["n_roots"],
        "Delta_F": c["Delta_F"],
        **cov,
    }


def fizeau_shift_MHz(Omega_kHz, p: dict | None = None):
    """Δ_F (eq. 1) in MHz (10⁶ rad/s) for the resonator of ``p`` (Table I defaults)."""
    g = {**Params().to_dict(), **(p or {})}
    return units.fizeau_shift(np.asarray(Omega_kHz) * units.KHZ, g["n"], g["radius_mm"] * units.MM,
                              g["wavelength_nm"] * units.NM) / units.MHZ


class Jiao2020Model:
    """Jiao et al. 2020 as the engines, plots and claims see it (:mod:`qorepro.models.base`)."""

    name = "jiao2020"
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
    n_modes = 3
    mechanical_modes = (2,)
    optical_modes = (0, 1)
    #: (driven optical, mechanical): E_N of eqs. 12–13
    entangled_modes = (0, 2)
    labels = plot_labels(AXES, VARIABLES, Delta_E_N=r"$\Delta E_N = E_{N}(\mathrm{left}) - E_{N}(\mathrm{right})$",
                         Theta5=r"$\Theta_5$ (a.u.)", Theta6=r"$\Theta_6$ (a.u.)", Delta_F_MHz=r"$\Delta_F$ (MHz)",
                         revival="revival factor")
    parameter_symbols = {"Omega_kHz": (r"\Omega", " kHz"), "J_MHz": ("J", " MHz"), "T_mK": ("T", " mK"),
                         "P_mW": ("P", " mW"), "Q": ("Q", ""), "Delta_c": (r"\Delta_c/\omega_m", "")}

    coefficients = staticmethod(coefficients)
    mean_field_rhs = staticmethod(mean_field_rhs)
    diffusion_matrix = staticmethod(diffusion_matrix)
    steady_state = staticmethod(steady_state)
    solve = staticmethod(solve)
    fizeau_shift_MHz = staticmethod(fizeau_shift_MHz)


MODEL = Jiao2020Model()

