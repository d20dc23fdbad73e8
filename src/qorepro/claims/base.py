"""Claims audit, the shared part: verdicts, the data view an evaluator reads, helpers.

(The evaluators live by paper in :mod:`qorepro.claims.lai2025` and
:mod:`qorepro.claims.jiao`; :mod:`qorepro.claims.decide` turns their answers into verdicts.)

Each checkable statement of the paper becomes a machine verdict.

A claim (``config/claims.yaml``) names an evaluator, the panel datasets it reads
(``figure/panel`` → ``results/<run>/data/<figure>/<panel>.nc``) and its thresholds.  An
evaluator reads only those NetCDF datasets and returns whether the claim holds (``True``,
``False``, or ``None`` when there is nothing to decide on) with the measured numbers.

Certification.  For claims about dynamics every evaluator is run twice: on all points, and
with non-certified points masked out (set to NaN).  The verdict is

* ``inconclusive`` when the certified points alone cannot decide, or when the decision on
  all points differs from the decision on the certified points (it hinges on points whose
  stability or linearisation is not certified);
* otherwise ``reproduced`` / ``not_reproduced``.

Best valid method (runs with the truncated-Wigner ensemble, ``S_Q_twa`` …, :mod:`qorepro.twa`).
The headline ``verdict`` decides every point by the best method valid there: the Gaussian value
where the point is certified, the TWA value where TWA ran, its certificate passes
(``twa_questionable`` false) and its sequential rule decided (``twa_decided``), and nothing
elsewhere (:class:`Data` with ``beyond=True``); it is ``inconclusive`` when those points cannot
decide or when filling the points neither method decides with their raw Gaussian values changes
the decision — the note then lists those points with both reasons.  ``verdict_gaussian`` (strict
Gaussian, certified points only) and ``verdict_dynamics_only`` stay beside it; ``decided_by``
names the methods, their point counts and the ensemble sizes M.  Without TWA values the headline
verdict is the strict Gaussian one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

VERDICTS = ("reproduced", "not_reproduced", "inconclusive")


@dataclass
class ClaimResult:
    id: str
    verdict: str
    measured: dict = field(default_factory=dict)
    note: str = ""
    #: the verdict when only dynamical stability is required (linearisation check ignored)
    verdict_dynamics_only: str = ""
    #: the strict-Gaussian verdict (certified points only); ``verdict`` is the best-method one
    verdict_gaussian: str = ""
    #: which methods' values decided ``verdict`` (point counts, ensemble sizes M)
    decided_by: str = ""


#: variables with a truncated-Wigner counterpart ``<name>_twa``
TWA_VARIABLES = ("S_Q", "S_C", "S_Q_t", "S_C_t")


def twa_valid(ds) -> xr.DataArray:
    """Where a dataset's TWA value may decide: the ensemble ran (finite S_Q_twa), its sequential
    rule decided (``twa_decided``; datasets before the adaptive ensemble: always) and its
    certificate passes (``twa_questionable`` false; before the certificate: always)."""
    ok = np.isfinite(ds["S_Q_twa"])
    if "twa_decided" in ds:
        ok = ok & ds["twa_decided"].astype(bool)
    if "twa_questionable" in ds:
        ok = ok & ~ds["twa_questionable"].astype(bool)
    return ok


def best_method(ds) -> xr.DataArray:
    """Per point: 0 = neither method decides, 1 = Gaussian (certified), 2 = TWA (not certified,
    valid TWA value)."""
    cert = ds["certified"].astype(bool)
    twa = twa_valid(ds) if "S_Q_twa" in ds else xr.zeros_like(cert)
    return xr.where(cert, 1, xr.where(twa, 2, 0))


class Data:
    """The datasets of one claim, with points failing ``mask_var`` optionally set to NaN.

    ``mask_var`` is ``certified`` (strict: stable and linearisation valid) or
    ``dynamically_stable`` (stable fixed point / limit cycle, linearisation not checked).
    With ``beyond`` (datasets with TWA values): S_Q, S_C and their traces are the best valid
    method's values (:func:`best_method`: Gaussian where certified, TWA where valid, NaN where
    neither); other variables are masked by ``dynamically_stable``.  With ``fill`` as well, the
    points neither method decides keep their raw Gaussian values (nothing masked): the
    "all points" decision the best-method one is compared with.
    """

    def __init__(self, datasets: Mapping[str, xr.Dataset], masked: bool, mask_var: str = "certified",
                 beyond: bool = False, fill: bool = False):
        self.ds = datasets
        self.masked = (masked or beyond) and not fill
        self.mask_var = "dynamically_stable" if beyond else mask_var
        self.beyond = beyond

    def _accepted(self, ds) -> xr.DataArray:
        if self.beyond and "S_Q_twa" in ds:
            return best_method(ds) > 0
        return ds[self.mask_var].astype(bool)

    def ok(self, key: str, **sel) -> bool:
        """Whether the (single) point selected is accepted under the mask."""
        if not self.masked:
            return True
        ok = self._accepted(self.ds[key])
        return bool(ok.sel(**sel) if sel else ok)

    def _use_twa(self, ds) -> xr.DataArray:
        return best_method(ds) == 2

    def get(self, key: str, var: str = "S_Q", **sel) -> xr.DataArray:
        ds = self.ds[key]
        da = ds[var]
        if self.beyond and var in TWA_VARIABLES and f"{var}_twa" in ds:
            best = best_method(ds)
            out = xr.where(best == 2, ds[f"{var}_twa"], da)
            if self.masked:
                out = out.where(best > 0)
            da = out.assign_attrs(da.attrs)
        elif self.masked and self.mask_var in ds and var not in ("verdict", "certified", "dynamically_stable"):
            cert = ds[self.mask_var].astype(bool)     # beyond: dynamically_stable (mean-field quantities)
            da = da.where(cert) if set(cert.dims) <= set(da.dims) else da
        return da.sel(**sel) if sel else da

    def err(self, key: str, var: str = "S_Q", **sel) -> xr.DataArray:
        """The statistical error (one standard error) of what :meth:`get` returns: 0 for the
        deterministic Gaussian values, ``<var>_twa_err`` where the TWA value is used."""
        ds = self.ds[key]
        zero = xr.zeros_like(ds[var], dtype=float)
        if self.beyond and f"{var}_twa_err" in ds:
            zero = xr.where(self._use_twa(ds), ds[f"{var}_twa_err"], zero)
        return zero.sel(**sel) if sel else zero

    def mixed(self, key: str, **sel) -> xr.DataArray:
        """Where :meth:`get` uses a TWA value whose ensemble is split between attractors (more
        than one class of the census populated).  There the ensemble S_Q hinges on the count
        of the rare class (a handful of trajectories in M), a Poisson fluctuation the error of
        one sample does not bound — two samples of the same equations can differ by more than
        their error bars."""
        ds = self.ds[key]
        out = xr.zeros_like(ds["S_Q"], dtype=bool)
        if self.beyond and "census_twa" in ds:
            split = (ds["census_twa"] > 0).sum("attractor") > 1
            out = split & self._use_twa(ds)
        return out.sel(**sel) if sel else out

    def coord(self, key: str, name: str) -> np.ndarray:
        return self.ds[key][name].values


# ----------------------------------------------------------------------------- helpers
def _all_below(values, thr):
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return None if v.size == 0 else bool(np.all(v < thr))


def _all_at_least(values, thr):
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return None if v.size == 0 else bool(np.all(v >= thr))


def _both(*flags):
    """AND of flags where None (undecidable) propagates."""
    if any(f is None for f in flags):
        return None
    return all(flags)


def _nanmax(a):
    a = np.asarray(a, dtype=float)
    return float(np.nanmax(a)) if np.isfinite(a).any() else float("nan")


def _argmax_coord(da, dim):
    v = da.values.astype(float)
    if not np.isfinite(v).any():
        return float("nan")
    return float(da[dim].values[int(np.nanargmax(v))])


def _nearest(da, dim, value):
    return da.sel({dim: value}, method="nearest")


def _r(x, n=4):
    try:
        return float(f"{float(x):.{n}g}")
    except (TypeError, ValueError):
        return x


