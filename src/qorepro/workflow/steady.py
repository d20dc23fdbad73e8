"""Params and sweep stages for the steady-state companion models (Jiao et al. 2020, 2022).

Same record and file layout as the Lai figures (results/<run>/params/<figure>.json →
data/<figure>/<panel>.nc → stability → plot); the computation is the linearised steady
state: mean fields, drift matrix, Routh–Hurwitz + eigenvalue certification, Lyapunov
covariance and E_N, batched over every point of a panel.

Panel kinds: ``line`` (x axis, one curve per series), ``map`` (x, y), ``revival`` (x, y; the
numerator maximised over ``over`` if given, the denominator — the ``reference`` case — over
``reference_over``), ``fizeau`` (analytic Δ_F versus Ω) and ``wigner`` (the reduced
mechanical covariance of each series, for Wigner projections).
"""
from __future__ import annotations

import json
import logging
import os

import numpy as np

from .. import __version__
from ..models import MODELS
from ..grid import DIRECTIONS
from ..settings import CERTIFIED
from . import provenance
from .record import ConfigError, FigureSpec, PanelSpec, axis_n, axis_values, panel_axes

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


#: panel kinds of the steady-state engine
KINDS = ("line", "map", "revival", "fizeau", "wigner")
#: variables a map panel may name besides the model's VARIABLES
MAP_EXTRAS = ("verdict", "theta", "Theta5", "Theta6", "Delta_E_N")


def base_parameters(config: dict, model: str) -> dict:
    mod = MODELS[model]
    over = (config.get("models") or {}).get(model, {}).get("parameters", {}) or {}
    unknown = set(over) - set(mod.DEFAULTS)
    if unknown:
        raise KeyError(f"models.{model}.parameters: unknown {sorted(unknown)}; known: {sorted(mod.DEFAULTS)}")
    return {**mod.DEFAULTS, **{k: float(v) for k, v in over.items()}}


def overrides(model: str, ov: dict) -> dict:
    """Axis-name (or parameter-name) overrides → parameter fields; 'left'/'right' → ±1."""
    mod = MODELS[model]
    out = {}
    for k, v in (ov or {}).items():
        field = mod.AXES[k][0] if k in mod.AXES else k
        if field not in mod.DEFAULTS:
            raise KeyError(f"unknown axis or parameter {k!r} for model {model}; axes: {sorted(mod.AXES)}")
        if isinstance(v, str):
            if field != "direction" or v not in DIRECTIONS:
                raise ValueError(f"{k} = {v!r}: only direction takes a name (left/right)")
            v = DIRECTIONS[v]
        out[field] = float(v)
    return out


def check_axes(model: str, names, where: str) -> None:
    mod = MODELS[model]
    for a in names:
        if a not in mod.AXES:
            raise KeyError(f"{where}: unknown axis {a!r} for model {model}; known: {sorted(mod.AXES)}")


# ------------------------------------------------------------------------------- compute
def _block(mod, axes: dict, point: dict):
    """Cartesian grid of ``axes`` around ``point`` → (coords, shape, flat parameter dict)."""
    names = list(axes)
    vals = [np.asarray(axes[n], dtype=float) for n in names]
    shape = tuple(v.size for v in vals)
    grids = np.meshgrid(*vals, indexing="ij") if names else []
    flat = {k: np.full(int(np.prod(shape)), float(v)) for k, v in point.items()}
    for n, g in zip(names, grids):
        flat[mod.AXES[n][0]] = g.ravel()
    return dict(zip(names, vals)), shape, flat


