"""Every registered model satisfies the one model protocol (qorepro.models.base), with the
same attribute names, shapes and array layout, and its drift is the Jacobian of its equations."""
import dataclasses

import jax
import numpy as np
import pytest

from qorepro import gaussian
from qorepro.models import MODELS
from qorepro.models.base import Axis, Model, Variable, check

ALL = sorted(MODELS)


@pytest.mark.parametrize("name", ALL)
def test_model_satisfies_the_protocol(name):
    m = MODELS[name]
    assert m.name == name
    assert isinstance(m, Model)
    assert check(m) == []
    assert all(isinstance(a, Axis) for a in m.axes.values())
    assert all(isinstance(v, Variable) for v in m.variables.values())
    # parameters: one frozen dataclass type with the paper's defaults, replace() checks names
    p = m.Params()
    assert dataclasses.is_dataclass(p) and p == m.defaults
    field = dataclasses.fields(p)[0].name
    assert getattr(p.replace(**{field: 2.5}), field) == 2.5
    with pytest.raises(KeyError):
        p.replace(no_such_parameter=1.0)
    # every axis and the default variable have plot text
    assert m.default_variable in m.labels


def test_check_reports_what_a_model_lacks():
    class Broken:
        name = "broken"
    assert check(Broken())


def _points(m, n=3):
    """A batch of n parameter points: the defaults with the first numeric axis spread ±10 %."""
    axis = next(a for a in m.axes.values() if not a.named_values)
    base = np.asarray(getattr(m.defaults, axis.fields[0]), dtype=float)
    vals = base * np.linspace(0.9, 1.1, n) + (0.1 * np.arange(n) if base == 0 else 0.0)
    return m.defaults.replace(**{f: vals for f in axis.fields})


def _states(m, c, n):
    """States to differentiate at: the steady state where the model has one, else a
    deterministic spread of amplitudes of order one."""
    if m.kind == "steady_state":
        return np.asarray(m.steady_state(c))
    rng = np.random.default_rng(3)
    return rng.normal(scale=2.0, size=(2 * m.n_modes, n))


@pytest.mark.parametrize("name", ALL)
def test_batch_last_layout_and_ad_drift_equals_finite_differences(name):
    """Batch last in the equations (x (d, N) → f (d, N), Q (d, d, N)); the AD drift
    (batch first, (N, d, d)) equals central differences of mean_field_rhs point by point (the
    equations are at most quadratic along any coordinate, so the quotient is exact up to
    rounding)."""
    m = MODELS[name]
    n, d = 3, 2 * MODELS[name].n_modes
    c = m.coefficients(_points(m, n))
    x = _states(m, c, n)
    assert x.shape == (d, n)
    assert np.asarray(m.mean_field_rhs(x, c)).shape == (d, n)
    assert np.asarray(m.diffusion_matrix(c)).shape == (d, d, n)
    A = gaussian.drift_matrix(m, x, c)
    assert A.shape == (n, d, d)
    for i in range(n):
        ci = jax.tree_util.tree_map(lambda v, i=i: np.asarray(v)[i], c)
        step = 1e-3 * max(1.0, np.abs(x[:, i]).max())
        fd = np.stack([(np.asarray(m.mean_field_rhs(x[:, i] + step * e, ci))
                        - np.asarray(m.mean_field_rhs(x[:, i] - step * e, ci))) / (2 * step)
                       for e in np.eye(d)], axis=1)
        assert np.allclose(A[i], fd, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(A[i]).max())), name


@pytest.mark.parametrize("name", [n for n in ALL if MODELS[n].kind == "steady_state"])
def test_steady_state_solve_takes_a_params_record_or_a_mapping(name):
    m = MODELS[name]
    axis = next(a for a in m.axes.values() if not a.named_values)
    vals = np.linspace(0.8, 1.2, 3) * float(getattr(m.defaults, axis.fields[0]))
    a = m.solve(m.Params().replace(**{axis.fields[0]: vals}))
    b = m.solve({axis.fields[0]: vals})
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a)
    assert a[m.default_variable].shape == (3,)
