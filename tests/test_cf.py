"""Every panel file of the tiny run passes the CF-1.10 suite of IOOS compliance-checker with no
errors (and the checker runs through: no check crashes on a variable), and the conformance
rules hold that the checker does not see (int32, the verdict list)."""
import glob

import numpy as np
import pytest
import xarray as xr

from qorepro.settings import VERDICTS
from qorepro.workflow import cf

CHECKER = "cf:1.10"


def cf_errors(path: str) -> list[str]:
    """Error-level (high-priority) failures and checker exceptions for one file."""
    from compliance_checker.suite import CheckSuite

    CheckSuite.load_all_available_checkers()
    cs = CheckSuite()
    ds = cs.load_dataset(path)
    try:
        groups, errors = cs.run_all(ds, [CHECKER])[CHECKER]
    finally:
        ds.close()
    out = [m for r in groups if r.weight == 3 and r.value and r.value[1] and r.value[0] < r.value[1] for m in r.msgs]
    return out + [f"checker crashed in {k}: {e[0]}" for k, e in errors.items()]


@pytest.fixture(scope="module")
def panel_files(tiny_project):
    files = sorted(glob.glob(str(tiny_project / "results" / "test-tiny" / "data" / "*" / "*.nc")))
    assert len(files) > 70, "every figure of the tiny run (Lai and Jiao) has its panels"
    return files


def test_every_panel_file_passes_the_cf_checker(panel_files):
    failures = {p: e for p in panel_files if (e := cf_errors(p))}
    assert not failures, "\n".join(f"{p}: {e}" for p, e in failures.items())


def test_the_checker_finds_what_the_pipeline_used_to_write(tmp_path):
    """The test can fail: a file with the old units, a coordinate _FillValue and a string
    coordinate variable is reported."""
    ds = xr.Dataset({"G_a": (("K",), [0.1, 0.2], {"units": "omega1", "long_name": "G_a"})},
                    coords={"K": ("K", [-1e-5, 1e-5], {"units": "omega1", "long_name": "Kerr"})})
    ds.attrs["Conventions"] = "CF-1.10"
    path = str(tmp_path / "old.nc")
    ds.to_netcdf(path)
    errors = " ".join(cf_errors(path))
    assert "omega1" in errors and "_FillValue" in errors


def test_conformance_rules_beyond_the_checker(panel_files):
    for path in panel_files:
        with xr.open_dataset(path) as ds:
            for name, var in ds.variables.items():
                assert "long_name" in var.attrs, (path, name)
                assert var.dtype != np.int64, (path, name)
                if var.attrs.get("units") == "1" and "units_scale" in var.attrs:
                    assert var.attrs["units_scale"] in cf.SCALED_UNITS
            if "verdict" in ds:
                assert all(v in ds.verdict.attrs["long_name"] for v in VERDICTS), path


def test_unknown_unit_is_refused():
    ds = xr.Dataset({"x": (("a",), [1.0], {"units": "furlongs per fortnight", "long_name": "x"})})
    with pytest.raises(cf.CFError, match="furlongs"):
        cf.conform(ds)
