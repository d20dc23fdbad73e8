"""Fixed compiled batch sizes: pad a batch of parameter points to one of a few shapes.

Every compiled program of the engine is specialised to its array shapes; padding the batch
axis (the last one) to the next power of 4 keeps the number of distinct shapes — and of
compilations — small whatever the figure sizes.
"""
from __future__ import annotations

import numpy as np

from . import backend


def bucket(n: int) -> int:
    """The compiled batch size for n points: the next power of 4 (on a GPU at least 1024:
    idle lanes cost nothing there, and fewer shapes are compiled)."""
    b = 1024 if backend.platform() == "gpu" else 1
    while b < n:
        b *= 4
    return b


def pad(a, n_pad: int, axis: int = -1):
    """Pad the batch axis of ``a`` to ``n_pad`` by repeating the last point."""
    a = np.asarray(a)
    n = a.shape[axis]
    if n == n_pad:
        return a
    idx = np.concatenate([np.arange(n), np.full(n_pad - n, max(n - 1, 0))]).astype(int)
    return np.take(a, idx, axis=axis)
