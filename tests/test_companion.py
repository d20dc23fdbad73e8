"""Companion models (Jiao et al. 2020, 2022): unit conversions against the papers' derived
values, drift = Jacobian, Lyapunov = long-time integration, E_N = symplectic eigenvalues,
Routh–Hurwitz = eigenvalues, vacuum limits and symmetries."""
import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl

from qorepro import measures, units
from qorepro.hurwitz import characteristic_coefficients_batch, hurwitz_determinants_batch, steady_state_verdict
from qorepro.models import jiao2020 as J20
from qorepro.models import jiao2022 as J22
from qorepro.steady_state import lyapunov, lyapunov_kron


# ------------------------------------------------------------------ units: Table I derived values
def test_jiao2020_table1_derived_values_fix_the_angular_convention():
    """Table I of the 2020 supplement: n_m = 269.4, x_zp = 0.41 fm, G₀ = 452.1 Hz, κ = 38.0 MHz,
    ω_c = 1.22 PHz, Q_m = 1.21e4 — reproduced with every "Hz" read as rad/s.  (rtol 1.5e-3:
    the quoted values carry four digits and the paper's constants are not stated; n_m = 269.65
    with CODATA ħ, k_B.)"""
    wm = 63.0 * units.MHZ
    wc = units.optical_angular_frequency(1550 * units.NM)
    assert units.thermal_occupation(wm, 130 * units.MK) == pytest.approx(269.4, rel=1.5e-3)
    assert units.zero_point_length(10 * units.NG_KG, wm) / 1e-15 == pytest.approx(0.41, abs=0.005)
    assert units.optomechanical_coupling(wc, 1.1e-3, 10 * units.NG_KG, wm) == pytest.approx(452.1, rel=1.5e-3)
    assert wc / 3.2e7 / units.MHZ == pytest.approx(38.0, abs=0.05)
    assert wc / 1e15 == pytest.approx(1.22, abs=0.005)
    assert wm / (5.2 * units.KHZ) == pytest.approx(1.21e4, rel=2e-3)
    # the cyclic reading (ω_m = 2π × 63 MHz) contradicts the table
    assert units.thermal_occupation(2 * np.pi * wm, 130 * units.MK) < 50
    # the model's dimensionless rates are these numbers divided by ω_m
    r = J20.rates({})
    assert float(r["kappa"]) == pytest.approx(wc / 3.2e7 / wm)
    assert float(r["G0"]) * wm == pytest.approx(452.1, rel=1.5e-3)


def test_jiao2022_conversions_and_the_fig2b_peak_offsets():
    """§III rates are cyclic (κ/2π …); Ω = 0.6 MHz is 0.6e6 rad/s: the text's Fig. 2(b) peaks of
    the two inputs at Δ/ω_m,l ≈ 0.74 and 0.98 (one resonator spinning) follow only with it."""
    r = J22.rates({})
    wl = 2 * np.pi * 88.54e6
    assert float(r["kex_l"]) == pytest.approx(2 * np.pi * 27e6 / wl)
    assert float(r["gamma"]) == pytest.approx(2.2e3 / 88.54e6)
    wc = units.optical_angular_frequency(780e-9)
    g0 = units.optomechanical_coupling(wc, 36e-6, 15e-12, wl)
    assert float(r["g0_l"]) == pytest.approx(g0 / wl)
    assert g0 == pytest.approx((wc / 36e-6) * np.sqrt(units.HBAR / (15e-12 * wl)))
    D = np.linspace(0.5, 1.3, 401)
    peaks = {}
    for name, d in (("left", 1.0), ("right", -1.0)):
        e = J22.solve({"Delta": D, "Omega_l_MHz": 0.6, "direction": d})["E_N"]
        peaks[name] = D[np.nanargmax(e)]
    assert peaks["left"] == pytest.approx(0.74, abs=0.02)
    assert peaks["right"] == pytest.approx(0.98, abs=0.03)


def test_fizeau_shift_is_linear_odd_and_matches_eq1():
    Om = np.array([0.0, 8e3, 23e3])
    n, R, lam = 1.48, 1.1e-3, 1.55e-6
    expected = Om * n * R * units.optical_angular_frequency(lam) / units.C_LIGHT_EXACT * (1 - 1 / n**2)
    assert np.allclose(units.fizeau_shift(Om, n, R, lam), expected, rtol=1e-13)
    assert np.allclose(units.fizeau_shift(-Om, n, R, lam), -expected)
    assert units.thermal_occupation(1e6, 0.0) == 0.0


