"""Limit-cycle branches (qorepro.branches): known answers of normal forms, merging, and the
Lai model's baseline cycle against the certification."""
import jax.numpy as jnp
import numpy as np
import pytest

from qorepro.branches import Seed, affine_coefficients, affine_field, trace_branches

OMEGA = 1.3
T_BAUTIN = 2 * np.pi / OMEGA


def bautin(x, mu):
    """ṙ = r(μ + 2r² − r⁴), θ̇ = ω in Cartesian form: cycles r² = 1 ± √(1 + μ), a fold of
    cycles at μ = −1, r = 1."""
    r2 = x[0] ** 2 + x[1] ** 2
    g = mu + 2 * r2 - r2 ** 2
    return jnp.stack([g * x[0] - OMEGA * x[1], g * x[1] + OMEGA * x[0]])


def bautin_seed(mu, stable, phase=0.0):
    r = np.sqrt(1 + (1 if stable else -1) * np.sqrt(1 + mu))
    # a rough seed: 1 % off the orbit, period 2 % off
    return Seed(1.01 * r * np.array([np.cos(phase), np.sin(phase)]), 1.02 * T_BAUTIN, mu)


BOUNDS = (-1.2, -0.2)


@pytest.fixture(scope="module")
def from_stable():
    return trace_branches(bautin, 2, [bautin_seed(-0.5, True)], BOUNDS)


@pytest.fixture(scope="module")
def from_unstable():
    return trace_branches(bautin, 2, [bautin_seed(-0.5, False, phase=2.0)], BOUNDS)


