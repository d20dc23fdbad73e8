"""Sweep API: named dimensions, documented variables and provenance, NetCDF round trip."""
import json

import numpy as np
import pytest
import xarray as xr

from qorepro import solver, sweep

TINY = solver.SolverSettings(t_end_tau=6, window_tau=(4, 6), samples_per_tau=16, steps_per_tau=32)


def test_sweep_dataset_shape_and_provenance(tmp_path):
    ds = sweep.sweep({"K": [-2e-5, 2e-5], "direction": ["left", "right"]}, settings=TINY,
                     traces=True, batch_size=3)
    assert ds.S_Q.dims == ("K", "direction")
    assert list(ds.direction.values) == ["left", "right"]
    for v in ("S_Q", "S_Q_min", "S_Q_max", "S_C", "E_N", "G_a", "G_m", "N_a", "N_m", "verdict",
              "squeezing_dB", "theta", "floquet_abs", "linearization_ratio"):
        assert v in ds and "long_name" in ds[v].attrs
    assert ds.S_Q_t.dims == ("K", "direction", "t") and ds.t.attrs["units"] == "tau"
    assert ds.K.attrs["units"] == "omega1"
    assert json.loads(ds.attrs["solver_settings"])["t_end_tau"] == 6
    assert json.loads(ds.attrs["base_parameters"])["kappa_a"] == 0.15
    # σ_a = 0 at Ω = 0 for both directions; min ≤ mean ≤ max
    assert np.all(ds.sigma_a == 0)
    assert np.all((ds.S_Q_min <= ds.S_Q) & (ds.S_Q <= ds.S_Q_max))
    path = tmp_path / "x.nc"
    ds.to_netcdf(path)
    back = xr.load_dataset(path)
    np.testing.assert_array_equal(back.verdict.values, ds.verdict.values)
    np.testing.assert_allclose(back.S_Q.values, ds.S_Q.values)


def test_sweep_axes_set_parameters():
    ds = sweep.sweep({"Omega": [0.0, 6.0], "direction": ["left", "right"]}, settings=TINY)
    s = ds.sigma_a
    assert float(s.sel(Omega=6.0, direction="left")) == pytest.approx(-float(s.sel(Omega=6.0, direction="right")))
    assert float(s.sel(Omega=6.0, direction="left")) > 0


def test_unknown_axis_and_bad_values_are_rejected():
    with pytest.raises(KeyError, match="unknown sweep axis"):
        sweep.sweep({"kappa": [0.1]}, settings=TINY)
    with pytest.raises(ValueError, match="direction"):
        sweep.sweep({"direction": ["up"]}, settings=TINY)
