r"""The validity certificate of the truncated-Wigner ensemble (TWA): derivation and calibration.

TWA keeps the first two orders of the Wigner equation (drift and diffusion) and drops its
third-order terms (:mod:`qorepro.twa`, "What is dropped").  This module measures the dropped
terms against the kept ones, per point, and turns the measure into a verdict.

The dropped terms
-----------------
The Moyal bracket −i(H_W ⋆ W − W ⋆ H_W) expands as −i H_W (Λ + Λ³/24 + …) W with
Λ = Σ_modes (∂⃖_z ∂⃗_z* − ∂⃖_z* ∂⃗_z); dissipators give the same orders through the Bopp
operators (aρ → (α + ½∂_α*)W, ρa† → (α* + ½∂_α)W, …).  The third-order terms of the three
nonlinearities of the project's models (all in Kramers–Moyal form, derivatives to the left):

* **Kerr** (U/2)a†²a² (Lai: K m†²m², U = 2K):  −(iU/4)[∂²_α∂_α*(αW) − ∂_α∂²_α*(α*W)];
  the kept nonlinear drift is −iU(|α|² − 1)α (:mod:`qorepro.models.kerr_resonator`).
* **Cubic optomechanical / magnetostrictive coupling** −g a†a(b + b†): H_W = −g(|α|² − ½)(β + β*)
  has ∂_α∂_α*∂_β H_W = ∂_α∂_α*∂_β* H_W = −g, and the Λ³ term (multinomial 3!, sign from the
  two α-factors) is  (ig/4) ∂_α∂_α*(∂_β − ∂_β*) W;  the kept drift is the force
  β̇ ⊃ ig(|α|² − ½) (and α̇ ⊃ igα(β + β*)).  The mechanical mode enters linearly: its occupation
  does not enter the ratio.
* **Two-phonon loss** γ₂D[a²] (:mod:`qorepro.models.vanderpol`):  (γ₂/4)[∂²_α∂_α*(αW) + c.c.];
  the kept drift is −γ₂(|α|² − 1)α (and a diffusion γ₂(2|α|² − 1) that is negative for
  |α|² < ½: the truncation changes the character of the equation there).

Weight against the kept terms.  W varies on the scale of the vacuum noise: a derivative acting
on W counts as 1/ℓ with ℓ² = ⟨|δα|²⟩_vacuum = ½ (a coherent state's Wigner function, the
narrowest W of a mode).  At amplitude |α|² = n:

    Kerr:         (U/4)|α| ℓ⁻³  /  U|α|³ ℓ⁻¹    = 1/(4ℓ²n)  = 1/(2n),
    cubic:        (g/4) ℓ⁻³     /  g|α|² ℓ⁻¹    = 1/(2n_a)  (per pair of terms ∂_β, ∂_β*),
    two-phonon:   (γ₂/4)|α| ℓ⁻³ /  γ₂|α|³ ℓ⁻¹   = 1/(2n).

So all three give **q_k = 1/(2n_k)** for each mode k that enters a nonlinear term quadratically
(``nonlinear_modes``; the mechanical modes of a cubic coupling do not).  Against a Wigner
function broader than a coherent state the weight is smaller (1/n² for W smooth on the scale
|α|): q is the conservative bound.  The certificate of a point is

    q = max over the window's samples and the nonlinear modes of 1/(2 n_k(t)),
    n_k(t) = ⟨|z_k|²⟩_W − ½ (ensemble-mean occupation, normally ordered),

∞ where some n_k ≤ 0; valid where q ≤ :data:`TRUNCATION_THRESHOLD`.  The dropped terms shift
first and second moments only through the higher moments they feed, at O(q²) relative.

What q does not see: rare events
--------------------------------
In a W ∝ exp(−N s(α/√N)) tail (the quasi-potential s of noise-activated switching between
coexisting attractors), every derivative brings a factor N s′: the third-order terms are then
as large as the first-order ones (ratio ~ s′², independent of N), so switching rates — and
any attractor weights that switching sets — are outside TWA however large the occupation.
The certificate therefore also takes the fraction of trajectories that **switch attractor within
the window** (:func:`switching_fraction`); above :data:`SWITCHING_THRESHOLD` the point is
``twa_questionable``.  Weights set by the basins of the initial Wigner distribution (a census at
times short against the switching time, as in the Lai runs) are not affected.

In a run the switching fraction is measured from the window's samples: every trajectory gets
the census class (:func:`qorepro.twa.census`: relative phase and amplitude of the mechanical
oscillation) in each whole τ of the window (:func:`qorepro.twa.attractor_labels`, labels
(B, N, M), batched over points and trajectories), and a trajectory switches where its label
changes (``twa_switching`` per point).

The basin check of the Gaussian value
-------------------------------------
The Gaussian method linearises about ONE deterministic orbit — the mean field started from the
protocol's initial state — and its certificate (the linearisation ratio in the window, the
Floquet multipliers) is local to that orbit.  Where the ensemble ran, its census says which
attractor the quantum state is on.  If part of the ensemble sits on another class than the
protocol's orbit (:func:`qorepro.twa.protocol_attractor`, the same classification applied to
the mean field over one τ from its end state), the state is a mixture of the two, and S_Q =
1/(Var X₋ + Var Y₋) is a variance: a weight p on an orbit whose X₋ oscillates with amplitude A
adds ≈ p A²/2 to the denominator.  On the cross-check sample of the paper-preset run this is
what the large disagreements are (``benchmarks/twa_crosscheck_points.py``): at figS7 f
(κ_a = 0.1125, K < 0) the protocol's in-phase orbit has S_Q = 0.283 (Var ≈ 3.5), one trajectory
of 64 on the anti-phase orbit brings the ensemble to S_Q = 8.7×10⁻⁵ (Var ≈ 1.1×10⁴, so
A² ≈ 1.5×10⁶).  Agreement within a relative δ needs p < δ Var/(A²/2) ≈ 0.05 · 3.5/7×10⁵ ≈ 2×10⁻⁷
— beyond any ensemble: the only threshold an ensemble can apply is **zero**: the Gaussian
value describes the state only where no trajectory of the ensemble is off the protocol's class
(:data:`BASIN_THRESHOLD` = 0, :data:`BASIN_SIGMAS` = 0; a majority rule would pass all 21
failures below: the largest off-class fraction is 33 %).
Where one is, the Gaussian verdict becomes ``noise_basin`` (not certified), and the claims take
the ensemble's value there (valid by its own certificate: the weights are set by the initial
Wigner distribution during the transient, no switching in the window — the case above).

The census sees which class the ensemble is on, not whether it is the fluctuations about the
protocol's orbit within that class.  The Gaussian value describes the state as the orbit z plus
fluctuations δo whose RMS is at most ρ_max|z| (its linearisation certificate, RMS² =
⟨δo†δo⟩ + ½), so a mode's occupation ⟨o†o⟩ = |z|² + ⟨δo†δo⟩ lies within ρ_max²|z|² of the
orbit's |z|².  The second half of the check compares the ensemble's window-mean occupations
(photon, magnon: ⟨|z|²⟩_W − ½) with the orbit's (:func:`occupation_shift`) and fails the
Gaussian value where one is off by more than ρ_max² (:func:`off_orbit`; 0.16 at ρ_max = 0.4).
On the paper run's cross-check sample (main at 692f205, 380 points) every point's shift is
below 0.007 (photons) and 0.02 (magnons) but one: fig3 a (K = 2×10⁻⁵, ρ = 0.875), both on the
anti-phase class, ensemble 1,338 photons against the orbit's 583 (shift 1.29) and 3,469
magnons against 4,344 — there the Gaussian S_Q, 7.9×10⁻⁴, is 100× the ensemble's
7.9×10⁻⁶ ± 3×10⁻⁶ (the ensemble's mechanical phases spread widely: phonon-quadrature
variances ≈ 3×10⁴, a third of a uniform phase's; the linearised ones by ≈ 0.06 rad); it was the one
disagreement no check explained.  A false alarm (sampling noise of the ensemble's occupation
above ρ_max²) would only hand a point to the ensemble, valid by its own certificate; the photon
and magnon modes' own fluctuation shares are far below ρ_max² where certified (the ratio is the
worst mode's, usually a phonon mode's).

The check's sensitivity is 1/M.  On the 435 cross-check points of the paper-preset run (Gaussian
certified, ensemble valid and decided; 404 of them at M = 64) rerun at M = 512 (the same
trajectories, extended), 21 (4.8 %) have trajectories off the protocol's class — off-class
fractions 0.2 % (one of 512) at 10 points, 0.4–0.8 % at 8, 2.7 %, 3.1 % and 33 % — of which the
run's own ensembles (mostly M = 64) see 6; the 15 they miss agree within 3 error bars at 11.
So where the ensemble ran at M = 64 the check protects against off-class weights ≳ 2 %, and on
Gaussian-certified points without an ensemble about 5 % carry such a weight unseen (the
residual: the cross-check sample estimates it, nothing checks it point by point).

Calibration (``python -m qorepro validate twa``; exact: QuTiP steady states, Fock space
converged to 10⁻⁴; TWA: the pipeline's rk kernel, M = 1024, error = 16 trajectory groups)
--------------------------------------------------------------------------------------------
van der Pol oscillator (γ₁ = 1), ⟨a†a⟩ exact / TWA (relative deviation) at q:

    γ₂ = 0.03: 17.17 / 17.21 (+0.2 %) q 0.030;  0.1: 5.513 / 5.554 (+0.7 %) q 0.093;
    0.3: 2.212 / 2.200 (−0.5 %) q 0.24;  1: 1.000 / 1.011 (+1.1 %) q 0.55;
    3: 0.590 / 0.676 (+14.5 %) q 0.80;  10: 0.418 / 0.570 (+36 %) q 0.97;
    driven (F = 0.5) |⟨a⟩|: γ₂ = 0.1: 2.205 / 2.218 (+0.6 %) q 0.073;  0.3: 1.218 / 1.252 (+2.9 %)
    q 0.18;  1: 0.621 / 0.649 (+4.4 %) q 0.45;  3: 0.334 / 0.326 (−2.3 %) q 0.77.

Kerr resonator (Δ = 2, U = 0.1, κ = 1): ⟨a†a⟩ at F = 5: 28.239 / 28.233 (q 0.018); F = 1.5:
0.560 / 0.565 (q 1.7: agrees, the Kerr term being weak against the loss, U/κ = 0.1 — q is
conservative there); bistable F = 3 (slowest Liouvillian rate 2.2×10⁻⁴ κ, TWA to 4×10⁴/κ):
⟨a†a⟩ 9.86 / 21.7 and upper-branch weight 0.336 / 0.905, q = 0.025 but 98 % of the
trajectories switch branch within the window — flagged by the switching criterion.  The same
point at t = 19.5/κ from the vacuum (exact: ``mesolve``): ⟨a†a⟩ 3.75 / 4.47, upper weight
0.0415 / 0.080 ± 0.007 at q = 0.117 (passes), 3 % of the trajectories crossing the separatrix in
the window 10–20/κ (flagged): a small census near a separatrix is a rare-event quantity too.

A third condition: where a model's Wigner diffusion is state dependent and negative somewhere
(two-phonon loss: |α|² < ½ − γ₁/(4γ₂)), the simulation clips it to 0 and so integrates another
equation than the truncated one; the certificate fails if any window sample needed the clip
(:data:`CLIPPED_THRESHOLD`; vdP: 0 at γ₂ ≤ 0.3γ₁, 4×10⁻⁴–0.09 at γ₂ ≥ γ₁, all of which q
flags too).

Hence :data:`TRUNCATION_THRESHOLD` = 0.25 (n ≥ 2 in every nonlinear mode): every calibration
point with q ≤ 0.24 agrees within 3 % (the largest deviation, 2.9 %, at q = 0.18); from q ≈ 0.45
deviations of 4–36 % appear (and where the two-phonon diffusion turns negative, q ≥ 0.55,
γ₂ > γ₁/2, the clipped-diffusion simulation is off by 15–36 % in the deep quantum regime).
"""
from __future__ import annotations

