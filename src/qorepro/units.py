"""Physical constants and unit conversions: the one place where SI inputs meet ω₁-units.

Convention of the whole package: every rate and frequency is an *angular* frequency in
units of the reference frequency ω₁ (so ω₁ = 1), time is in units of 1/ω₁ internally and
in units of the mechanical period τ = 2π/ω₁ wherever a name ends in ``_tau``.

Reading of the paper's "Ω = 6 kHz" (spinning speed of the silica sphere)
-----------------------------------------------------------------------
Ω enters the Sagnac–Fizeau shift σ_a = ±ΩΛ (SI eq. S52) as an *angular velocity*.  We
read the paper's "Ω = 6 kHz" as Ω = 6×10³ rad/s (the convention of Jiao et al. PRL 2020
and of Maayani et al. Nature 2018, where the sphere "spins at 6.6 kHz").  The other
reading, Ω = 2π×6×10³ rad/s, would multiply every σ_a by 2π; it is available as
``omega_kHz_is_cyclic=True`` in :func:`sagnac_shift` for referees who want to test it.
"""
from __future__ import annotations

import math

import numpy as np

#: vacuum light speed used by the paper (SI Table I), m/s
C_LIGHT = 3.0e8
#: exact vacuum light speed (used for the Jiao et al. models: their Table I values need it)
C_LIGHT_EXACT = 299792458.0
#: reference frequency ω₁ = 2π × 10 MHz (SI Table I, simulation column), rad/s
OMEGA1_RAD_S = 2 * math.pi * 10e6
#: refractive index of the silica sphere ζ (SI Table I)
ZETA = 1.486
#: silica microsphere radius r (SI Table I), m
RADIUS_M = 1.1e-3
#: laser wavelength λ (SI Table I), m
WAVELENGTH_M = 1550e-9

KHZ = 1e3
MHZ = 1e6
MM = 1e-3
NM = 1e-9
NG = 1e-12  # kg


def sagnac_factor(zeta: float = ZETA, radius_m=RADIUS_M,
                  wavelength_m: float = WAVELENGTH_M, dzeta_dlambda: float = 0.0,
                  c: float = C_LIGHT):
    """Dimensionless Sagnac factor Λ of SI eq. (S52).

    Λ = ζ r ω_c [1 − 1/ζ² − (λ/ζ) dζ/dλ] / c, with ω_c = 2πc/λ the (angular) optical
    frequency.  σ_a = ±ΩΛ then has the units of Ω.  The dispersion term is ≲ 1 % in
    silica and is set to zero by default, as in the paper.
    """
    omega_c = 2 * math.pi * c / wavelength_m
    return zeta * np.asarray(radius_m) * omega_c * (1 - 1 / zeta**2 - (wavelength_m / zeta) * dzeta_dlambda) / c


def sagnac_shift(Omega_kHz, direction, *, omega1_rad_s=OMEGA1_RAD_S,
                 omega_kHz_is_cyclic: bool = False, **geometry):
    """Sagnac–Fizeau shift σ_a = ±ΩΛ (SI eq. S52) in units of ω₁.

    Parameters
    ----------
    Omega_kHz : spinning speed as printed in the paper, in kHz (read as 10³ rad/s).
    direction : +1 for light injected from the left (σ_a > 0), −1 from the right.
    omega_kHz_is_cyclic : read "kHz" as 2π×10³ rad/s instead (alternative reading).
    geometry : ζ, r, λ overrides passed to :func:`sagnac_factor`
        (``zeta``, ``radius_m``, ``wavelength_m``, ``dzeta_dlambda``).
    """
    omega_rad_s = np.asarray(Omega_kHz, dtype=float) * KHZ
    if omega_kHz_is_cyclic:
        omega_rad_s = omega_rad_s * 2 * math.pi
    return np.asarray(direction) * omega_rad_s * sagnac_factor(**geometry) / np.asarray(omega1_rad_s)