def _solve(mod, flat: dict, label: str) -> dict:
    n = len(next(iter(flat.values())))
    out = {}
    k = max(1, -(-n // BATCH))
    for i, sl in enumerate(np.array_split(np.arange(n), k)):
        res = mod.solve({kk: v[sl] for kk, v in flat.items()})
        for kk, v in res.items():
            out.setdefault(kk, []).append(v)
        log.info("progress: %s batch %d/%d (%d points)", label, i + 1, k, sl.size)
    return {kk: np.concatenate(v) for kk, v in out.items()}


def _dataset(mod, res: dict, coords: dict, shape) -> xr.Dataset:
    import xarray as xr
    dims = tuple(coords)
    ds = xr.Dataset(coords={d: (d, coords[d], {"units": mod.AXES[d][1], "long_name": mod.AXES[d][2]})
                            for d in dims})
    for k, (u, ln) in mod.VARIABLES.items():
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
    n = mod.DIM
    ds["theta"] = (dims + ("k",), res["theta"].reshape(shape + (n,)),
                   {"long_name": "Hurwitz determinants θ_k of A (rates in units of ω_m)"})
    ds["V"] = (dims + ("row", "col"), res["V"].reshape(shape + (n, n)),
               {"long_name": "steady-state covariance matrix (vacuum = I/2); NaN where not certified"})
    return ds.assign_coords(k=("k", np.arange(1, n + 1)), row=("row", list(mod.COVARIANCE_LABELS)),
                            col=("col", list(mod.COVARIANCE_LABELS)))


def _series_blocks(mod, record, p, axes):
    blocks = {}
    for label, ov in p["series"].items():
        point = {**record["parameters"], **p["fixed"], **ov}
        coords, shape, flat = _block(mod, axes, point)
        res = _solve(mod, flat, f"{record['figure']}/{label}")
        blocks[label] = _dataset(mod, res, coords, shape)
    return blocks


def _stack(blocks: dict) -> xr.Dataset:
    import xarray as xr
    ds = xr.concat(list(blocks.values()), dim="series", combine_attrs="override")
    return ds.assign_coords(series=("series", list(blocks), {"long_name": "case"}))


def _theta_log(theta):
    """Θ_k of Jiao 2020 eq. (S3.18): ln θ_k for θ_k > 0, −ln|θ_k| for θ_k < 0."""
    import xarray as xr
    with np.errstate(divide="ignore"):
        return xr.where(theta > 0, np.log(np.abs(theta)), -np.log(np.abs(theta)))


def panel_dataset(record: dict, p: dict) -> xr.Dataset:
    import xarray as xr
    mod = MODELS[record["model"]]
    kind = p["kind"]
    if kind == "fizeau":
        x = p["x"]
        om = np.asarray(p["axes"][x], dtype=float)
        rows = [ov.get("direction", 1.0) * mod.fizeau_shift_MHz(om, record["parameters"])
                for ov in p["series"].values()]
        return xr.Dataset({"Delta_F_MHz": (("series", x), np.array(rows), {
            "units": "MHz (1e6 rad/s)", "long_name": "Sagnac–Fizeau shift Δ_F of the driven mode (eq. 1)"})},
            coords={"series": ("series", list(p["series"]), {"long_name": "case"}),
                    x: (x, om, {"units": mod.AXES[x][1], "long_name": mod.AXES[x][2]})})
    if kind == "revival":
        axes = {a: p["axes"][a] for a in (p["x"], p["y"], p["over"]) if a}
        ds = _stack(_series_blocks(mod, record, p, axes))
        rover = p["reference_over"]
        point = {**record["parameters"], **p["fixed"], **p["reference"]}
        coords, shape, flat = _block(mod, {rover: p["axes"][rover]}, point)
        ref = _dataset(mod, _solve(mod, flat, f"{record['figure']}/reference"), coords, shape)
        den = float(ref["E_N"].max())
        num = ds["E_N"].max(p["over"]) if p["over"] else ds["E_N"]
        ds["revival"] = (num / den).assign_attrs(units="1", long_name="revival factor: max E_N / max E_N of the reference"
                                                 + (f" (numerator maximised over {p['over']})" if p["over"] else ""))
        # unstable points carry no E_N and are simply absent from the maximum; what would void a
        # revival value is a stable point whose covariance is not certified (unphysical)
        ok = ds["certified"] | ~ds["dynamically_stable"]
        frac = ok.mean(p["over"]) if p["over"] else ok.astype(float)
        ds["revival_certified_fraction"] = frac.assign_attrs(
            units="1", long_name="fraction of the stable points entering the value that are certified")
        ds["E_N_reference"] = ref["E_N"].rename({rover: f"{rover}_reference"}).assign_attrs(
            long_name="E_N of the reference case")
        ds["certified_reference"] = ref["certified"].rename({rover: f"{rover}_reference"})
        ds["dynamically_stable_reference"] = ref["dynamically_stable"].rename({rover: f"{rover}_reference"})
        ds.attrs["revival_reference"] = json.dumps(p["reference"], sort_keys=True)
        ds.attrs["revival_reference_max_E_N"] = den
        return ds
    axes = {a: p["axes"][a] for a in (p["x"], p["y"]) if a}
    ds = _stack(_series_blocks(mod, record, p, axes))
    if "Delta_E_N" in p["variables"]:
        ds["Delta_E_N"] = (ds["E_N"].sel(series="left") - ds["E_N"].sel(series="right")).assign_attrs(
            units="1", long_name="ΔE_N = E_N(left input) − E_N(right input)")
        ds["certified_both"] = ds["certified"].all("series")
    for k in (5, 6):
        if f"Theta{k}" in p["variables"]:
            ds[f"Theta{k}"] = _theta_log(ds["theta"].sel(k=k)).assign_attrs(
                units="1", long_name=f"Θ_{k} (Jiao 2020 eq. S3.18) of θ_{k} in ω_m units")
    if kind == "wigner":
        mech = [2 * m for m in mod.ENTANGLED_MODES] + [2 * m + 1 for m in mod.ENTANGLED_MODES]
        idx = sorted(mech)
        ds["V_mech"] = ds["V"].isel(row=idx, col=idx).rename(row="mrow", col="mcol").assign_attrs(
            long_name="reduced covariance V_μν of the two entangled modes (eq. 21)")
    return ds


def compute_figure(spec: FigureSpec, outdir: str, **_) -> dict:
    """Write ``outdir/<panel>.nc`` for every panel of a steady-state figure."""
    from .timedomain import write_netcdf
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    mod = spec.model_object
    record = spec.to_record()
    for pname, p in record["panels"].items():
        ds = provenance.stamp(panel_dataset(record, p), spec, pname, mod.REFERENCE,
                              f"{spec.code_version}, model {spec.model}, linearised steady state "
                              "(Lyapunov equation), Routh–Hurwitz certified", {"backend": "numpy"})
        paths[pname] = write_netcdf(ds, os.path.join(outdir, f"{pname}.nc"))
        log.info("wrote %s", paths[pname])
    return paths


def n_points(spec: FigureSpec) -> int:
    """Steady-state figures are never split into chunks (a whole figure takes seconds)."""
    return 0


def check_figure(fig: str, fspec: dict, config: dict) -> None:
    """Checks of one steady-state figure the schema cannot express (raise ConfigError)."""
    model = fspec["model"]
    try:
        overrides(model, fspec.get("parameters") or {})
    except (KeyError, ValueError) as e:
        raise ConfigError(f"figures.{fig}.parameters: {e.args[0]}") from None
    for pname, p in fspec["panels"].items():
        where = f"figures.{fig}.panels.{pname}"
        try:
            check_axes(model, [a["axis"] for a in panel_axes(p)], where)
            if "reference_over" in p:
                check_axes(model, [p["reference_over"]["axis"]], where)
            for label, ov in (p.get("series") or {}).items():
                overrides(model, ov)
            overrides(model, p.get("fixed") or {})
            overrides(model, p.get("reference") or {})
        except (KeyError, ValueError) as e:
            raise ConfigError(f"{where}: {e.args[0]}") from None
        if p["kind"] not in KINDS or (p["kind"] == "fizeau" and not hasattr(MODELS[model], "fizeau_shift_MHz")):
            raise ConfigError(f"{where}: kind {p['kind']!r} is not available for model {model}")
        if p["kind"] == "revival" and not ("over" in p or "reference_over" in p):
            raise ConfigError(f"{where}: a revival panel needs `over` or `reference_over`")
        if "Delta_E_N" in p.get("variables", []) and set(p.get("series") or {}) != {"left", "right"}:
            raise ConfigError(f"{where}: Delta_E_N needs exactly the series left and right")
        if p["kind"] in ("line", "map"):
            allowed = tuple(MODELS[model].VARIABLES) + (MAP_EXTRAS if p["kind"] == "map" else ())
            for v in p.get("variables", []):
                if v not in allowed:
                    raise ConfigError(f"{where}.variables: {v!r} is not a variable of a {p['kind']} panel of "
                                      f"{model}; known: {', '.join(allowed)}")


def planned_points(fspec: dict, config: dict) -> int:
    """Parameter points of a figure, counted from its configuration (no grid is built)."""
    preset = config["preset"]
    pre = config["presets"][preset]
    total = 0
    for p in fspec["panels"].values():
        default_n = pre["map_points"] if p["kind"] in ("map", "revival") else pre["line_points"]
        axes = {ax["axis"]: axis_n(ax, default_n, preset) for ax in panel_axes(p)}
        rover = p.get("reference_over", p.get("over"))
        if rover:
            axes[rover["axis"]] = axis_n(rover, pre["line_points"], preset)
        grid = [p[k]["axis"] for k in ("x", "y", "over") if k in p] if p["kind"] == "revival" else \
            [p[k]["axis"] for k in ("x", "y") if k in p]
        m = 1
        for a in grid:
            m *= axes[a]
        total += m * len(p.get("series") or {"default": {}})
        if p["kind"] == "revival" and rover:
            total += axes[rover["axis"]]
    return total


def resolve(config: dict, figure: str, base=None) -> FigureSpec:
    """The params record of a steady-state (Jiao et al.) figure."""
    preset = config["preset"]
    pre = config["presets"][preset]
    fspec = config["figures"][figure]
    model = fspec["model"]
    panels = {}
    for pname, p in fspec["panels"].items():
        kind = p["kind"]
        default_n = pre["map_points"] if kind in ("map", "revival") else pre["line_points"]
        axes = {ax["axis"]: axis_values(ax, default_n, preset) for ax in panel_axes(p)}
        rover = p.get("reference_over", p.get("over"))
        if rover:
            axes[rover["axis"]] = axis_values(rover, pre["line_points"], preset)
        panels[pname] = PanelSpec(
            name=pname, kind=kind, title=p.get("title", ""), axes=axes,
            x=p["x"]["axis"] if "x" in p else None, y=p["y"]["axis"] if "y" in p else None,
            over=p["over"]["axis"] if "over" in p else None,
            reference_over=rover["axis"] if rover else None,
            fixed=overrides(model, p.get("fixed") or {}),
            series={label: overrides(model, ov) for label, ov in (p.get("series") or {"default": {}}).items()},
            reference=overrides(model, p["reference"]) if "reference" in p else None,
            variables=p.get("variables", ["E_N"]), traces=False)
    return FigureSpec(
        figure=figure, run=config["run"], preset=preset, model=model,
        code_version=f"qorepro {__version__}", title=fspec.get("title", figure),
        caption=fspec.get("caption", ""), source=fspec.get("source", ""), group=fspec.get("group", model),
        parameters={**base_parameters(config, model), **overrides(model, fspec.get("parameters") or {})},
        parameter_units={k: v for k, v in PARAMETER_UNITS.items() if k in MODELS[model].DEFAULTS},
        solver=SOLVER, plot=config.get("plot", {}), panels=panels)


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
