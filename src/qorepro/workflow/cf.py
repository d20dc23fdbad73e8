"""CF-1.10 conformance of the panel files, applied in one place: :func:`conform` before a
panel is stamped (so the data checksums cover what is written) and :func:`encoding` when it
is written.

The engines label quantities with the pipeline's own unit names — rates in units of ω₁ (the
first mechanical angular frequency) or ω_m, times in τ = 2π/ω₁, squeezing in dB.  UDUNITS
cannot parse these, so a file states ``units = "1"`` and keeps the scale in the attribute
``units_scale`` (the pipeline's unit name) and at the end of ``long_name`` (in words).  Physical
units are translated to their UDUNITS spelling.  Integers are stored as int32, coordinate
variables without ``_FillValue``, string coordinates as character arrays, and every variable
has a ``long_name`` (the ``verdict`` one lists every verdict of :data:`qorepro.settings.VERDICTS`).
"""
from __future__ import annotations

import numpy as np

from ..settings import VERDICTS

#: pipeline unit name → what one unit is (the file gets units "1" and this at its long_name's end)
SCALED_UNITS = {
    "omega1": "in units of ω₁, the angular frequency of mechanical mode 1 (ω₁/2π = parameters.omega1_MHz MHz)",
    "omega_m": "in units of the mechanical angular frequency ω_m",
    "omega_m_l": "in units of the left mechanical angular frequency ω_m,l",
    "tau": "in units of τ = 2π/ω₁",
    "dB": "in decibels (10 log10 of a variance ratio)",
}
#: pipeline unit name → UDUNITS spelling
PHYSICAL_UNITS = {
    "kHz (1e3 rad/s)": "1e3 rad/s",
    "MHz (1e6 rad/s)": "1e6 rad/s",
    "µm": "um",
}
#: units that UDUNITS parses as they are
UDUNITS_AS_IS = {"1", "rad", "mK", "mW", "ng", "mm", "um", "1e3 rad/s", "1e6 rad/s"}
#: long names of the index coordinates that some engines leave unnamed
INDEX_LONG_NAMES = {
    "k": "index k (order of the Hurwitz determinant θ_k; Floquet multiplier number, trivial first)",
    "row": "quadrature (row of the covariance matrix)",
    "col": "quadrature (column of the covariance matrix)",
    "mrow": "quadrature of the reduced mechanical covariance (row)",
    "mcol": "quadrature of the reduced mechanical covariance (column)",
    "series": "case",
}
VERDICT_LONG_NAME = "stability verdict, one of: " + ", ".join(VERDICTS)


class CFError(ValueError):
    """A variable the CF translation does not know how to describe."""


def conform(ds):
    """Make ``ds`` CF-1.10 conformant in place (units, long names, integer widths); returns it.

    Raises :class:`CFError` for a unit with no translation or a variable without a long name
    that is not an index coordinate (an engine change that would write a non-compliant file).
    """
    for name in list(ds.variables):
        var = ds[name]
        attrs = dict(var.attrs)
        if "long_name" not in attrs:
            if name not in INDEX_LONG_NAMES:
                raise CFError(f"variable {name!r} has no long_name")
            attrs["long_name"] = INDEX_LONG_NAMES[name]
        if name == "verdict":
            attrs["long_name"] = VERDICT_LONG_NAME
        units = attrs.get("units")
        if units is not None and "units_scale" not in attrs:
            if units == "":
                del attrs["units"]
            elif units in SCALED_UNITS:
                attrs.update(units="1", units_scale=units,
                             long_name=f"{attrs['long_name']}, {SCALED_UNITS[units]}")
            elif units in PHYSICAL_UNITS:
                attrs["units"] = PHYSICAL_UNITS[units]
            elif units not in UDUNITS_AS_IS:
                raise CFError(f"variable {name!r}: unit {units!r} has no UDUNITS translation "
                              "(add it to qorepro.workflow.cf)")
        values = var.values
        if values.dtype.kind in "iu" and values.dtype.itemsize > 4:
            if values.size and (values.min() < np.iinfo(np.int32).min or values.max() > np.iinfo(np.int32).max):
                raise CFError(f"variable {name!r}: integers beyond int32")
            if name in ds.coords:
                ds.coords[name] = (var.dims, values.astype(np.int32), attrs)
            else:
                ds[name] = (var.dims, values.astype(np.int32), attrs)
        else:
            ds[name].attrs = attrs
    return ds


def encoding(ds) -> dict:
    """Per-variable encoding for ``to_netcdf``: no ``_FillValue`` on coordinates, and string
    coordinates as character arrays (a string coordinate variable is not a CF coordinate;
    as characters it is a label variable that CF tools read as such)."""
    enc = {}
    for name in ds.coords:
        e = {"_FillValue": None}
        if ds[name].dtype.kind in "UO":
            e["dtype"] = "S1"
        enc[name] = e
    return enc
