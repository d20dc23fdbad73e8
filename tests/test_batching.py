"""Compiled shapes: the batch buckets, the padding, and one recording program per run.

The persistent compilation cache reuses a program only for the same shapes and static
arguments; these tests pin the properties the sweep jobs' compile budget rests on
(``benchmarks/results/compile_cache.md``)."""
import numpy as np
import pytest

from qorepro import batching, solver
from qorepro.models import lai2025 as L

SHORT = solver.SolverSettings(t_end_tau=6, window_tau=(4, 6), samples_per_tau=8)


@pytest.mark.parametrize("n, floor, expected", [(1, 64, 64), (64, 64, 64), (65, 64, 256), (257, 64, 1024),
                                                (1, 1, 1), (2, 1, 4), (5, 1, 16), (3, 1024, 1024)])
def test_bucket_is_the_floor_times_the_next_power_of_four(n, floor, expected):
    assert batching.bucket(n, floor) == expected


def test_cpu_bucket_floor_is_the_cpu_batch_size():
    # a figure of 1–3 points and a full batch of 64 run the same compiled programs
    assert {batching.bucket(n) for n in (1, 3, 17, 64)} == {batching.CPU_FLOOR}


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 300])
def test_blocks_cover_the_points_once_in_cpu_buckets(n):
    sl = batching.blocks(n)
    idx = np.concatenate([np.arange(n)[s] for s in sl]) if sl else np.zeros(0, int)
    np.testing.assert_array_equal(idx, np.arange(n))
    assert all(0 < s.stop - s.start <= batching.CPU_FLOOR for s in sl)
    assert len(batching.blocks(n, size=1000)) == (1 if n else 0)


def test_period_flow_in_blocks_keeps_every_point_and_its_order():
    """A batch above one CPU bucket runs in blocks: each point's monodromy and end state are
    those of the point run alone, in the input order, in both blocks."""
    from qorepro import stability
    n = batching.CPU_FLOOR + 3
    assert len(batching.blocks(n)) == 2
    c = L.coefficients(L.LaiParams(K=np.linspace(-5e-5, 5e-5, n)))
    x0 = np.full((8, n), 1.0)
    x0[4] = np.linspace(50, 300, n)
    T = np.linspace(0.9, 1.1, n)
    Phi, _, xT = stability.period_flow(L.MODEL, c, x0, None, T, steps=32, covariance=False)
    for i in (0, 40, n - 2, n - 1):
        one = L.Coefficients(*(np.asarray(v)[i:i + 1] for v in c))
        Phi1, _, xT1 = stability.period_flow(L.MODEL, one, x0[:, i:i + 1], None, T[i:i + 1], steps=32,
                                             covariance=False)
        np.testing.assert_array_equal(Phi[i], Phi1[0])
        np.testing.assert_array_equal(xT[:, i], xT1[:, 0])


def test_pad_repeats_the_last_point_along_the_batch_axis():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(batching.pad(a, 5), [[0, 1, 2, 2, 2], [3, 4, 5, 5, 5]])
    np.testing.assert_array_equal(batching.pad(a, 4, axis=0)[2:], [[3, 4, 5], [3, 4, 5]])
    assert batching.pad(a, 3) is not None and batching.pad(a, 3).shape == (2, 3)


def _run(traces, chunk_tau, monkeypatch):
    monkeypatch.setattr(solver, "CHUNK_TAU", chunk_tau)
    p = L.LaiParams(K=np.array([-2e-5, 0.0, 3e-5]))
    return solver.integrate(L.MODEL, p, settings=SHORT, traces=traces)


def test_one_recording_program_serves_every_chunk_and_part_of_a_run(monkeypatch):
    """Chunks of any length, before and inside the window, with and without traces: one
    compiled ``record`` and one ``sample`` program (the chunk length is a loop bound, the
    window start an argument), and the chunking does not change a single bit."""
    record, sample = solver._programs(L.MODEL, SHORT.method)[2:]
    before = record._cache_size(), sample._cache_size()
    runs = {(tr, ch): _run(tr, ch, monkeypatch) for tr in (False, True) for ch in (1.0, 1.5, 10.0)}
    # one program per chunk buffer length (the chunk), whatever the remainders and the window
    # (static chunk lengths and window flags compiled 10 record and 2 sample programs here)
    assert record._cache_size() - before[0] <= 3 and sample._cache_size() - before[1] <= 1
    for tr in (False, True):
        ref = runs[(tr, 10.0)]
        for ch in (1.0, 1.5):
            r = runs[(tr, ch)]
            np.testing.assert_array_equal(r.t_tau, ref.t_tau)
            for name in ("S_Q", "S_C", "x_final", "V_final", "window_means"):
                np.testing.assert_array_equal(getattr(r, name), getattr(ref, name))
            for name, v in ref.window.items():
                np.testing.assert_array_equal(r.window[name], v)
    # the window features exist exactly on the window samples, before it nothing is computed
    full = runs[(True, 1.5)]
    assert full.window["E_N"].shape[0] == full.t_window_tau.size == 2 * 8 + 1
    assert np.isfinite(full.window["E_N"]).all()
    np.testing.assert_array_equal(full.S_Q[full.window_mask()], runs[(False, 1.5)].S_Q)
