"""Table I of the SI as CSV and Markdown, from the same configuration the sweeps use.

The simulation column is the run's resolved base parameter set (so an overlay that changes
a parameter changes the table); the experimental column is quoted from the SI (config key
``table1.experimental``).  Derived values at the baseline point are computed: Λ, σ_a at the
Fig. 1 spinning speed, N_a, N_m, G_a, G_m (late-window means) and the point's verdict.
"""
from __future__ import annotations

import csv
import json

from .. import units
from ..io import atomic_path, write_text
from .provenance import open_verified
from .record import FigureSpec

ROWS = [
    ("omega2", "ω₂/ω₁", "second mechanical frequency"),
    ("Delta_a", "Δ_a/ω₁", "optical detuning"),
    ("Delta_m", "Δ_m/ω₁", "magnon detuning"),
    ("K", "K/ω₁", "magnon-Kerr coefficient"),
    ("kappa_a", "κ_a/ω₁", "optical decay rate"),
    ("kappa_m", "κ_m/ω₁", "magnon decay rate"),
    ("gamma1", "γ_j/ω₁", "mechanical damping"),
    ("g_a", "g_a/ω₁", "single-photon coupling"),
    ("g_m", "g_m/ω₁", "single-magnon coupling"),
    ("chi", "χ/ω₁", "phonon–phonon coupling"),
    ("xi_a", "ξ_a/ω₁", "optical drive"),
    ("xi_m", "ξ_m/ω₁", "microwave drive"),
    ("n1", "n̄_j", "thermal phonon number"),
    ("Omega_kHz", "Ω (10³ rad/s)", "spinning speed (Fig. 1 uses 6)"),
]


def build_table(spec: FigureSpec, baseline_nc: str, experimental: dict, sagnac_kHz: float) -> list[dict]:
    """The rows of Table I: ``spec``'s parameters (the run's table1 record), the experimental
    column, and the values derived at the baseline point (its panel file, verified against ``spec``)."""
    p = spec.parameters
    rows = []
    for key, sym, meaning in ROWS:
        rows.append({"symbol": sym, "quantity": meaning, "simulation": p[key],
                     "experimental": experimental.get(key, "not shown"), "kind": "parameter"})
    rows.append({"symbol": "ω₁/2π", "quantity": "reference frequency (MHz)",
                 "simulation": p["omega1_MHz"],
                 "experimental": experimental.get("omega1_MHz", "not shown"), "kind": "parameter"})
    rows.append({"symbol": "r", "quantity": "silica sphere radius (mm)", "simulation": p["radius_mm"],
                 "experimental": experimental.get("radius_mm", "not shown"), "kind": "parameter"})
    geo = dict(radius_m=p["radius_mm"] * units.MM)
    ds = open_verified(baseline_nc, spec, "baseline")
    r = ds.squeeze()
    derived = [
        ("Λ", "Sagnac factor ζ r ω_c (1 − ζ⁻²)/c", float(units.sagnac_factor(**geo))),
        ("σ_a/ω₁", f"Sagnac–Fizeau shift at Ω = {sagnac_kHz:g}×10³ rad/s, left input",
         float(units.sagnac_shift(sagnac_kHz, 1, omega1_rad_s=2e6 * 3.141592653589793 * p["omega1_MHz"],
                                  **geo))),
        ("N_a", "mean photon number (window mean)", float(r.N_a)),
        ("N_m", "mean magnon number (window mean)", float(r.N_m)),
        ("G_a/ω₁", "g_a√N_a (window mean; Table I: simulation 0–0.2, experiment 0–0.1)", float(r.G_a)),
        ("G_m/ω₁", "g_m√N_m (window mean; Table I: simulation 0–0.2, experiment 0–0.1)", float(r.G_m)),
        ("S_Q", "window-mean S_Q at the baseline point", float(r.S_Q)),
        ("verdict", "stability verdict of the baseline point", str(r.verdict.values)),
    ]
    for sym, meaning, val in derived:
        rows.append({"symbol": sym, "quantity": meaning, "simulation": val, "experimental": "",
                     "kind": "derived"})
    return rows


def write_table(rows: list[dict], csv_path: str, md_path: str, spec: FigureSpec) -> None:
    """Write the rows as CSV and as Markdown (headed by ``spec``'s run, preset and code version)."""
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["kind", "symbol", "quantity", "simulation", "experimental"])
        w.writeheader()
        w.writerows(rows)
    fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else str(v)
    lines = [f"# Table I (run `{spec.run}`, preset `{spec.preset}`, {spec.code_version})", "",
             "| kind | symbol | quantity | simulation (this run) | experimental (SI Table I) |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['symbol']} | {r['quantity']} | {fmt(r['simulation'])} | "
                     f"{fmt(r['experimental'])} |")
    lines += ["", "Derived values are computed by the engine at the baseline point "
              f"(window t/τ ∈ {json.dumps(spec.solver['window_tau'])})."]
    write_text(md_path, "\n".join(lines) + "\n")