# ------------------------------------------------------------------ model structure
def _jac(f, x, h=1e-3):
    """Central differences with one step for all components: along any single coordinate the
    mean-field equations are at most quadratic, so the difference quotient is exact up to
    rounding, and a large step keeps the rounding small."""
    step = h * max(1.0, np.abs(x).max())
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = step
        cols.append((f(x + e) - f(x - e)) / (2 * step))
    return np.stack(cols, -1)


J20_POINTS = [dict(Delta_c=1.1), dict(Delta_c=0.9, J_MHz=50, Omega_kHz=8, direction=-1),
              dict(Delta_c=1.4, J_MHz=76, Omega_kHz=23, P_mW=100, T_mK=300)]
J22_POINTS = [dict(Delta=1.0), dict(Delta=0.7, chi=0.95, Omega_l_MHz=0.8, direction=-1),
              dict(Delta=0.9, phi=0.7, eta=0.8, Omega_r_MHz=0.6)]


def _eq6(c, x):
    """Jiao 2020 eq. 6 written out (u = (δX₁, δY₁, δX₂, δY₂, δq, δp)) at the state x of one
    point: the known answer for the AD drift.  G_j = √2 G₀ α_j, Δ̃_j = Δ_c ± Δ_F − G₀q."""
    G1, G2 = np.sqrt(2) * c["G0"] * (x[0] + 1j * x[1]), np.sqrt(2) * c["G0"] * (x[2] + 1j * x[3])
    shift = c["G0"] * np.sqrt(2) * x[4]
    d1, d2 = c["Delta_c"] + c["Delta_F"] - shift, c["Delta_c"] - c["Delta_F"] - shift
    k, J = c["kappa"], c["J"]
    return np.array([[-k, d1, 0, J, -G1.imag, 0], [-d1, -k, -J, 0, G1.real, 0],
                     [0, J, -k, d2, -G2.imag, 0], [-J, 0, -d2, -k, G2.real, 0],
                     [0, 0, 0, 0, 0, 1], [G1.real, G1.imag, G2.real, G2.imag, -1, -c["gamma"]]])


def _eq14(c, x):
    """Jiao 2022 eq. 14 written out (one-way coupling from the upstream resonator) at the state
    x of one point: the known answer for the AD drift.  Λ_j = 2g₀,j α_j."""
    A = np.zeros((8, 8))
    Ll, Lr = 2 * c["g0_l"] * (x[0] + 1j * x[1]), 2 * c["g0_r"] * (x[2] + 1j * x[3])
    for (i, j, G, D, L, q) in ((0, 1, c["kappa0"] + c["kex_l"], c["Delta_l"], Ll, 4),
                               (2, 3, c["kappa0"] + c["kex_r"], c["Delta_r"], Lr, 6)):
        A[i, i] = A[j, j] = -G / 2
        A[i, j], A[j, i] = D, -D
        A[i, q], A[j, q] = -L.imag, L.real
        A[q + 1, i], A[q + 1, j] = L.real, L.imag
    K = np.sqrt(c["eta"] * c["kex_l"] * c["kex_r"])
    Jc, Js = K * np.cos(c["phi"]), K * np.sin(c["phi"])
    dn, up = ((2, 3), (0, 1)) if c["left_input"] else ((0, 1), (2, 3))
    A[dn[0], up[0]], A[dn[0], up[1]], A[dn[1], up[0]], A[dn[1], up[1]] = -Jc, Js, -Js, -Jc
    for q, w in ((4, 1.0), (6, c["omega_r"])):
        A[q, q] = A[q + 1, q + 1] = -c["gamma"] / 2
        A[q, q + 1], A[q + 1, q] = w, -w
    return A


@pytest.mark.parametrize("model,p,eq", [(J20, p, _eq6) for p in J20_POINTS] + [(J22, p, _eq14) for p in J22_POINTS])
def test_steady_state_is_a_root_and_the_ad_drift_is_its_jacobian(model, p, eq):
    """The AD drift (the one every engine uses) equals the finite-difference Jacobian of the
    mean-field equations and the printed drift matrix (eq. 6 / eq. 14) at the steady state."""
    from qorepro.gaussian import drift_matrix
    c = model.coefficients(p)
    x = model.steady_state(c)
    c1 = {k: v[0] for k, v in c.items()}
    f = lambda y: model.mean_field_rhs(y, c1)
    assert np.abs(f(x[:, 0])).max() < 1e-9 * np.abs(x).max()
    A = drift_matrix(model.MODEL, x, c)[0]
    assert np.allclose(_jac(f, x[:, 0]), A, rtol=1e-7, atol=1e-9)
    assert np.allclose(eq(c1, x[:, 0]), A, rtol=1e-12, atol=1e-13)


