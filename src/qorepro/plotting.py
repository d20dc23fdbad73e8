"""Plotting helpers for the figure notebooks (one call per figure: :func:`plot_figure`).

Every panel draws the late-window mean of its variable with the min–max band where the
dataset has one (and, dotted, S_Q's Floquet long-time limit on stable limit cycles), and marks points whose stability verdict is not certified: red crosses on
line plots, hatched cells on maps, dashed traces with the verdict in the legend.  Nothing
uncertified is drawn as if it were physics.
"""
from __future__ import annotations

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from .workflow.provenance import open_verified  # noqa: E402

LABELS = {
    "S_Q": r"$S_Q$", "S_C": r"$S_C$", "E_N": r"$E_N$", "G_a": r"$G_a/\omega_1$",
    "G_m": r"$G_m/\omega_1$", "Delta_a": r"$\Delta_a/\omega_1$", "Delta_m": r"$\Delta_m/\omega_1$",
    "K": r"$K/\omega_1$", "kappa_a": r"$\kappa_a/\omega_1$", "kappa_m": r"$\kappa_m/\omega_1$",
    "gamma": r"$\gamma_j/\omega_1$", "chi": r"$\chi/\omega_1$", "rho": r"$\rho=m_j/m_0$",
    "n_th": r"$\bar n_j$", "Omega": r"$\Omega$ ($10^3$ rad/s)", "sigma_a": r"$\sigma_a/\omega_1$",
    "t": r"$t/\tau$", "revival": r"revival factor $\Lambda$", "theta": r"$\theta_2$",
    "squeezing_dB": "two-mode squeezing below vacuum (dB)", "S_Q_floquet": r"$S_Q$ (Floquet)",
    # companion models (Jiao et al. 2020, 2022)
    "Delta_c": r"$\Delta_c/\omega_m$", "J": r"$J$ (MHz = $10^6$ rad/s)", "T": r"$T$ (mK)", "Q": r"$Q$",
    "P": r"$P$ (mW)", "N_driven": r"$N_j=|\alpha_j|^2$ (driven mode)", "G_driven": r"$|G_j|/\omega_m$",
    "Delta_E_N": r"$\Delta E_N = E_N(\mathrm{left}) - E_N(\mathrm{right})$", "Theta5": r"$\Theta_5$",
    "Theta6": r"$\Theta_6$", "Delta_F_MHz": r"$\Delta_F$ (MHz = $10^6$ rad/s)",
    "Delta": r"$\Delta/\omega_{m,l}$", "Omega_l": r"$\Omega_l$ ($10^6$ rad/s)",
    "Omega_r": r"$\Omega_r$ ($10^6$ rad/s)",
}
#: labels of companion-model axes whose names mean something else in the Lai model
STEADY_LABELS = {"chi": r"$\chi = \omega_{m,r}/\omega_{m,l}$"}
#: axes drawn on a logarithmic scale
LOG_AXES = ("Q",)
UNCERT = dict(marker="x", color="crimson", linestyle="none", markersize=7, zorder=5)
HATCH = dict(fill=False, hatch="///", edgecolor="crimson", linewidth=0.0)


def n_axes(panel: dict) -> int:
    v = panel["variables"]
    if panel["kind"] == "trace" and "X_b" in v:
        return 3
    if panel["kind"] == "map" and len(v) > 1:
        return len(v)
    if panel["kind"] == "wigner":
        return len(WIGNER_PAIRS) + 2
    return 1


#: axes whose coordinate is a frequency in units of ω₁ (convertible to MHz)
FREQUENCY_AXES = ("Delta_a", "Delta_m", "K", "kappa_a", "kappa_m", "gamma", "chi", "omega2")


def _physical(ds, rec):
    """With ``plot.physical_units``, rescale frequency coordinates to MHz (×ω₁/2π)."""
    if not rec.get("plot", {}).get("physical_units"):
        return ds
    f1 = rec["parameters"]["omega1_MHz"]
    for ax in FREQUENCY_AXES:
        if ax in ds.coords:
            ds = ds.assign_coords({ax: ds[ax] * f1})
            ds[ax].attrs["physical"] = True
    return ds


