"""Known answers for the Gaussian measures (analytic two-mode states)."""
import numpy as np
import pytest

from qorepro import measures


def tmst(r, n=0.0):
    """Two-mode squeezed thermal state, vacuum = I/2: (n+½)[[cosh2r I, sinh2r Z],[sinh2r Z, cosh2r I]]."""
    c, s = np.cosh(2 * r), np.sinh(2 * r)
    Z = np.diag([1.0, -1.0])
    I = np.eye(2)
    return (n + 0.5) * np.block([[c * I, s * Z], [s * Z, c * I]])


def embed(V2, n_modes=4, modes=(2, 3)):
    V = np.eye(2 * n_modes) / 2
    idx = np.concatenate([[2 * m, 2 * m + 1] for m in modes])
    V[np.ix_(idx, idx)] = V2
    return V


@pytest.mark.parametrize("r,n", [(0.0, 0.0), (0.3, 0.0), (0.7, 0.2), (1.1, 1.5), (0.2, 3.0)])
def test_log_negativity_two_mode_squeezed_thermal(r, n):
    # ν₋ = (n + ½) e^{−2r}  ⇒  E_N = max(0, 2r − ln(2n + 1))
    V = embed(tmst(r, n))
    assert measures.log_negativity(V, 2, 3) == pytest.approx(max(0.0, 2 * r - np.log(2 * n + 1)), abs=1e-12)


@pytest.mark.parametrize("r", [0.0, 0.25, 0.8])
def test_squeezing_of_two_mode_squeezed_vacuum(r):
    # smallest quadrature variance e^{−2r}/2  ⇒  20 r log10(e) dB below vacuum
    V = embed(tmst(r))
    assert measures.min_quadrature_variance(V, (2, 3)) == pytest.approx(np.exp(-2 * r) / 2, rel=1e-12)
    assert measures.squeezing_db(V, (2, 3)) == pytest.approx(20 * r * np.log10(np.e), abs=1e-10)


def test_vacuum_measures():
    V = np.eye(8) / 2
    x = np.zeros(8)
    assert measures.quantum_sync(V, 2, 3) == pytest.approx(1.0)
    assert measures.complete_sync(V, x, 2, 3) == pytest.approx(1.0)
    assert measures.uncertainty_product(V, 2, 3) == pytest.approx(0.25)
    assert measures.log_negativity(V, 2, 3) == 0.0


def test_complete_sync_counts_mean_offsets():
    # ⟨X₋⟩ = Re β₁ − Re β₂ = 1 adds 1 to the denominator: S_C = 1/(1 + 1)
    V = np.eye(8) / 2
    x = np.zeros(8)
    x[4] = 1.0
    assert measures.complete_sync(V, x, 2, 3) == pytest.approx(0.5)
    assert measures.quantum_sync(V, 2, 3) == pytest.approx(1.0)


def test_sq_of_uncorrelated_thermal_pair():
    # ⟨δX₋²⟩ = ⟨δY₋²⟩ = n + ½ for two independent thermal modes: S_Q = 1/(2n+1)
    n = 2.0
    V = np.eye(8) * (n + 0.5)
    assert measures.quantum_sync(V, 2, 3) == pytest.approx(1 / (2 * n + 1))


def test_measures_return_nan_for_diverged_covariance():
    V = np.stack([embed(tmst(0.3)), np.full((8, 8), np.nan)])
    sq = measures.squeezing_db(V, (2, 3))
    assert np.isfinite(sq[0]) and np.isnan(sq[1])


@pytest.mark.parametrize("r,n", [(0.0, 0.0), (0.4, 0.0), (0.7, 0.2), (0.1, 2.0)])
def test_pt_symplectic_min_two_mode_squeezed_thermal(r, n):
    # ν̃₋ = (n + ½) e^{−2r}: ½ in the vacuum, below ½ (entangled) iff 2r > ln(2n + 1)
    V = embed(tmst(r, n))
    assert measures.pt_symplectic_min(V, 2, 3) == pytest.approx((n + 0.5) * np.exp(-2 * r), rel=1e-12)


