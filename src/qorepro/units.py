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