# ------------------------------------------------------------------- companion papers (Jiao et al.)
#: reduced Planck constant (J s) and Boltzmann constant (J/K), CODATA 2018
HBAR = 1.054571817e-34
K_B = 1.380649e-23
MK = 1e-3        # millikelvin → K
MW = 1e-3        # milliwatt → W
UM = 1e-6
NG_KG = 1e-12    # nanogram → kg (same as NG)

# Jiao et al. (PRL 2020, PR Applied 2022) quote rates as "MHz"/"kHz".  Their Table I derived
# values fix the reading (checked in tests/test_units.py): with ω_m = 63 MHz read as
# 63×10⁶ rad/s one gets n_m = 269.4 at 130 mK, x_zp = 0.41 fm, G₀ = 452.1 Hz (i.e. rad/s),
# κ = ω_c/Q = 38.0 MHz and ω_c = 2πc/λ = 1.22 PHz — all *angular*.  The 2022 paper states
# its rates as κ/2π, ω_m/2π, γ_m/2π (cyclic, multiplied by 2π here) and its spinning speeds
# Ω = 0.6, 0.8 MHz as angular velocities in 10⁶ rad/s (its Fig. 2b peak offsets confirm it).


def optical_angular_frequency(wavelength_m, c: float = C_LIGHT_EXACT):
    """ω_c = 2πc/λ in rad/s."""
    return 2 * math.pi * c / np.asarray(wavelength_m, dtype=float)


def thermal_occupation(omega_rad_s, T_K):
    """Bose–Einstein occupation n = [exp(ħω/k_B T) − 1]⁻¹ (0 at T = 0)."""
    omega = np.asarray(omega_rad_s, dtype=float)
    T = np.asarray(T_K, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = np.where(T > 0, HBAR * omega / (K_B * np.where(T > 0, T, 1.0)), np.inf)
        return np.where(np.isfinite(x), 1.0 / np.expm1(x), 0.0)


def zero_point_length(mass_kg, omega_rad_s):
    """x_zp = sqrt(ħ/(m ω_m)) in m (the convention of both Jiao papers: no factor 2)."""
    return np.sqrt(HBAR / (np.asarray(mass_kg, dtype=float) * np.asarray(omega_rad_s, dtype=float)))


def optomechanical_coupling(omega_c_rad_s, radius_m, mass_kg, omega_m_rad_s):
    """Single-photon coupling G₀ = (ω_c/R) x_zp in rad/s (Jiao 2020 Table I; Jiao 2022 g₀)."""
    return np.asarray(omega_c_rad_s) / np.asarray(radius_m) * zero_point_length(mass_kg, omega_m_rad_s)


def fizeau_shift(Omega_rad_s, n, radius_m, wavelength_m, dn_dlambda: float = 0.0,
                 c: float = C_LIGHT_EXACT):
    """Sagnac–Fizeau shift Δ_F = Ω n R ω_c/c (1 − 1/n² − (λ/n) dn/dλ) in rad/s
    (Jiao 2020 eq. 1, Jiao 2022 eq. 2); the sign of Ω carries the sense of rotation."""
    return np.asarray(Omega_rad_s, dtype=float) * sagnac_factor(
        zeta=n, radius_m=radius_m, wavelength_m=wavelength_m, dzeta_dlambda=dn_dlambda, c=c)


def drive_rate(P_W, omega_l_rad_s, kappa_rad_s=None):
    """Drive amplitude in s⁻¹: |ε| = sqrt(2κP/ħω_l) (Jiao 2020) or, with ``kappa_rad_s=None``,
    the flux amplitude |ε_d| = sqrt(P/ħω_d) in s^-1/2 (Jiao 2022, multiplied by √κ_ex there)."""
    flux = np.asarray(P_W, dtype=float) / (HBAR * np.asarray(omega_l_rad_s, dtype=float))
    return np.sqrt(flux if kappa_rad_s is None else 2 * np.asarray(kappa_rad_s) * flux)