def _axis_label(name, ds):
    if "parameter_units" in ds.attrs and name in STEADY_LABELS:    # companion-model axis names
        return STEADY_LABELS[name]
    if name in ds.coords and ds[name].attrs.get("physical"):
        return LABELS.get(name, name).replace(r"/\omega_1", "/2\\pi").rstrip("$") + r"$ (MHz)"
    return LABELS.get(name, name)


def plot_figure(params_json: str, stability_json: str, data_dir: str):
    """Draw every panel of a figure from its NetCDF files; return the Figure."""
    with open(params_json) as fh:
        rec = json.load(fh)
    with open(stability_json) as fh:
        stab = json.load(fh)
    panels = rec["panels"]
    total = sum(n_axes(p) for p in panels.values())
    ncols = min(3, total)
    nrows = -(-total // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows), squeeze=False)
    flat = list(axes.ravel())
    for pname, p in panels.items():
        ds = _physical(open_verified(os.path.join(data_dir, f"{pname}.nc"), params_json, pname), rec)
        k = n_axes(p)
        axs, flat = flat[:k], flat[k:]
        DRAW[p["kind"]](axs, ds, p)
        axs[0].set_title(f"({pname}) {p.get('title', '')}".strip(), loc="left", fontsize=10)
    for ax in flat:
        ax.set_visible(False)
    n_pts, n_ok = stab.get("n_points", 0), stab.get("n_certified", 0)
    how = (f"window t/τ ∈ {rec['solver']['window_tau']}" if "window_tau" in rec["solver"]
           else f"model {rec['model']}, steady state")
    fig.suptitle(f"{rec['figure']}: {rec['title']}\nrun {rec['run']}, preset {rec['preset']}, "
                 f"{how}, {n_ok}/{n_pts} points certified", fontsize=10)
    for ax in fig.axes:
        for name, setter in (("x", ax.set_xscale), ("y", ax.set_yscale)):
            label = getattr(ax, f"get_{name}label")()
            if any(label == LABELS[a] for a in LOG_AXES):
                setter("log")
    fig.tight_layout()
    return fig


def save(fig, pdf: str, png: str) -> None:
    for path in (pdf, png):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(pdf)
    fig.savefig(png, dpi=110)


# ------------------------------------------------------------------------------ panel kinds
def _line(axs, ds, p):
    ax = axs[0]
    x = p["x"]
    xv = ds[x].values
    cert = ds["certified"].values.astype(bool)
    marked = floq_marked = twa_marked = False
    for vi, var in enumerate(p["variables"]):
        for si, s in enumerate(ds.series.values):
            y = ds[var].sel(series=s).values
            ok = cert[si]
            label = (var if len(p["variables"]) > 1 else "") + ("" if s == "default" else f" {s}")
            line, = ax.plot(xv, y, "-", lw=1.2, label=label.strip() or None)
            if var == "S_Q" and "S_Q_min" in ds:
                ax.fill_between(xv, ds["S_Q_min"].sel(series=s).values, ds["S_Q_max"].sel(series=s).values,
                                color=line.get_color(), alpha=0.2, lw=0)
            ax.plot(xv[ok], y[ok], "o", ms=3, color=line.get_color())
            if f"{var}_twa" in ds:
                ax.errorbar(xv, ds[f"{var}_twa"].sel(series=s).values, yerr=ds[f"{var}_twa_err"].sel(series=s).values,
                            fmt="s", ms=3.5, mfc="none", color=line.get_color(), capsize=2, lw=0.8,
                            label=None if twa_marked else "truncated Wigner (±1σ)")
                twa_marked = True
            if var == "S_Q" and "S_Q_floquet" in ds:
                yf = ds["S_Q_floquet"].sel(series=s).values
                if np.isfinite(yf).any():
                    ax.plot(xv, yf, ":", lw=1.0, color=line.get_color(),
                            label=None if floq_marked else "Floquet long-time limit")
                    floq_marked = True
            if (~ok).any():
                # points without a value (no stable steady state) are marked on the zero line
                ax.plot(xv[~ok], np.nan_to_num(y[~ok], nan=0.0), **UNCERT,
                        label=None if marked else "not certified")
                marked = True
    ax.set_xlabel(_axis_label(x, ds))
    ax.set_ylabel(", ".join(LABELS.get(v, v) for v in p["variables"]))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _edges(c):
    c = np.asarray(c, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[:-1] + c[1:]) / 2
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def _map_one(ax, ds, x, y, values, cert, label, fig_cbar=True, cmap="viridis"):
    xe, ye = _edges(ds[x].values), _edges(ds[y].values)
    lim = {}
    if cmap == "coolwarm" and np.isfinite(values).any():     # diverging: white at zero
        v = float(np.nanmax(np.abs(values))) or 1.0
        lim = dict(vmin=-v, vmax=v)
    m = ax.pcolormesh(xe, ye, values.T, cmap=cmap, shading="flat", **lim)
    plt.colorbar(m, ax=ax, label=label)
    for i in range(len(xe) - 1):
        for j in range(len(ye) - 1):
            if not cert[i, j]:
                ax.add_patch(Rectangle((xe[i], ye[j]), xe[i + 1] - xe[i], ye[j + 1] - ye[j], **HATCH))
    if (~cert).any():
        ax.legend(handles=[Patch(**HATCH, label="not certified")], fontsize=7, loc="upper right")
    ax.set_xlabel(_axis_label(x, ds))
    ax.set_ylabel(_axis_label(y, ds))


def _map(axs, ds, p):
    x, y = p["x"], p["y"]
    d = ds.isel(series=0).transpose(x, y, ...)
    cert = d["certified"].values.astype(bool)
    for ax, var in zip(axs, p["variables"]):
        if var in ("Theta5", "Theta6", "Delta_E_N"):
            ok = d["certified_both"].values.astype(bool) if var == "Delta_E_N" else cert
            _map_one(ax, ds, x, y, d[var].values, ok, LABELS[var], cmap="coolwarm")
        elif var == "theta":
            _map_one(ax, ds, x, y, d["theta"].sel(k=2).values, cert, r"$\theta_2$ at the fixed point",
                     cmap="coolwarm")
        elif var == "verdict":
            _verdict_map(ax, ds, x, y, d["verdict"].values)
        else:
            _map_one(ax, ds, x, y, d[var].values, cert, LABELS.get(var, var))


def _verdict_map(ax, ds, x, y, verdict):
    from .stability import VERDICTS
    codes = np.vectorize(lambda v: VERDICTS.index(v) if v in VERDICTS else -1)(verdict)
    xe, ye = _edges(ds[x].values), _edges(ds[y].values)
    cmap = matplotlib.colors.ListedColormap(["#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#e6ab02", "#666666"])
    ax.pcolormesh(xe, ye, codes.T, cmap=cmap, vmin=-0.5, vmax=len(VERDICTS) - 0.5, shading="flat")
    present = sorted(set(codes.ravel().tolist()) - {-1})
    ax.legend(handles=[Patch(color=cmap(c), label=VERDICTS[c]) for c in present], fontsize=6)
    ax.set_xlabel(_axis_label(x, ds))
    ax.set_ylabel(_axis_label(y, ds))
    ax.set_title("stability verdict", fontsize=9, loc="right")


def _trace(axs, ds, p):
    vars_ = p["variables"]
    if "X_b" in vars_:
        for s in ds.series.values:
            d = ds.sel(series=s)
            tag = _verdict_tag(d)
            ls = "-" if bool(d["certified"]) else "--"
            for j in (1, 2):
                axs[0].plot(ds.t, d[f"X_b{j}"], ls, lw=0.8, label=f"⟨X_b{j}⟩ {s}{tag}")
                axs[1].plot(ds.t, d[f"Y_b{j}"], ls, lw=0.8, label=f"⟨Y_b{j}⟩ {s}{tag}")
                axs[2].plot(d[f"X_b{j}"], d[f"Y_b{j}"], ls, lw=0.6, label=f"j = {j}")
        axs[0].set_ylabel(r"$\langle X_{bj}\rangle$")
        axs[1].set_ylabel(r"$\langle Y_{bj}\rangle$")
        axs[2].set_xlabel(r"$\langle X_{bj}\rangle$")
        axs[2].set_ylabel(r"$\langle Y_{bj}\rangle$")
        for ax in axs[:2]:
            ax.set_xlabel(LABELS["t"])
        for ax in axs:
            ax.legend(fontsize=6)
        return
    ax = axs[0]
    var = "S_C_t" if "S_C_t" in vars_ else "S_Q_t"
    for s in ds.series.values:
        d = ds.sel(series=s)
        ls = "-" if bool(d["certified"]) else "--"
        line, = ax.plot(ds.t, d[var], ls, lw=0.8, label=f"{s}{_verdict_tag(d)}")
        if f"{var}_twa" in d:
            ax.plot(ds.t, d[f"{var}_twa"], ":", lw=1.0, color=line.get_color(), label=f"{s}, truncated Wigner")
    lo, hi = json.loads(ds.attrs["window_tau"])
    ax.axvspan(lo, hi, color="grey", alpha=0.15, lw=0, label="averaging window")
    ax.set_xlabel(LABELS["t"])
    ax.set_ylabel(LABELS.get(var[:-2], var))
    ax.legend(fontsize=7)


def _verdict_tag(d):
    v = str(d["verdict"].values)
    return "" if bool(d["certified"]) else f" (not certified: {v})"


def _sagnac(axs, ds, p):
    """Sagnac–Fizeau shift versus Ω per input direction: σ_a (Lai) or Δ_F (Jiao 2020)."""
    ax = axs[0]
    x = p["x"]
    var = "sigma_a" if "sigma_a" in ds else "Delta_F_MHz"
    for s in ds.series.values:
        ax.plot(ds[x], ds[var].sel(series=s), label=f"{s} input")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(_axis_label(x, ds))
    ax.set_ylabel(LABELS[var])
    ax.legend(fontsize=7)


def _revival(axs, ds, p):
    x, y = p["x"], p["y"]
    d = ds.isel(series=0).transpose(x, y, ...)
    cert = d["revival_certified_fraction"].values >= 1.0
    _map_one(axs[0], ds, x, y, d["revival"].values, cert, LABELS["revival"], cmap="magma")


def _table(axs, ds, p):
    ax = axs[0]
    ax.axis("off")
    r = ds.squeeze()
    ax.text(0, 1, "\n".join(f"{k} = {float(r[k]):.4g}" for k in ("S_Q", "N_a", "N_m", "G_a", "G_m"))
            + f"\nverdict: {r.verdict.values}", va="top", family="monospace")


#: quadrature pairs of the two mechanical modes shown as Wigner projections (Jiao 2022 Fig. 4)
WIGNER_PAIRS = ((0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2))


def _wigner(axs, ds, p):
    """1/e contours of the 2-D marginals of W(ψ) (eq. 23): ψᵀΣ⁻¹ψ = 2 for the marginal
    covariance Σ; vacuum (Σ = I/2) dashed."""
    names = [str(v) for v in ds["mrow"].values]
    t = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(t), np.sin(t)])
    for ax, (i, j) in zip(axs, WIGNER_PAIRS):
        for s, ls in zip(ds.series.values, ("-", "-.", ":")):
            V = ds["V_mech"].sel(series=s).values
            S = V[np.ix_([i, j], [i, j])]
            if not np.isfinite(S).all():
                continue
            w, U = np.linalg.eigh(S)
            pts = U @ (np.sqrt(2 * w)[:, None] * circle)
            ax.plot(pts[0], pts[1], ls, label=f"{s} input{_verdict_tag(ds.sel(series=s))}")
        ax.plot(circle[0], circle[1], "k--", lw=0.8, label="vacuum")
        ax.set_aspect("equal")
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
        ax.legend(fontsize=6)
    for ax, s in zip(axs[len(WIGNER_PAIRS):], ds.series.values):
        V = ds["V_mech"].sel(series=s).values
        m = ax.imshow(V, cmap="coolwarm", vmin=-np.nanmax(np.abs(V)), vmax=np.nanmax(np.abs(V)))
        for a in range(V.shape[0]):
            for b in range(V.shape[1]):
                ax.text(b, a, f"{V[a, b]:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(names)), names)
        ax.set_yticks(range(len(names)), names)
        ax.set_title(f"V_μν, {s} input", fontsize=9)
        plt.colorbar(m, ax=ax)


DRAW = {"fizeau": _sagnac, "wigner": _wigner, "line": _line, "map": _map, "trace": _trace, "sagnac": _sagnac, "revival": _revival,
        "table": _table}