import warnings

import numpy as np

#: largest dropped/kept weight q at which a TWA value counts as valid (calibrated: module docstring)
TRUNCATION_THRESHOLD = 0.25
#: largest fraction of trajectories that may switch attractor within the window (bistable
#: Kerr: 0.98 where TWA is off; 1 % admits a few noise-level crossings of a census boundary)
SWITCHING_THRESHOLD = 0.01
#: largest fraction of window samples at which a state-dependent diffusion may be negative
#: (clipped): none — there the simulated process is not the truncated Wigner equation
CLIPPED_THRESHOLD = 0.0


def truncation_ratio(occupation) -> np.ndarray:
    """q = max_{k,t} 1/(2 n_k(t)) over the leading axes: ``occupation`` has shape (T, K, N)
    (window samples, modes, points) → (N,); ∞ where some n ≤ 0.  Pass the modes that enter a
    nonlinear term (:func:`qorepro.models.base.nonlinear_modes`)."""
    n = np.asarray(occupation, dtype=float)
    n_min = n.reshape(-1, n.shape[-1]).min(axis=0)
    with np.errstate(divide="ignore"):
        return np.where(n_min > 0, 1.0 / (2.0 * np.maximum(n_min, 1e-300)), np.inf)


def switching_fraction(labels) -> np.ndarray:
    """The fraction of trajectories whose attractor label changes within the window:
    ``labels`` (T, N, M) (window samples, points, trajectories; any integer/bool labels) → (N,)."""
    lab = np.asarray(labels)
    return (lab != lab[:1]).any(axis=0).mean(axis=-1)


