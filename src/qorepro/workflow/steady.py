"""Evaluator of the steady-state companion models (kind ``steady_state``: Jiao et al. 2020,
2022) for the figure engine (:mod:`qorepro.workflow.figure`): the linearised steady state —
mean fields, drift matrix, Routh–Hurwitz + eigenvalue certification, Lyapunov covariance,
E_N and ν̃₋ of the partial transpose — batched over the points, and how the per-point results become a panel.

Panel kinds: ``line`` (x axis, one curve per series), ``map`` (x, y), ``revival`` (x, y; the
numerator maximised over ``over`` if given, the denominator — the ``reference`` case — over
``reference_over``), ``fizeau`` (analytic Δ_F versus Ω) and ``wigner`` (the reduced
mechanical covariance of each series, for Wigner projections).
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # xarray is imported where it is used (lazy in the DAG process)
    import xarray as xr

from ..measures import pt_symplectic_min
from ..settings import CERTIFIED
from .record import FigureSpec, PanelSpec

log = logging.getLogger(__name__)

#: parameter points per batched call (bounds memory: an 8×8 model holds a 64×64 system per point)
BATCH = 2048
SOLVER = {"method": "steady state: self-consistent mean fields, drift matrix, Lyapunov equation "
                    "AV + VAᵀ = −D solved in the eigenbasis of A (Kronecker solve where its residual "
                    "exceeds 1e-10)",
          "certification": "stable_fixed_point iff all Hurwitz determinants θ_k > 0 (Faddeev–LeVerrier "
                           "coefficients) and all eigenvalues of A have Re λ < 0; not_settled if the two "
                           "disagree; E_N and V are NaN where not stable; a stable point whose V violates "
                           "V + iΩ/2 ≥ 0 is unphysical_covariance (kept, not certified)",
          "batch": BATCH}

#: panel kinds of the steady-state models
KINDS = ("line", "map", "revival", "fizeau", "wigner")
#: dimension order of a panel grid: x, y, over (see qorepro.workflow.figure._dim_order)
DIM_ORDER = "panel"
#: a figure without a group belongs to its model's group
DEFAULT_GROUP = None
#: a figure may override the model's parameters (``figures.<fig>.parameters``)
FIGURE_PARAMETERS = True
#: a whole figure takes seconds: never split into chunk jobs
CHUNKED = False
#: NumPy on the host: a steady-state sweep never holds the workflow's `gpu` resource
ACCELERATED = False
#: variables a map panel may name besides the model's variables
MAP_EXTRAS = ("verdict", "theta", "Theta5", "Theta6", "Delta_E_N")


# --------------------------------------------------------------------------- configuration
def available(kind: str, model) -> bool:
    return kind != "fizeau" or hasattr(model, "fizeau_shift_MHz")


def plot_variables(kind: str, model):
    if kind not in ("line", "map"):
        return None
    return tuple(model.variables) + (MAP_EXTRAS if kind == "map" else ())


def check_panel(where: str, p: dict, model) -> None:
    from .record import ConfigError
    if "Delta_E_N" in p.get("variables", []) and set(p.get("series") or {}) != {"left", "right"}:
        raise ConfigError(f"{where}: Delta_E_N needs exactly the series left and right")


def base_parameters(config: dict, model) -> dict:
    """The model's defaults with ``models.<name>.parameters`` of the configuration."""
    over = (config.get("models") or {}).get(model.name, {}).get("parameters", {}) or {}
    unknown = set(over) - set(model.Params.__dataclass_fields__)
    if unknown:
        raise KeyError(f"models.{model.name}.parameters: unknown {sorted(unknown)}; known: {sorted(model.Params.__dataclass_fields__)}")
    return {**model.defaults.to_dict(), **{k: float(v) for k, v in over.items()}}


def record_fields(config: dict, fspec: dict, model) -> dict:
    """The solver description and the units of the model's parameters."""
    return {"solver": SOLVER,
            "parameter_units": {k: v for k, v in PARAMETER_UNITS.items() if k in model.Params.__dataclass_fields__}}


def continuation(spec: FigureSpec, base: FigureSpec, config: dict) -> FigureSpec:
    """A steady state has no time to continue: the record is the same."""
    return spec



def source(spec: FigureSpec) -> str:
    return (f"{spec.code_version}, model {spec.model}, linearised steady state (Lyapunov equation), "
            "Routh–Hurwitz certified")


def engine_info(batch_size: int) -> dict:
    return {"backend": "numpy"}