def _random_physical_covariances(rng, count, n_modes=4):
    """V = (n + ½) S Sᵀ with random symplectic S (products of random two-mode squeezers and
    beam splitters) and thermal occupations: physical covariances, entangled or not."""
    out = []
    for _ in range(count):
        V = np.diag(np.repeat(rng.uniform(0.0, 2.0, n_modes), 2) + 0.5)
        for _ in range(3):
            j, k = rng.choice(n_modes, 2, replace=False)
            r, th = rng.uniform(-0.6, 0.6), rng.uniform(0, np.pi)
            c, s, ch, sh = np.cos(th), np.sin(th), np.cosh(r), np.sinh(r)
            for block in (np.block([[ch * np.eye(2), sh * np.diag([1.0, -1.0])], [sh * np.diag([1.0, -1.0]), ch * np.eye(2)]]),
                          np.block([[c * np.eye(2), s * np.eye(2)], [-s * np.eye(2), c * np.eye(2)]])):
                S = np.eye(2 * n_modes)
                idx = [2 * j, 2 * j + 1, 2 * k, 2 * k + 1]
                S[np.ix_(idx, idx)] = block
                V = S @ V @ S.T
        out.append(V)
    return np.stack(out)


def test_log_negativity_is_max_zero_minus_log_two_nu():
    # E_N = max(0, −ln 2ν̃₋) holds batched on random physical states, entangled and separable
    V = _random_physical_covariances(np.random.default_rng(7), 200)
    nu = measures.pt_symplectic_min(V, 2, 3)
    assert nu.shape == (200,) and (nu > 0).all()
    assert ((2 * nu < 1).any() and (2 * nu > 1).any())          # both kinds of pair are tested
    np.testing.assert_allclose(measures.log_negativity(V, 2, 3), np.maximum(0.0, -np.log(2 * nu)), atol=1e-12)
    # ν̃₋ equals the smallest |eigenvalue| of iΩ Ṽ (Ṽ: the partial transpose, p of mode 3 flipped)
    R = measures.reduced_covariance(V, (2, 3))
    P = np.diag([1.0, 1.0, 1.0, -1.0])
    Om = np.kron(np.eye(2), np.array([[0.0, 1.0], [-1.0, 0.0]]))
    direct = np.abs(np.linalg.eigvals(1j * Om @ (P @ R @ P))).min(axis=-1)
    np.testing.assert_allclose(nu, direct, rtol=1e-9)


def test_pt_symplectic_min_is_nan_for_diverged_covariance():
    V = np.stack([embed(tmst(0.3)), np.full((8, 8), np.nan)])
    nu = measures.pt_symplectic_min(V, 2, 3)
    assert np.isfinite(nu[0]) and np.isnan(nu[1])


def test_steady_state_panels_carry_nu_pt_consistent_with_E_N():
    # the evaluator's dataset: ν̃₋ of the entangled pair next to E_N, with E_N = max(0, −ln 2ν̃₋)
    # (entangled points with the printed noise model, separable ones with the cascaded one)
    from qorepro.models import jiao2022 as J22
    from qorepro.workflow.steady import _dataset
    mod = J22.MODEL
    delta = np.linspace(0.4, 1.6, 25)
    for noise in (0.0, 1.0):
        res = J22.solve({"Delta": delta, "chi": 0.97, "correlated_noise": noise})
        ds = _dataset(mod, res, {"Delta": delta}, (delta.size,))
        nu, en = ds["nu_pt"].values, ds["E_N"].values
        assert ds["nu_pt"].attrs["units"] == "1" and "ν̃₋" in ds["nu_pt"].attrs["long_name"]
        ok = np.isfinite(en)
        assert ok.sum() > 10 and np.array_equal(ok, np.isfinite(nu))
        np.testing.assert_allclose(en[ok], np.maximum(0.0, -np.log(2 * nu[ok])), atol=1e-12)
        if noise == 0.0:
            assert (en[ok] > 0).any()
        else:
            assert (2 * nu[ok] > 1).all()