def test_jiao2020_bistability_is_detected():
    """With enough power the self-consistent detuning has three roots (optical bistability)."""
    mf = J20.mean_fields(J20.rates({"Delta_c": np.linspace(0.5, 3.0, 60), "P_mW": 100.0}))
    assert mf["n_roots"].max() == 3 and mf["n_roots"].min() == 1


# ------------------------------------------------------------------ Lyapunov, E_N, Hurwitz
def test_batched_lyapunov_equals_bartels_stewart():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(20, 8, 8)) - 4 * np.eye(8)
    B = rng.normal(size=(20, 8, 8))
    D = B @ np.swapaxes(B, 1, 2)
    V = lyapunov(A, D)
    Vk = lyapunov_kron(A, D)
    for i in range(20):
        ref = sl.solve_continuous_lyapunov(A[i], -D[i])
        assert np.allclose(V[i], ref, atol=1e-10) and np.allclose(Vk[i], ref, atol=1e-10)


def test_lyapunov_falls_back_where_the_eigenbasis_fails():
    """A defective (Jordan-block) drift matrix has no eigenbasis: the Kronecker fallback must
    still give the exact solution."""
    A = np.array([[-1.0, 1.0, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, -1.0]])
    D = np.eye(3)
    V = lyapunov(A[None], D[None])[0]
    assert np.allclose(A @ V + V @ A.T, -D, atol=1e-12)
    assert np.allclose(V, sl.solve_continuous_lyapunov(A, -D), atol=1e-12)


@pytest.mark.parametrize("model,p", [(J20, dict(Delta_c=1.0)),
                                     (J22, dict(Delta=1.0, chi=0.97, Omega_l_MHz=0.8)),
                                     (J22, dict(Delta=0.8, chi=0.97, Omega_l_MHz=0.8, correlated_noise=1.0))])
def test_steady_state_covariance_equals_long_time_integration(model, p):
    """dV/dt = AV + VAᵀ + D integrated from the vacuum (DOP853) settles on the Lyapunov V."""
    res = model.solve({k: np.atleast_1d(v) for k, v in p.items()})
    assert res["dynamically_stable"][0]
    from qorepro.gaussian import drift_matrix
    c = model.coefficients(p)
    A = drift_matrix(model.MODEL, model.steady_state(c), c)[0]
    D = model.diffusion_matrix(c)[..., 0]
    n = A.shape[0]
    t_end = 30.0 / abs(res["fp_max_re_eig"][0])
    rhs = lambda t, v: (A @ v.reshape(n, n) + v.reshape(n, n) @ A.T + D).ravel()
    sol = si.solve_ivp(rhs, (0, t_end), (np.eye(n) / 2).ravel(), method="DOP853", rtol=1e-10, atol=1e-12)
    V_t = sol.y[:, -1].reshape(n, n)
    V = res["V"][0]
    assert np.allclose(V_t, V, rtol=1e-6, atol=1e-8 * np.abs(V).max())


def _nu_minus_symplectic(V4):
    """Smallest symplectic eigenvalue of the partial transpose from the spectrum of iΩṼ."""
    P = np.diag([1.0, 1.0, 1.0, -1.0])
    Om = np.kron(np.eye(2), np.array([[0.0, 1.0], [-1.0, 0.0]]))
    return np.min(np.abs(np.linalg.eigvals(1j * Om @ (P @ V4 @ P))))


def test_log_negativity_closed_form_equals_symplectic_eigenvalues():
    rng = np.random.default_rng(7)
    covs = []
    for model, pts in ((J20, [dict(Delta_c=d) for d in (0.6, 0.8, 1.0, 1.3)]),
                       (J22, [dict(Delta=d, chi=c) for d in (0.9, 1.0) for c in (1.0, 0.95)])):
        for p in pts:
            res = model.solve({k: np.atleast_1d(v) for k, v in p.items()})
            assert res["dynamically_stable"][0]
            covs.append(measures.reduced_covariance(res["V"][0], model.MODEL.entangled_modes))
    for _ in range(20):   # random physical two-mode states: S (ν I/2) Sᵀ with random symplectic S
        H = rng.normal(size=(4, 4))
        H = H + H.T
        Om = np.kron(np.eye(2), np.array([[0.0, 1.0], [-1.0, 0.0]]))
        S = sl.expm(Om @ H * 0.3)
        covs.append(S @ np.diag(np.repeat(0.5 + rng.uniform(0, 2, 2), 2)) @ S.T)
    entangled = 0
    for V4 in covs:
        nu = _nu_minus_symplectic(V4)
        assert measures.symplectic_eigenvalue_pt(V4) == pytest.approx(nu, rel=1e-8)
        e = float(measures.log_negativity(V4[None], 0, 1)[0])
        assert e == pytest.approx(max(0.0, -np.log(2 * nu)), abs=1e-10)
        entangled += e > 0
    assert entangled >= 5     # the check is not vacuous