# ------------------------------------------------------------------------------- evaluate
def evaluate(spec: FigureSpec, pts, sl: slice, *, label: str = "", **_) -> tuple:
    """The steady state of the points ``sl`` of the figure, :data:`BATCH` points per call."""
    mod = spec.model_object
    ids = np.arange(pts.n)[sl]
    k = max(1, -(-ids.size // BATCH))
    out = {}
    for i, part in enumerate(np.array_split(ids, k)):
        res = mod.solve({kk: v[part] for kk, v in pts.flat.items()})
        for kk, v in res.items():
            out.setdefault(kk, []).append(v)
        log.info("progress: %s%s batch %d/%d (%d points)", spec.figure, label, i + 1, k, part.size)
    return {kk: np.concatenate(v) for kk, v in out.items()}, None


# ------------------------------------------------------------------------------- datasets
def block_dataset(spec: FigureSpec, panel: PanelSpec, res: dict, coords: dict, shape, t) -> xr.Dataset:
    return _dataset(spec.model_object, res, coords, shape, matrices=panel.kind != "revival")


#: what a revival panel leaves out (it keeps every per-point scalar, E_N, ν̃₋ and the verdicts)
REVIVAL_OMITS = ("V", "theta")


def _dataset(mod, res: dict, coords: dict, shape, matrices: bool = True) -> xr.Dataset:
    """A panel's per-point results.  ``matrices=False`` (a revival panel: a map of maxima over a
    third axis, 10⁶ points at the paper preset) leaves out the per-point covariance V and the
    Hurwitz determinants θ_k (:data:`REVIVAL_OMITS`) — 40 of the ≈ 55 numbers per point, 0.9 of
    the 1.3 GB such a file had — which no revival plot or claim reads; the record recomputes them."""
    import xarray as xr
    dims = tuple(coords)
    ds = xr.Dataset(coords={d: (d, coords[d], {"units": mod.axes[d].units, "long_name": mod.axes[d].long_name})
                            for d in dims})
    for k, (u, ln, _) in mod.variables.items():
        ds[k] = (dims, res[k].reshape(shape), {"units": u, "long_name": ln})
    verdict = res["verdict"].reshape(shape)
    ds["verdict"] = (dims, verdict.astype(str), {"long_name": "stability verdict of the steady state"})
    cert = np.isin(verdict, CERTIFIED)
    ds["certified"] = (dims, cert, {"long_name": "True where the steady state is certified stable"})
    ds["dynamically_stable"] = (dims, res["dynamically_stable"].reshape(shape), {
        "long_name": "True where the steady state is stable (physicality of V not required)"})
    ds["uncertainty_min_eig"] = (dims, res["uncertainty_min_eig"].reshape(shape), {
        "units": "1", "long_name": "smallest eigenvalue of V + iΩ/2 (negative: V violates the uncertainty relation)"})
    ds["fp_max_re_eig"] = (dims, res["fp_max_re_eig"].reshape(shape),
                           {"units": "omega_m", "long_name": "largest Re λ of the drift matrix A"})
    ds["nu_pt"] = (dims, pt_symplectic_min(res["V"], *mod.entangled_modes).reshape(shape), {
        "units": "1", "long_name": "smallest symplectic eigenvalue ν̃₋ of the partially transposed covariance "
        "of the entangled pair (vacuum ½; E_N = max(0, −ln 2ν̃₋)); NaN where not stable"})
    if not matrices:
        ds.attrs["omitted_per_point"] = ", ".join(REVIVAL_OMITS)
        return ds
    n = 2 * mod.n_modes
    ds["theta"] = (dims + ("k",), res["theta"].reshape(shape + (n,)),
                   {"long_name": "Hurwitz determinants θ_k of A (rates in units of ω_m)"})
    ds["V"] = (dims + ("row", "col"), res["V"].reshape(shape + (n, n)),
               {"long_name": "steady-state covariance matrix (vacuum = I/2); NaN where not certified"})
    return ds.assign_coords(k=("k", np.arange(1, n + 1)), row=("row", list(mod.quadrature_names)),
                            col=("col", list(mod.quadrature_names)))


def _theta_log(theta):
    """Θ_k of Jiao 2020 eq. (S3.18): ln θ_k for θ_k > 0, −ln|θ_k| for θ_k < 0."""
    import xarray as xr
    with np.errstate(divide="ignore"):
        return xr.where(theta > 0, np.log(np.abs(theta)), -np.log(np.abs(theta)))


def finish_panel(spec: FigureSpec, p: PanelSpec, ds, ref) -> xr.Dataset:
    """The stacked series of a panel with its derived variables: the revival factor from the
    reference case, ΔE_N, Θ_k, the reduced mechanical covariance of a Wigner panel."""
    mod = spec.model_object
    if p.kind == "revival":
        rover = p.reference_over
        den = float(ref["E_N"].max())
        num = ds["E_N"].max(p.over) if p.over else ds["E_N"]
        ds["revival"] = (num / den).assign_attrs(units="1", long_name="revival factor: max E_N / max E_N of the reference"
                                                 + (f" (numerator maximised over {p.over})" if p.over else ""))
        # unstable points carry no E_N and are simply absent from the maximum; what would void a
        # revival value is a stable point whose covariance is not certified (unphysical)
        ok = ds["certified"] | ~ds["dynamically_stable"]
        frac = ok.mean(p.over) if p.over else ok.astype(float)
        ds["revival_certified_fraction"] = frac.assign_attrs(
            units="1", long_name="fraction of the stable points entering the value that are certified")
        ds["E_N_reference"] = ref["E_N"].rename({rover: f"{rover}_reference"}).assign_attrs(
            long_name="E_N of the reference case")
        ds["certified_reference"] = ref["certified"].rename({rover: f"{rover}_reference"})
        ds["dynamically_stable_reference"] = ref["dynamically_stable"].rename({rover: f"{rover}_reference"})
        ds.attrs["revival_reference"] = json.dumps(p.reference, sort_keys=True)
        ds.attrs["revival_reference_max_E_N"] = den
        return ds
    if "Delta_E_N" in p.variables:
        ds["Delta_E_N"] = (ds["E_N"].sel(series="left") - ds["E_N"].sel(series="right")).assign_attrs(
            units="1", long_name="ΔE_N = E_N(left input) − E_N(right input)")
        ds["certified_both"] = ds["certified"].all("series")
    for k in (5, 6):
        if f"Theta{k}" in p.variables:
            ds[f"Theta{k}"] = _theta_log(ds["theta"].sel(k=k)).assign_attrs(
                units="1", long_name=f"Θ_{k} (Jiao 2020 eq. S3.18) of θ_{k} in ω_m units")
    if p.kind == "wigner":
        mech = [2 * m for m in mod.entangled_modes] + [2 * m + 1 for m in mod.entangled_modes]
        idx = sorted(mech)
        ds["V_mech"] = ds["V"].isel(row=idx, col=idx).rename(row="mrow", col="mcol").assign_attrs(
            long_name="reduced covariance V_μν of the two entangled modes (eq. 21)")
    return ds


def analytic_panel(spec: FigureSpec, p: PanelSpec) -> xr.Dataset:
    """Δ_F versus Ω of each series (eq. 1): analytic, no dynamics to certify."""
    import xarray as xr
    mod = spec.model_object
    x = p.x
    om = np.asarray(p.axes[x], dtype=float)
    rows = [ov.get("direction", 1.0) * mod.fizeau_shift_MHz(om, spec.parameters) for ov in p.series.values()]
    return xr.Dataset({"Delta_F_MHz": (("series", x), np.array(rows), {
        "units": "MHz (1e6 rad/s)", "long_name": "Sagnac–Fizeau shift Δ_F of the driven mode (eq. 1)"})},
        coords={"series": ("series", list(p.series), {"long_name": "case"}),
                x: (x, om, {"units": mod.axes[x].units, "long_name": mod.axes[x].long_name})})


#: units of every physical parameter name of the steady-state models (recorded in the params)
PARAMETER_UNITS = {
    "n": "1", "mass_ng": "ng", "radius_mm": "mm", "radius_um": "µm", "wavelength_nm": "nm",
    "Q": "1", "omega_m_MHz": "1e6 rad/s", "gamma_m_kHz": "1e3 rad/s", "T_mK": "mK", "P_mW": "mW",
    "Omega_kHz": "1e3 rad/s", "J_MHz": "1e6 rad/s", "Delta_c": "omega_m", "direction": "+1 left, -1 right",
    "kappa0_2pi_MHz": "2π×MHz", "kappa_ex_l_2pi_MHz": "2π×MHz", "kappa_ex_r_2pi_MHz": "2π×MHz",
    "omega_m_l_2pi_MHz": "2π×MHz", "chi": "1", "gamma_m_2pi_kHz": "2π×kHz", "phi": "rad", "eta": "1",
    "Omega_l_MHz": "1e6 rad/s", "Omega_r_MHz": "1e6 rad/s", "Delta": "omega_m_l",
    "correlated_noise": "0: eq. 18 as printed, 1: cascaded input-noise correlation",
}
