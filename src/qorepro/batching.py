"""Fixed compiled batch sizes: pad a batch of parameter points to one of a few shapes.

Every compiled program of the engine is specialised to its array shapes, and the persistent
compilation cache (:mod:`qorepro.backend`) reuses a program across Snakemake jobs only for the
same shapes.  Padding the batch axis (the last one) to a *bucket* keeps the number of distinct
shapes — and of compilations per machine — small whatever the figure sizes:

* at least :data:`CPU_FLOOR` points on a CPU (the CPU's default batch size): a figure of 1–3
  points, the last partial batch of a figure and the few limit-cycle points of a batch all run
  the programs compiled for full batches (measured: padding 1 → 64 points costs ≈ 2 s of CPU
  per 200 τ batch, a cold compilation of the trajectory programs ≈ 30 s;
  ``benchmarks/results/compile_cache.md``);
* at least :data:`GPU_FLOOR` on a GPU (idle lanes cost nothing there);
* above the floor, the next power of 4.

:func:`blocks` splits a large batch into such buckets on a CPU.  :func:`pad` repeats the last point into the padding, so padded lanes compute a real point and
never produce NaN/inf that a reduction over the batch could see; callers slice them off.
"""
from __future__ import annotations

import numpy as np

from . import backend

#: smallest compiled batch on a CPU (= the CPU's ``engine.batch_size: auto``)
CPU_FLOOR = 64
#: smallest compiled batch on a GPU
GPU_FLOOR = 1024


def bucket(n: int, floor: int | None = None) -> int:
    """The compiled batch size for n points: the next power of 4 times ``floor`` at or above n
    (``floor`` default: :data:`GPU_FLOOR` on a GPU, :data:`CPU_FLOOR` on a CPU)."""
    b = floor if floor is not None else (GPU_FLOOR if backend.platform() == "gpu" else CPU_FLOOR)
    b = max(int(b), 1)
    while b < n:
        b *= 4
    return b


def blocks(n: int, size: int | None = None) -> list:
    """Slices splitting n points into consecutive blocks of at most ``size`` (default: one
    :data:`CPU_FLOOR` bucket on a CPU — the per-point cost there does not fall with the batch,
    and every block then runs the one program compiled for that bucket, already in the cache
    from the main run; everything in one block on a GPU, where a large batch is cheap)."""
    if size is None:
        size = n if backend.platform() == "gpu" else CPU_FLOOR
    size = max(int(size), 1)
    return [slice(a, min(a + size, n)) for a in range(0, n, size)]


def pad(a, n_pad: int, axis: int = -1):
    """Pad the batch axis of ``a`` to ``n_pad`` by repeating the last point."""
    a = np.asarray(a)
    n = a.shape[axis]
    if n == n_pad:
        return a
    idx = np.concatenate([np.arange(n), np.full(n_pad - n, max(n - 1, 0))]).astype(int)
    return np.take(a, idx, axis=axis)