def test_batched_hurwitz_agrees_with_eigenvalues():
    rng = np.random.default_rng(3)
    for n in range(2, 9):
        A = rng.normal(size=(300, n, n)) - rng.uniform(0, 2, size=(300, 1, 1)) * np.eye(n)
        c = characteristic_coefficients_batch(A)
        assert np.allclose(c, np.array([np.poly(a) for a in A]).real, atol=1e-8 * np.abs(c).max())
        verdict, max_re, theta = steady_state_verdict(A)
        clear = np.abs(max_re) > 1e-6
        assert np.array_equal((verdict == "stable_fixed_point")[clear], (max_re < 0)[clear])
        assert (verdict[clear] != "not_settled").all()
    # a known polynomial: (λ+1)(λ+2)(λ+3) → θ = (6, 60, 360)
    assert np.allclose(hurwitz_determinants_batch(np.array([1.0, 6, 11, 6])), [6, 60, 360])


# ------------------------------------------------------------------ physical limits and symmetries
@pytest.mark.parametrize("model,p", [
    (J20, {"Delta_c": np.array([0.5, 1.0]), "P_mW": 0.0, "T_mK": 0.0}),
    (J22, {"Delta": np.array([0.5, 1.2]), "P_mW": 0.0, "T_mK": 0.0, "correlated_noise": 1.0}),
    (J22, {"Delta": np.array([0.5, 1.2]), "P_mW": 0.0, "T_mK": 0.0, "correlated_noise": 1.0, "direction": -1.0,
           "phi": 0.9, "eta": 0.7})])
def test_vacuum_limit_without_drive_at_zero_temperature(model, p):
    res = model.solve(p)
    assert (res["verdict"] == "stable_fixed_point").all()
    assert np.allclose(res["V"], np.eye(2 * model.MODEL.n_modes) / 2, atol=1e-9)
    assert np.all(res["E_N"] < 1e-12)     # 0 up to rounding of ν₋ = ½


def test_jiao2022_printed_noise_model_is_unphysical():
    """Finding: with eq. 18 as printed (no correlation between the fibre noise reaching the
    downstream resonator and the upstream input) the undriven vacuum is not stationary and the
    steady-state covariance violates V + iΩ/2 ≥ 0 — caught by the certification."""
    res = J22.solve({"Delta": np.array([0.5, 1.2]), "P_mW": 0.0, "T_mK": 0.0})
    assert not np.allclose(res["V"], np.eye(8) / 2, atol=1e-3)
    assert (res["verdict"] == "unphysical_covariance").all()
    assert (res["uncertainty_min_eig"] < -0.1).all()


def test_thermal_mechanics_without_drive():
    res = J22.solve({"Delta": np.array([1.0]), "P_mW": 0.0, "T_mK": 100.0})
    n = float(J22.rates({"T_mK": 100.0})["n_l"])
    assert res["V"][0, 4, 4] == pytest.approx(n + 0.5, rel=1e-8)


def test_certified_covariances_obey_the_uncertainty_principle():
    Om2 = np.kron(np.eye(4), np.array([[0.0, 1.0], [-1.0, 0.0]]))
    for model, p in ((J20, {"Delta_c": np.linspace(0, 2, 41), "Omega_kHz": 8.0, "J_MHz": 40.0}),
                     (J22, {"Delta": np.linspace(0.4, 1.6, 41), "chi": 0.95, "Omega_l_MHz": 0.8,
                            "correlated_noise": 1.0})):
        res = model.solve(p)
        ok = res["verdict"] == "stable_fixed_point"
        assert ok.sum() > 10
        n = 2 * model.MODEL.n_modes
        M = res["V"][ok] + 0.5j * Om2[:n, :n]
        assert np.linalg.eigvalsh(M).min() > -1e-9


def test_jiao2020_direction_reversal_equals_reversed_rotation():
    D = np.linspace(0, 2, 21)
    a = J20.solve({"Delta_c": D, "Omega_kHz": 8.0, "direction": -1.0, "J_MHz": 30.0})
    b = J20.solve({"Delta_c": D, "Omega_kHz": -8.0, "direction": 1.0, "J_MHz": 30.0})
    assert np.array_equal(a["verdict"], b["verdict"])
    assert np.allclose(a["E_N"], b["E_N"], equal_nan=True)
    s = J20.solve({"Delta_c": D, "direction": -1.0})
    t = J20.solve({"Delta_c": D, "direction": 1.0})
    assert np.allclose(s["E_N"], t["E_N"], equal_nan=True)   # static: reciprocal by symmetry