def test_bautin_branch_passes_the_fold_and_matches_the_analytic_cycles(from_stable):
    (b,) = from_stable.branches
    assert b.stops == ("bound", "bound")
    r2 = np.sum(b.x0 ** 2, axis=1)
    # both ends on the right bound: one on the stable, one on the unstable sheet
    np.testing.assert_allclose(b.p[[0, -1]], BOUNDS[1], atol=1e-12)
    assert b.p.min() < -0.99 and (r2 < 1).any() and (r2 > 1).any()
    root = np.sqrt(np.maximum(1 + b.p, 0))
    np.testing.assert_allclose(r2, np.where(r2 > 1, 1 + root, 1 - root), atol=1e-8)
    np.testing.assert_allclose(b.T, T_BAUTIN, rtol=1e-10)
    # nontrivial multiplier e^{Tλ}, λ = d/dr [r(μ + 2r² − r⁴)] at the cycle = 4r²(1 − r²)
    lam = 4 * r2 * (1 - r2)
    np.testing.assert_allclose(b.multipliers[:, 1], np.exp(T_BAUTIN * lam), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(b.multipliers[:, 0], 1.0, atol=1e-9)
    np.testing.assert_array_equal(b.stable, r2 > 1)
    # the orbit averages: ⟨x⟩ = 0, ⟨x²⟩ = r²/2
    np.testing.assert_allclose(b.x_mean, 0.0, atol=1e-9)
    np.testing.assert_allclose(b.x_rms ** 2, r2[:, None] / 2 * np.ones((1, 2)), rtol=1e-8)


def test_bautin_fold_located_to_1e_4(from_stable):
    (ev,) = from_stable.events
    assert ev.kind == "fold"
    assert abs(ev.p - (-1.0)) < 1e-4
    assert abs(np.sum(ev.x0 ** 2) - 1.0) < 1e-3                # r = 1 there (r² − 1 ∝ √(p + 1))
    np.testing.assert_allclose(np.abs(ev.multipliers), 1.0, atol=1e-3)
    b = from_stable.branches[0]
    assert b.p[ev.index] > ev.p - 1e-12 and b.p[ev.index + 1] > ev.p - 1e-12


def test_branch_traced_forward_and_backward_agrees(from_stable, from_unstable):
    """The same branch from a seed on the stable and on the unstable sheet: traced in
    opposite senses through the fold, it ends on the same orbits and folds at the same μ."""
    a, b = from_stable.branches[0], from_unstable.branches[0]
    for br in (a, b):
        np.testing.assert_allclose(br.p[[0, -1]], BOUNDS[1], atol=1e-12)
    ends = lambda br: sorted(zip(np.sum(br.x0[[0, -1]] ** 2, axis=1), br.T[[0, -1]],
                                 np.abs(br.multipliers[[0, -1], 1])))
    np.testing.assert_allclose(ends(a), ends(b), rtol=1e-8, atol=1e-12)
    assert [e.kind for e in from_unstable.events] == ["fold"]
    assert abs(from_unstable.events[0].p - from_stable.events[0].p) < 1e-8


def test_two_seeds_on_one_branch_merge():
    bs = trace_branches(bautin, 2, [bautin_seed(-0.5, True), bautin_seed(-0.7, False, phase=1.0),
                                    bautin_seed(-0.3, True, phase=4.0)], BOUNDS)
    assert len(bs.branches) == 1
    np.testing.assert_array_equal(bs.seed_branch, [0, 0, 0])
    assert bs.branches[0].seeds == [0, 1, 2]
    assert [e.kind for e in bs.events] == ["fold"]
    pad = bs.padded()
    assert pad["p"].shape == (1, len(bs.branches[0])) and pad["multiplier_re"].shape[-1] == 2
    ev = bs.event_arrays()
    assert list(ev["kind"]) == ["fold"] and ev["multiplier_re"].shape == (1, 2) and ev["p"][0] == bs.events[0].p


def test_two_separate_branches_stay_separate():
    """Two seeds on different branches (a second Bautin copy, shifted in x by 10) give two
    branches; a seed that does not converge is marked −1."""
    def two(x, mu):
        return bautin(x - jnp.array([10.0, 0.0]) * (x[0] > 5), mu)

    far = bautin_seed(-0.5, True)
    far = Seed(far.x + np.array([10.0, 0.0]), far.T, far.p)
    at_rest = Seed(np.zeros(2), T_BAUTIN, -0.5)                     # an equilibrium: no orbit through it
    bs = trace_branches(two, 2, [bautin_seed(-0.5, True), at_rest, far], BOUNDS)
    assert len(bs.branches) == 2
    np.testing.assert_array_equal(bs.seed_branch, [0, -1, 1])
    a, b = bs.branches
    np.testing.assert_allclose(b.x_mean[:, 0], 10.0, atol=1e-9)
    np.testing.assert_allclose(b.p, a.p, atol=1e-12)                 # the same branch, shifted


def stuart_landau(x, lam, om=1.0, shear=0.5):
    """ż = (λ + iω)z − |z|²z with amplitude-dependent frequency ω + b|z|²: cycle |z|² = λ,
    period 2π/(ω + bλ), nontrivial multiplier e^{−2λT}."""
    r2 = x[0] ** 2 + x[1] ** 2
    w = om + shear * r2
    return jnp.stack([(lam - r2) * x[0] - w * x[1], (lam - r2) * x[1] + w * x[0]])


def test_stuart_landau_multipliers_along_the_branch():
    bs = trace_branches(stuart_landau, 2, [Seed(np.array([0.0, 0.9]), 4.0, 0.8)], (0.2, 1.5))
    (b,) = bs.branches
    assert b.stops == ("bound", "bound") and not bs.events
    np.testing.assert_allclose(b.p[[0, -1]], [0.2, 1.5], atol=1e-12)
    assert np.all(np.diff(b.p) > 0)
    T = 2 * np.pi / (1.0 + 0.5 * b.p)
    np.testing.assert_allclose(np.sum(b.x0 ** 2, axis=1), b.p, rtol=1e-10)
    np.testing.assert_allclose(b.T, T, rtol=1e-10)
    np.testing.assert_allclose(b.multipliers[:, 1], np.exp(-2 * b.p * T), rtol=1e-6, atol=1e-12)
    assert b.stable.all()


def test_lai_baseline_cycle_is_on_a_traced_branch_with_the_certified_period_and_multipliers():
    """The cycle the zero start reaches at the paper's baseline (K = 0): the branch through it
    (traced in K) has, at K = 0, the period and Floquet multipliers of the certification's
    refined orbit (:func:`qorepro.stability.refine_cycle`, :func:`floquet_multipliers`)."""
    from qorepro import solver, stability
    from qorepro.models import lai2025 as L

    p = L.LaiParams()
    tr = solver.integrate(L.MODEL, p)
    cert = stability.certify(L.MODEL, p, tr)
    c = L.coefficients(p)
    x_ref, T_ref, Phi, _, closure = stability.refine_cycle(L.MODEL, c, tr.x_final, cert.period_tau)
    assert closure[0] < 1e-12
    mu_ref, triv = stability.floquet_multipliers(Phi)
    mu_ref = np.concatenate([[mu_ref[0, triv[0]]], np.delete(mu_ref[0], triv[0])])

    at = lambda K: L.Coefficients(*(float(v[0]) for v in L.coefficients(p.replace(K=K))))
    bounds = (-5e-6, 5e-6)
    c0, e = affine_coefficients(at, bounds)
    bs = trace_branches(affine_field(L.mean_field_rhs), 8, [Seed(tr.x_final[:, 0], 2 * np.pi * cert.period_tau[0], 0.0)],
                        bounds, args=(c0, e))
    (b,) = bs.branches
    assert b.stops == ("bound", "bound") and len(b) >= 3
    np.testing.assert_allclose(b.p[[0, -1]], bounds, atol=1e-18)
    k = int(np.argmin(np.abs(b.p)))
    assert b.p[k] == 0.0
    assert abs(b.T[k] / (2 * np.pi) - T_ref[0]) < 1e-6
    order = lambda m: m[np.lexsort((m.imag, -np.round(np.abs(m), 9)))]   # conjugates in a fixed order
    np.testing.assert_allclose(order(b.multipliers[k]), order(mu_ref), atol=1e-6)
    assert abs(b.multipliers[k, 0] - 1) < 1e-9
    np.testing.assert_allclose(b.x0[k], x_ref[:, 0], rtol=1e-8, atol=1e-8)
    assert b.stable[k] == (cert.floquet_max_nontrivial[0] < 1)


def twisted(B, half_twist):
    """A cycle r = 1, z = 0 of period 2π (θ̇ = 1) whose transverse coordinates (u = r − 1, z)
    obey ξ̇ = B(a) ξ in a frame turning by half a revolution per period (``half_twist``) or
    not: the transverse monodromy is ∓e^{B T} up to similarity, so its multipliers are
    known in closed form for every a."""
    def f(x, a):
        r = jnp.sqrt(x[0] ** 2 + x[1] ** 2)
        c, s = x[0] / r, x[1] / r
        Bm = B(a)
        if half_twist:                                   # R(θ/2) B R(−θ/2) + ½ J, B diagonal
            h, k = 0.5 * (Bm[0][0] + Bm[1][1]), 0.5 * (Bm[0][0] - Bm[1][1])
            M = [[h + k * c, k * s - 0.5], [k * s + 0.5, h - k * c]]
        else:
            M = Bm
        u, z = r - 1, x[2]
        du = M[0][0] * u + M[0][1] * z
        dz = M[1][0] * u + M[1][1] * z
        return jnp.stack([du * c - x[1], du * s + x[0], dz])
    return f


PD_FIELD = twisted(lambda a: [[a, 0.0], [0.0, -0.5]], half_twist=True)
TORUS_FIELD = twisted(lambda a: [[a, -0.3], [0.3, a]], half_twist=False)
T_TWIST = 2 * np.pi


@pytest.mark.parametrize("kind", ["period_doubling", "torus"])
def test_period_doubling_and_torus_located_with_analytic_multipliers(kind):
    f = PD_FIELD if kind == "period_doubling" else TORUS_FIELD
    bs = trace_branches(f, 3, [Seed(np.array([0.98, 0.0, 0.01]), 6.0, -0.2)], (-0.3, 0.25))
    (b,) = bs.branches
    np.testing.assert_allclose(b.T, T_TWIST, rtol=1e-10)
    a = b.p[:, None]
    if kind == "period_doubling":                       # −e^{aT}, −e^{−T/2}
        expected = np.concatenate([-np.exp(a * T_TWIST), -np.exp(-0.5 * T_TWIST) * np.ones_like(a)], axis=1)
    else:                                               # e^{(a ± 0.3i)T}
        expected = np.exp((a + np.array([0.3j, -0.3j])) * T_TWIST)
    key = lambda m: np.sort_complex(np.round(m, 12))
    for mu, ex in zip(b.multipliers, expected):
        np.testing.assert_allclose(mu[0], 1.0, atol=1e-9)
        np.testing.assert_allclose(key(mu[1:]), key(ex), rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(b.stable, b.p < 0)
    (ev,) = bs.events
    assert ev.kind == kind and abs(ev.p) < 1e-4
    crit = ev.multipliers[1:][np.argmax(np.abs(ev.multipliers[1:]))]
    assert abs(abs(crit) - 1) < 1e-3
    if kind == "period_doubling":
        assert abs(crit + 1) < 1e-3


def test_affine_coefficients_recovers_the_map_and_refuses_a_nonaffine_one():
    c0, e = affine_coefficients(lambda p: (2 * p + 1, 3.0), (-1.0, 4.0))
    np.testing.assert_allclose([c0[0], c0[1], e[0], e[1]], [1, 3, 2, 0], atol=1e-15)
    f = affine_field(lambda x, c: c[0] * x + c[1])
    np.testing.assert_allclose(f(np.ones(2), 0.5, c0, e), 2 * np.ones(2) + 3)
    with pytest.raises(ValueError, match="affinely"):
        affine_coefficients(lambda p: (p, p * p), (0.0, 1.0))