def valid(q, threshold: float = TRUNCATION_THRESHOLD, switching=None,
          switching_threshold: float = SWITCHING_THRESHOLD, clipped=None,
          clipped_threshold: float = CLIPPED_THRESHOLD) -> np.ndarray:
    """Whether the dropped terms are small enough: q ≤ threshold (NaN → False); where given,
    also the fraction of trajectories switching between attractors within the window
    ≤ ``switching_threshold`` (weights set by noise-activated switching are outside TWA) and the
    fraction of samples whose state-dependent Wigner diffusion was negative (clipped by the
    simulation, which then integrates another equation than the truncated one)
    ≤ ``clipped_threshold``."""
    q = np.asarray(q, dtype=float)
    ok = np.isfinite(q) & (q <= threshold)
    if switching is not None:
        ok &= np.asarray(switching, dtype=float) <= switching_threshold
    if clipped is not None:
        ok &= np.asarray(clipped, dtype=float) <= clipped_threshold
    return ok


#: largest fraction of the ensemble that may sit on another attractor class than the
#: deterministic protocol's orbit for the Gaussian value to describe the state (module
#: docstring, "The basin check")
BASIN_THRESHOLD = 0.0
#: binomial standard errors the off-class fraction must exceed the threshold by
BASIN_SIGMAS = 0.0


