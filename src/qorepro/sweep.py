"""Sweep API: named parameter axes in, an :class:`xarray.Dataset` out.

>>> ds = sweep({"K": np.linspace(-5e-5, 5e-5, 11)})            # doctest: +SKIP
>>> ds.S_Q.sel(K=0.0)                                              # doctest: +SKIP

Axis names (the coordinate names of the result) map onto model parameters through the
model's ``axes`` (:mod:`qorepro.models.base`); an axis may set several fields at once (``gamma`` sets γ₁ = γ₂, ``n_th`` sets
n̄₁ = n̄₂).  The grid is the Cartesian product of the axes, computed in batches of
``batch_size`` points by the batched solver, then certified point by point.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from . import __version__
from .grid import DIRECTIONS, concat_params, grid_params, slice_params  # noqa: F401 (re-exported)
from .models import lai2025
from .settings import ATTRACTORS
from .solver import SolverSettings, integrate
from .stability import CERTIFIED, VERDICTS, CertificationSettings, certify

log = logging.getLogger(__name__)

#: per-point variables of the time-domain engine itself (units, long name); the model's own
#: (S_Q, couplings, …) are its ``variables`` (see :func:`variables_of`)
ENGINE_VARIABLES = {
    "S_Q_min": ("1", "S_Q, late-window minimum"),
    "S_Q_max": ("1", "S_Q, late-window maximum"),
    "verdict": ("", "stability verdict: " + ", ".join(VERDICTS)),
    "certified": ("", "True where the verdict is stable_fixed_point or stable_limit_cycle"),
    "dynamically_stable": ("", "True where the dynamics is a stable fixed point or stable limit "
                               "cycle, before the linearisation-validity check"),
    "n_fixed_points": ("1", "number of mean-field fixed points"),
    "n_stable_fixed_points": ("1", "number of Routh–Hurwitz stable fixed points"),
    "fp_max_re_eig": ("omega1", "largest real part of the eigenvalues of A at the fixed point "
                                "nearest the window-mean state"),
    "theta": ("", "Hurwitz determinants θ_k at that fixed point (SI eq. S54)"),
    "oscillation": ("1", "relative oscillation amplitude of the means over the window"),
    "period_tau": ("tau", "period of the settled orbit"),
    "floquet_abs": ("1", "|Floquet multipliers|, trivial (phase) multiplier first"),
    "floquet_max_nontrivial": ("1", "largest non-trivial |Floquet multiplier|"),
    "floquet_trivial_dev": ("1", "|μ_trivial − 1|, accuracy of the monodromy"),
    "return_mismatch": ("1", "relative |x(T) − x(0)| over one period"),
    "linearization_ratio": ("1", "largest RMS-fluctuation / mean-amplitude ratio of any mode "
                                 "over the window"),
    "S_Q_floquet": ("1", "S_Q of the periodic (Floquet) covariance on a stable limit cycle, phase mode "
                         "separated out; mean over one period (long-time limit, no window)"),
    "S_Q_floquet_min": ("1", "S_Q_floquet, minimum over one period"),
    "S_Q_floquet_max": ("1", "S_Q_floquet, maximum over one period"),
    "phase_diffusion": ("1", "growth of the phase-mode variance per period (neutral Floquet mode)"),
    "uncertainty_min_eig": ("1", "smallest eigenvalue of V + iΩ/2 over the window (negative: V violates "
                                 "the uncertainty relation)"),
    # the truncated-Wigner ensemble (twa.where; NaN where it did not run; see qorepro.twa, qorepro.ensemble)
    "S_Q_twa": ("1", "S_Q of the truncated-Wigner ensemble, late-window mean (moments bias-corrected, inside (0, 1])"),
    "S_Q_twa_err": ("1", "standard error of S_Q_twa (influence function over the trajectories)"),
    "S_Q_twa_lo": ("1", "lower end of the S_Q_twa interval of the sequential rule at its stop (Bonferroni over "
                        "its looks; square-root scale, inside (0, 1])"),
    "S_Q_twa_hi": ("1", "upper end of that interval"),
    "S_C_twa": ("1", "S_C of the truncated-Wigner ensemble, late-window mean (moments bias-corrected)"),
    "S_C_twa_err": ("1", "standard error of S_C_twa"),
    "twa_trajectories": ("1", "trajectories M of the point's ensemble (adaptive; 0: no ensemble)"),
    "twa_decided": ("", "True where the S_Q_twa interval holds none of the claims' thresholds (S_zero, S_sync)"),
    "twa_truncation": ("1", "TWA certificate q: largest 1/(2n) over the ensemble-mean occupations n in the window "
                            "of the model's nonlinear_modes (weight of the dropped third-order terms; "
                            "qorepro.twa_validity)"),
    "twa_min_occupation": ("1", "smallest ensemble-mean occupation of the nonlinear_modes in the window"),
    "twa_switching": ("1", "fraction of the ensemble's trajectories whose attractor class (the census's, per τ) "
                           "changes within the window (qorepro.twa_validity.switching_fraction)"),
    "twa_basin_fraction": ("1", "fraction of the ensemble on the attractor class of the deterministic protocol's "
                                "orbit at t_end (the basin check of the Gaussian value: verdict noise_basin)"),
    "twa_occupation_shift": ("1", "largest relative shift of the ensemble's mean photon/magnon number from the "
                                  "deterministic orbit's |z|^2 (the basin check: verdict noise_basin above "
                                  "linearization_max_ratio^2)"),
    "twa_questionable": ("", "True where the TWA certificate fails (twa_truncation or twa_switching above its "
                             "threshold)"),
    "N_a_twa": ("1", "mean photon number <a†a> of the ensemble, late-window mean"),
    "N_m_twa": ("1", "mean magnon number <m†m> of the ensemble, late-window mean"),
    "n_b1_twa": ("1", "mean phonon number <b1†b1> of the ensemble, late-window mean"),
    "n_b2_twa": ("1", "mean phonon number <b2†b2> of the ensemble, late-window mean"),
    "covariance_twa": ("1", "covariance of the quadratures in the ensemble, late-window mean (vacuum = I/2)"),
    "census_twa": ("1", "fraction of trajectories on each attractor at t_end (relative phase and amplitude of "
                        "the mechanical oscillation over the last period)"),
    "S_Q_twa_by_attractor": ("1", "S_Q of the trajectories on each attractor (NaN: too few of them)"),
    "S_Q_twa_by_attractor_err": ("1", "standard error of S_Q_twa_by_attractor"),
    "V_end": ("1", "covariance matrix of the quadratures at t_end (vacuum = I/2)"),
}


def variables_of(model) -> dict:
    """Every per-point variable of a time-domain run of ``model``: name → (units, long name)."""
    return {**{k: (v.units, v.long_name) for k, v in model.variables.items()}, **ENGINE_VARIABLES}


def evaluate(params: lai2025.LaiParams, initial: lai2025.InitialState | None = None,
             settings: SolverSettings = SolverSettings(),
             cert_settings: CertificationSettings = CertificationSettings(), *,
             batch_size: int = 64, traces: bool = False, start: tuple | None = None,
             progress: Callable[[int, int], None] | None = None, model=lai2025.MODEL,
             progress_file=None, progress_desc: str = "sweep"):
    """Integrate and certify every point of a batched parameter set, ``batch_size`` at a time.

    ``start`` = (t0_tau, x0 (d, N), V0 (N, d, d)) continues every point from a stored state
    (see :func:`qorepro.solver.integrate`).  Progress (simulated point·τ, rate and ETA) goes
    to ``progress_file`` (a stream or a list of them) as one line per update when given; ``progress(done_batches, total)`` is called
    after each batch.  Returns ``(results, t_tau)``: a dict of per-point arrays (first axis =
    point, see :func:`variables_of`; with ``traces`` also the time traces) and the sample times.
    """
    from .progress import bar as progress_bar

    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    initial = initial if initial is not None else lai2025.InitialState()
    n = params.batch_size
    n_batches = -(-n // batch_size)
    t_first = float(start[0]) if start is not None else 0.0
    span = settings.t_end_tau - t_first
    out = {}
    t_tau = None
    t0 = time.perf_counter()
    streams = progress_file if isinstance(progress_file, (list, tuple)) else [progress_file]
    bar = progress_bar(round(n * span), "point·τ", progress_desc, *streams)
    for b in range(n_batches):
        sl = slice(b * batch_size, min(n, (b + 1) * batch_size))
        p = slice_params(params, sl)
        st = None if start is None else (start[0], start[1][:, sl], start[2][sl])
        m = sl.stop - sl.start
        traj = integrate(model, p, initial, settings, traces=traces, start=st,
                         progress=lambda k, m=m: bar.update(round(m * k / settings.samples_per_tau)))
        cert = certify(model, p, traj, cert_settings, method=settings.method)
        summary = _summaries(model, p, traj, cert, traces)
        diverged = int(np.count_nonzero(~np.isfinite(summary["x_end"]).all(axis=1)))
        if diverged:
            log.warning("batch %d/%d: %d of %d points diverged (mean fields not finite at t_end); their "
                        "measures are NaN/inf and their verdict is not certified", b + 1, n_batches, diverged, m)
        for k, v in summary.items():
            out.setdefault(k, []).append(v)
        t_tau = traj.t_tau
        log.info("batch %d/%d done (%d points, %.1f s elapsed)", b + 1, n_batches, m, time.perf_counter() - t0)
        if progress is not None:
            progress(b + 1, n_batches)
    bar.close()
    return {k: np.concatenate(v, axis=0) for k, v in out.items()}, t_tau


def sweep(axes: Mapping[str, np.ndarray], base: lai2025.LaiParams = lai2025.LaiParams(),
          initial: lai2025.InitialState | None = None,
          settings: SolverSettings = SolverSettings(),
          cert_settings: CertificationSettings = CertificationSettings(), *,
          batch_size: int = 64, traces: bool = False,
          progress: Callable[[int, int], None] | None = None, model=lai2025.MODEL,
          progress_file=None) -> xr.Dataset:
    """Compute every point of the grid spanned by ``axes`` and return a Dataset.

    Data variables: see :func:`variables_of` (window statistics, couplings, numbers, stability
    verdict and the numbers behind it).  With ``traces=True`` also ``S_Q_t``, ``S_C_t`` and
    the mechanical quadrature means ``X_b1``, ``Y_b1``, ``X_b2``, ``Y_b2`` on a ``t`` axis
    (units τ).  ``progress(done_batches, total_batches)`` is called after each batch.
    """
    initial = initial if initial is not None else lai2025.InitialState()
    coords, shape, params = grid_params(axes, base, model)
    res, t_tau = evaluate(params, initial, settings, cert_settings, batch_size=batch_size,
                          traces=traces, progress=progress, model=model, progress_file=progress_file)
    return describe(assemble(res, coords, shape, t_tau, model), base, initial, settings, cert_settings, model)


def _summaries(model, p, traj, cert, traces):
    c = model.coefficients(p)
    Wm = traj.window_means
    # a diverging point (mean fields growing without bound) overflows the squares below; its
    # numbers become inf/NaN by design and the point is counted and logged by the caller
    with np.errstate(over="ignore", invalid="ignore"):
        return _summaries_of(model, c, Wm, traj, cert, traces)


def _summaries_of(model, c, Wm, traj, cert, traces):
    q_mean, q_min, q_max = traj.window_stats("S_Q")
    sc_mean, _, _ = traj.window_stats("S_C")
    # the model's observables at every window sample (states (d, W, N)), window-averaged
    observed = model.observables(np.moveaxis(Wm, 1, 0), c)
    res = {
        "S_Q": q_mean, "S_Q_min": q_min, "S_Q_max": q_max, "S_C": sc_mean,
        "E_N": traj.window["E_N"].mean(axis=0),
        "squeezing_dB": traj.window["squeezing_dB"].mean(axis=0),
        **{k: v.mean(axis=0) for k, v in observed.items()}, **model.coefficient_observables(c),
        "verdict": cert.verdict, "certified": np.isin(cert.verdict, CERTIFIED),
        "dynamically_stable": np.isin(cert.dynamic_verdict, CERTIFIED),
        "n_fixed_points": cert.n_fixed_points, "n_stable_fixed_points": cert.n_stable_fixed_points,
        "fp_max_re_eig": cert.fp_max_re_eig, "theta": cert.theta, "oscillation": cert.oscillation,
        "period_tau": cert.period_tau, "floquet_abs": cert.floquet_abs,
        "floquet_max_nontrivial": cert.floquet_max_nontrivial,
        "floquet_trivial_dev": cert.floquet_trivial_dev, "return_mismatch": cert.return_mismatch,
        "linearization_ratio": cert.linearization_ratio, "uncertainty_min_eig": cert.uncertainty_min_eig,
        "S_Q_floquet": cert.S_Q_floquet[:, 0], "S_Q_floquet_min": cert.S_Q_floquet[:, 1],
        "S_Q_floquet_max": cert.S_Q_floquet[:, 2], "phase_diffusion": cert.phase_diffusion,
        "x_end": traj.x_final.T, "V_end": traj.V_final,
    }
    if traces:
        res["S_Q_t"] = traj.S_Q.T
        res["S_C_t"] = traj.S_C.T
        for j in model.mechanical_modes:                     # ⟨X⟩ = √2 Re β, ⟨Y⟩ = √2 Im β
            res[f"X_{model.mode_names[j]}"] = np.sqrt(2) * traj.means[:, 2 * j].T
            res[f"Y_{model.mode_names[j]}"] = np.sqrt(2) * traj.means[:, 2 * j + 1].T
    return res


def assemble(res, coords, shape, t_tau, model=lai2025.MODEL):
    """Per-point result arrays (C-ordered over ``shape``) → Dataset with named coordinates (no
    global attributes: :func:`describe` for this API, :func:`qorepro.workflow.provenance.stamp`
    for the workflow's panel files)."""
    dims = tuple(coords)
    variables = variables_of(model)
    data_vars = {}
    for k, arr in res.items():
        extra_dims, extra_shape = (), ()
        if k in EXTRA_DIMS:
            extra_dims, extra_shape = EXTRA_DIMS[k], arr.shape[1:]
        elif arr.ndim == 2:
            extra_dims, extra_shape = ("t",), (arr.shape[1],)
        arr = arr.reshape(shape + extra_shape)
        units, long_name = variables.get(k, TRACE_VARIABLES.get(k, ("", k)))
        attrs = {"long_name": long_name}
        if units:
            attrs["units"] = units
        data_vars[k] = (dims + extra_dims, arr, attrs)
    ds = xr.Dataset(data_vars)
    for name, vals in coords.items():
        axis = model.axes[name]
        ds = ds.assign_coords({name: (name, vals, {"units": axis.units, "long_name": axis.long_name,
                                                   "sets_parameters": ",".join(axis.fields)})})
    if "t" in ds.dims:
        ds = ds.assign_coords(t=("t", t_tau, {"units": "tau", "long_name": "time t/τ, τ = 2π/ω₁"}))
    if "k" in ds.dims:
        ds = ds.assign_coords(k=("k", np.arange(1, ds.sizes["k"] + 1), {"long_name": "index"}))
    if "attractor" in ds.dims:
        ds = ds.assign_coords(attractor=("attractor", list(ATTRACTORS), {"long_name": "attractor class"}))
    if "row" in ds.dims:
        ds = ds.assign_coords(row=("row", list(model.quadrature_names), {"long_name": "quadrature"}),
                              col=("col", list(model.quadrature_names), {"long_name": "quadrature"}))
    if "state" in ds.dims:
        ds = ds.assign_coords(state=("state", [f"{p}_{m}" for m in model.mode_names for p in ("Re", "Im")],
                                     {"long_name": "mean-field component"}))
    ds["verdict"] = ds["verdict"].astype(str)
    return ds


def describe(ds, base, initial, settings, cert_settings, model=lai2025.MODEL):
    """The global attributes of a :func:`sweep` result: model, code, parameters and settings."""
    ds.attrs.update({
        "model": model.name,
        "code_version": f"qorepro {__version__}",
        "base_parameters": base.to_json(),
        "initial_state": json.dumps(initial.to_dict(), sort_keys=True),
        "solver_settings": json.dumps(settings.to_dict(), sort_keys=True),
        "certification_settings": json.dumps(cert_settings.to_dict(), sort_keys=True),
        "window_tau": json.dumps(list(settings.window_tau)),
        "frequency_unit": "omega1 = 2*pi*10 MHz (all rates angular, in units of omega1)",
        "time_unit": "tau = 2*pi/omega1",
    })
    return ds


#: per-point variables with dimensions of their own (besides the swept axes)
EXTRA_DIMS = {"theta": ("k",), "floquet_abs": ("k",), "x_end": ("state",), "V_end": ("row", "col"),
              "covariance_twa": ("row", "col"), "census_twa": ("attractor",),
              "S_Q_twa_by_attractor": ("attractor",), "S_Q_twa_by_attractor_err": ("attractor",)}

TRACE_VARIABLES = {
    "S_Q_t": ("1", "S_Q(t)"),
    "S_C_t": ("1", "S_C(t)"),
    "X_b1": ("1", "⟨X_b1(t)⟩"), "Y_b1": ("1", "⟨Y_b1(t)⟩"),
    "X_b2": ("1", "⟨X_b2(t)⟩"), "Y_b2": ("1", "⟨Y_b2(t)⟩"),
    "S_Q_t_twa": ("1", "S_Q(t) of the truncated-Wigner ensemble"),
    "S_C_t_twa": ("1", "S_C(t) of the truncated-Wigner ensemble"),
}
