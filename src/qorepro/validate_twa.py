r"""TWA against the exact master equation: ``python -m qorepro validate twa [--json]``.

Two small models where both methods run (:mod:`qorepro.models.kerr_resonator`,
:mod:`qorepro.models.vanderpol`): the TWA side is the pipeline's own engine
(:func:`qorepro.twa.window_samples`: the rk kernel, its random streams and initial Wigner
sampling), the exact side QuTiP's steady state of the Lindblad equation in a truncated Fock
space, converged: every exact value is computed at two truncations N and N + 10 and must agree
to 10⁻⁴ relative (else it raises).

Observables (steady state; TWA: trajectory × late-window averages, error = standard error of
the means of 16 trajectory groups, independent by construction):

* ``n``: ⟨a†a⟩ (TWA: ⟨|α|²⟩_W − ½);
* ``abs_a``: |⟨a⟩| under a drive (TWA: |⟨α⟩_W|; error by the same groups);
* at the bistable point also **early** (``transient``: t ≈ 20/κ from the vacuum, exact by
  ``mesolve``, TWA from the trajectories at that time; the certificate from the window 10–20/κ);
* ``upper``: the weight of the upper branch of the bistable Kerr resonator, **defined on the
  Wigner function**: P(|α|² > n_s) = ∫_{|α|²>n_s} W d²α with n_s the photon number of the
  mean-field saddle (the unstable middle branch).  TWA: the fraction of the window's samples
  outside that circle.  Exact: only the diagonal of ρ enters a rotation-invariant region,
  P(|α|² ≤ R²) = Σ_n ρ_nn ½(−1)ⁿ ∫₀^{4R²} e^{−u/2} Lₙ(u) du (Wₙ of the Fock state |n⟩,
  Gauss–Legendre quadrature).  The TWA run is long against the slowest Liouvillian rate λ₁
  (the switching rate, from the Liouvillian's spectrum: λ₁ ≈ 2.2×10⁻⁴ κ at the default
  point; TWA runs 4×10⁴/κ ≈ 9/λ₁, window the last half).

Each case also carries the TWA certificate of :mod:`qorepro.twa_validity`: q (the dropped
third-order weight, from the ensemble occupation of the model's ``nonlinear_modes``), the
fraction of trajectories that switched branch within the window, the fraction of samples where
a state-dependent diffusion was negative (clipped), and the verdict.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time

import numpy as np

from . import twa, twa_validity
from .models import kerr_resonator, vanderpol
from .models.base import map_coefficients, nonlinear_modes

#: trajectory groups for the error bars
GROUPS = 16


def _groups_se(v):
    """Standard error of the mean of v (M,) from GROUPS contiguous trajectory groups."""
    g = np.asarray(v).reshape(GROUPS, -1).mean(1)
    return float(g.std(ddof=1) / np.sqrt(GROUPS))


def exact_steady_state(model, p, n_fock: int, tol: float = 1e-4, t: float | None = None):
    """ρ_nn, ⟨a†a⟩ and ⟨a⟩ of the steady state — or, with ``t``, of the state at time t from the
    vacuum (``mesolve``) — at truncations n_fock and n_fock + 10; raises unless ⟨a†a⟩ agrees
    to ``tol`` (relative) — the truncation is converged."""
    import qutip
    out = []
    for n in (n_fock, n_fock + 10):
        H, c_ops = model.lindblad(p, n)
        if t is None:
            rho = qutip.steadystate(H, c_ops)
        else:
            rho = qutip.mesolve(H, qutip.fock_dm(n, 0), [0.0, t], c_ops,
                                options={"nsteps": 10**6, "atol": 1e-10, "rtol": 1e-8}).states[-1]
        a = qutip.destroy(n)
        out.append((np.real(rho.diag()), float(qutip.expect(a.dag() * a, rho)), complex(qutip.expect(a, rho))))
    if abs(out[0][1] - out[1][1]) > tol * max(1.0, out[1][1]):
        raise RuntimeError(f"{model.name} {p}: Fock truncation {n_fock} not converged "
                           f"(<n> = {out[0][1]} vs {out[1][1]} at {n_fock + 10})")
    return out[1]


def slowest_rate(model, p, n_fock: int) -> float:
    """|Re λ₁|: the slowest non-zero decay rate of the Liouvillian (sparse shift-invert)."""
    import qutip
    import scipy.sparse.linalg as sla
    H, c_ops = model.lindblad(p, n_fock)
    L = qutip.liouvillian(H, c_ops).data.as_scipy().tocsc()
    ev = sla.eigs(L, k=3, sigma=1e-7, return_eigenvectors=False)
    return float(np.sort(np.abs(ev.real))[1])


def fock_inside(n_max: int, r2: float, nodes: int = 400) -> np.ndarray:
    """∫_{|α|² ≤ r2} W_n d²α for the Fock states n = 0 … n_max − 1: ½(−1)ⁿ ∫₀^{4 r2} e^{−u/2} Lₙ(u) du."""
    from scipy.special import eval_laguerre
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 2 * r2 * (x + 1)                                  # [0, 4 r2]
    w = 2 * r2 * w
    n = np.arange(n_max)[:, None]
    return 0.5 * (-1.0) ** n[:, 0] * (eval_laguerre(n, u[None]) * np.exp(-u / 2)[None] * w[None]).sum(1)


@dataclasses.dataclass(frozen=True)
class Run:
    """One batch of validation points of a model: parameters (1-D arrays) and the TWA run."""
    model: object
    params: object
    t_end: float
    dt: float
    samples_every: int
    trajectories: int
    n_fock: int
    bistable: bool = False
    #: compare at t_end from the vacuum (exact: mesolve) instead of in the steady state
    transient: bool = False
    #: the window (default the second half of the run)
    t_window: float | None = None


def runs() -> list[Run]:
    K, V = kerr_resonator, vanderpol
    return [
        # Kerr (Δ = 2, U = 0.1, κ = 1): below, inside and above the bistable range of F
        Run(K.MODEL, K.KerrParams(F=np.array([1.5, 3.0, 5.0])), t_end=40_000.0, dt=0.05, samples_every=200,
            trajectories=128, n_fock=70, bistable=True),
        # the same bistable point early (t = 20/κ, window 10–20/κ): the census from the vacuum
        Run(K.MODEL, K.KerrParams(F=np.array([3.0])), t_end=20.0, dt=0.05, samples_every=10,
            trajectories=1024, n_fock=50, bistable=True, transient=True, t_window=10.0),
        # van der Pol (γ₁ = 1): classical → deep quantum, undriven and driven (F = 0.5)
        Run(V.MODEL, V.VdPParams(gamma2=np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 0.1, 0.3, 1.0, 3.0]),
                                 F=np.array([0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5])),
            t_end=40.0, dt=0.005, samples_every=40, trajectories=1024, n_fock=50),
    ]


def _point(p, i):
    return type(p)(**{f.name: float(np.broadcast_to(getattr(p, f.name), (p.batch_size,))[i])
                      for f in dataclasses.fields(p)})


def validate(selected=None) -> list[dict]:
    """Every validation point: exact value, TWA value ± error, certificate and verdict."""
    rows = []
    for run in (selected or runs()):
        t0 = time.perf_counter()
        res = twa.window_samples(run.model, run.params, t_end=run.t_end, dt=run.dt,
                                 t_window=run.t_window or run.t_end / 2,
                                 samples_every=run.samples_every, trajectories=run.trajectories)
        x = res["x"]                                                     # (W, 2, N, M)
        z = x[:, 0] + 1j * x[:, 1]                                        # mode 0 (the models have one)
        c = run.model.coefficients(run.params)
        occ = (x[:, 0::2] ** 2 + x[:, 1::2] ** 2).mean(-1) - 0.5          # (W, K, N) ensemble occupations
        q = twa_validity.truncation_ratio(occ[:, list(nonlinear_modes(run.model))])
        hook = getattr(run.model, "negative_diffusion", None)
        c_col = map_coefficients(lambda v: np.asarray(v)[:, None], c)
        clipped = (np.mean([hook(xx, c_col) for xx in x], axis=(0, 2)) if hook is not None
                   else np.zeros(z.shape[1]))
        twa_s = time.perf_counter() - t0
        for i in range(z.shape[1]):
            p = _point(run.params, i)
            rho_nn, n_ex, a_ex = exact_steady_state(run.model, p, run.n_fock,
                                                     t=float(res["t"][-1]) if run.transient else None)
            # steady state: the window's samples; transient: the last record only (the exact time)
            zi = z[-1:, i] if run.transient else z[:, i]                 # (W, M)
            obs = {"n": (n_ex, float(np.mean(np.abs(zi) ** 2) - 0.5), _groups_se((np.abs(zi) ** 2).mean(0)))}
            switching = None
            extra = {}
            if getattr(p, "F", 0.0) and run.model is vanderpol.MODEL:
                a_t = zi.mean()
                obs["abs_a"] = (abs(a_ex), float(abs(a_t)), _groups_se((zi.mean(0) * np.conj(a_t) / abs(a_t)).real))
            if run.bistable:
                branches = run.model.mean_field_numbers(p)
                if len(branches) == 3:
                    n_s = float(branches[1])
                    inside = fock_inside(len(rho_nn), n_s)
                    upper = np.abs(zi) ** 2 > n_s                         # (W, M)
                    obs["upper"] = (float(1 - rho_nn @ inside), float(upper.mean()), _groups_se(upper.mean(0)))
                    switching = twa_validity.switching_fraction((np.abs(z[:, i]) ** 2 > n_s)[:, None, :])
                    extra = {"saddle_n": n_s, "slowest_rate": slowest_rate(run.model, p, run.n_fock)}
            ok = bool(twa_validity.valid(q[i:i + 1], switching=switching,
                                         clipped=clipped[i:i + 1] if hook is not None else None)[0])
            for name, (ex, tv, err) in obs.items():
                rows.append({"model": run.model.name, "params": p.to_dict(), "observable": name,
                             "exact": ex, "twa": tv, "twa_err": err, "deviation_sigma": (tv - ex) / err if err else None,
                             "relative_deviation": (tv - ex) / ex if ex else None,
                             "q": float(q[i]), "switching_fraction": None if switching is None else float(switching[0]),
                             "clipped_fraction": float(clipped[i]), "twa_valid": ok,
                             "state": "transient" if run.transient else "steady",
                             "t_exact": float(res["t"][-1]) if run.transient else None,
                             "trajectories": run.trajectories, "t_end": run.t_end, "dt": run.dt,
                             "twa_seconds_batch": twa_s, **extra})
    return rows


def table(rows) -> str:
    """The rows as an aligned text table."""
    out = [f"{'model':15s} {'point':24s} {'obs':6s} {'exact':>9s} {'TWA':>9s} {'± err':>7s} {'rel.dev':>8s} "
           f"{'q':>6s} {'switch':>6s} {'clip':>6s}  verdict"]
    for r in rows:
        p = r["params"]
        pt = ", ".join(f"{k}={v:g}" for k, v in p.items() if k in ("F", "gamma2"))
        pt += "" if r["state"] == "steady" else f", t={r['t_exact']:g}"
        sw = "" if r["switching_fraction"] is None else f"{r['switching_fraction']:.2f}"
        out.append(f"{r['model']:15s} {pt:24s} {r['observable']:6s} {r['exact']:9.4f} {r['twa']:9.4f} "
                   f"{r['twa_err']:7.4f} {r['relative_deviation']:8.3f} {r['q']:6.3f} {sw:>6s} "
                   f"{r['clipped_fraction']:6.3f}  {'valid' if r['twa_valid'] else 'twa_questionable'}")
    return "\n".join(out)


def main(as_json: bool) -> int:
    try:
        import qutip  # noqa: F401
    except ImportError:
        print("python -m qorepro validate twa: error: needs QuTiP (pinned in the test extra: "
              "pip install -e '.[test]')", file=sys.stderr)
        return 2
    rows = validate()
    print(json.dumps(rows, indent=1) if as_json else table(rows))
    return 0