def basin_fraction(census, protocol_class) -> np.ndarray:
    """The fraction of the ensemble on the deterministic protocol's attractor class:
    ``census`` (N, classes) (fractions of the trajectories per class, index as
    :data:`qorepro.settings.ATTRACTORS`), ``protocol_class`` (N,) integer → (N,)."""
    c = np.asarray(census, dtype=float)
    g = np.asarray(protocol_class, dtype=int)
    return np.take_along_axis(c, g[:, None], axis=1)[:, 0]


def occupation_shift(ensemble, mean_field) -> np.ndarray:
    """The largest relative shift of a mode's occupation between the ensemble and the
    deterministic orbit, max_k |n_k − |z_k|²| / |z_k|²: ``ensemble`` and ``mean_field`` (K, N)
    (modes, points: the ensemble-mean ⟨o†o⟩ = ⟨|z|²⟩_W − ½ and the orbit's |z|², window means)
    → (N,); NaN where a pair is missing or |z|² ≤ 0."""
    n = np.asarray(ensemble, dtype=float)
    z2 = np.asarray(mean_field, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(z2 > 0, np.abs(n - z2) / z2, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # all-NaN columns: no ensemble there
        return np.nanmax(r, axis=0)


def off_orbit(shift, linearization_max_ratio: float) -> np.ndarray:
    """The occupation half of the basin check (N,) bool: True where :func:`occupation_shift`
    exceeds ρ_max² (ρ_max = ``linearization_max_ratio``).  The Gaussian value describes the state
    as the orbit z plus fluctuations δo whose RMS is at most ρ_max|z| (its certificate), so
    ⟨o†o⟩ = |z|² + ⟨δo†δo⟩ lies within ρ_max²|z|² of |z|²: an ensemble further off is not the
    fluctuations about this orbit (module docstring, "The basin check").  False where NaN."""
    s = np.asarray(shift, dtype=float)
    return np.where(np.isfinite(s), s > linearization_max_ratio ** 2, False)


def noise_basin(fraction, trajectories, threshold: float = BASIN_THRESHOLD,
                sigmas: float = BASIN_SIGMAS) -> np.ndarray:
    """The basin check of the Gaussian value (N,) bool: True where the ensemble's fraction off
    the deterministic protocol's class, p = 1 − ``fraction`` (:func:`basin_fraction`), exceeds
    ``threshold`` by more than ``sigmas`` binomial standard errors √(p(1 − p)/M), M =
    ``trajectories`` — there the quantum state is not the fluctuations about one orbit that
    the Gaussian method linearises (the Gaussian verdict ``noise_basin``).  False where the
    ensemble did not run (NaN fraction or M = 0)."""
    f = np.asarray(fraction, dtype=float)
    m = np.asarray(trajectories, dtype=float)
    p = 1.0 - f
    with np.errstate(invalid="ignore", divide="ignore"):
        out = p - sigmas * np.sqrt(np.clip(p * (1 - p), 0, None) / m) > threshold
    return np.where(np.isfinite(f) & (m > 0), out, False)
