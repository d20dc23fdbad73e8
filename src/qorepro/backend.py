"""The compute backend of the time-domain engine: JAX in float64, on the CPU or a GPU.

Import this module (the engine does) before any JAX array is made: it switches JAX to
float64 and points its persistent compilation cache at ``$QOREPRO_JAX_CACHE`` (default
``~/.cache/qorepro/jax``), so a compiled integrator is reused across Snakemake jobs.

:func:`configure` selects the platform from the workflow's ``engine.backend``:

* ``auto`` — what JAX finds (a GPU if it sees one, else the CPU);
* ``cpu`` — the CPU even where a GPU exists;
* ``gpu`` — a GPU, or a clear error naming the setting.

:func:`describe` returns what every NetCDF records as provenance (backend, device, versions).
"""
from __future__ import annotations

import fcntl
import os

import jax

BACKENDS = ("auto", "cpu", "gpu")

jax.config.update("jax_enable_x64", True)
# several sweep jobs may share one GPU: allocate on demand instead of 75 % of it per process
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
_CACHE = os.environ.get("QOREPRO_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "qorepro", "jax"))
if _CACHE.lower() not in ("", "0", "off", "none"):
    jax.config.update("jax_compilation_cache_dir", _CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)

_configured: str | None = None


class BackendError(RuntimeError):
    """The requested backend is not available (message names the setting)."""


def configure(backend: str = "auto") -> str:
    """Select the JAX platform for this process; returns the platform in use (cpu/gpu).

    Must be called before the first computation; calling it again with the same choice is a
    no-op, with a different choice after JAX has started it raises :class:`BackendError`.
    """
    global _configured
    if backend not in BACKENDS:
        raise BackendError(f"engine.backend = {backend!r}: choose one of {BACKENDS}")
    if _configured is not None:
        if backend != "auto" and platform() != backend:
            raise BackendError(f"engine.backend = {backend!r}, but this process already runs on {platform()}")
        return platform()
    if backend == "cpu":
        jax.config.update("jax_platforms", "cpu")
    elif backend == "gpu":
        try:
            jax.devices("gpu")
        except RuntimeError:
            raise BackendError("engine.backend = 'gpu', but JAX sees no GPU (install jax[cuda12] "
                               "or set engine.backend: auto|cpu)") from None
        jax.config.update("jax_default_device", jax.devices("gpu")[0])
    _configured = backend
    return platform()


_SLOT_LOCKS: list = []


def pin_to_one_cpu(lock_dir: str | None = None) -> int | None:
    """Restrict this process to one CPU, the first one no other pinned job holds.

    XLA sizes its CPU thread pool by the process's CPU affinity and parallelises the engine's
    small elementwise loops poorly (1.3× on two cores for 1.8× the CPU time); Snakemake gives
    each sweep job one core (``threads: 1``), so each job takes one: a lock file per CPU under
    ``lock_dir`` (default: the system's temp dir), held until the process exits.  Call before
    JAX starts its backend.  Returns the CPU, or None where the process already has one CPU
    (e.g. a cluster job) or every CPU is taken.
    """
    import tempfile

    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) <= 1:
        return allowed[0] if allowed else None
    lock_dir = lock_dir or os.path.join(tempfile.gettempdir(), f"qorepro-cpu-slots-{os.getuid()}")
    os.makedirs(lock_dir, exist_ok=True)
    for cpu in allowed:
        fh = open(os.path.join(lock_dir, f"cpu{cpu}.lock"), "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        _SLOT_LOCKS.append(fh)
        os.sched_setaffinity(0, {cpu})
        return cpu
    return None


def platform() -> str:
    """'gpu' or 'cpu': where computations of this process run."""
    dev = jax.config.jax_default_device or jax.devices()[0]
    return "gpu" if dev.platform in ("gpu", "cuda", "rocm") else "cpu"


def describe() -> dict:
    """Backend, device and library versions, for provenance."""
    import diffrax

    dev = jax.config.jax_default_device or jax.devices()[0]
    return {"backend": platform(), "device": f"{dev.platform}: {getattr(dev, 'device_kind', '')}".strip(),
            "jax": jax.__version__, "diffrax": diffrax.__version__, "float": "float64"}


def accelerator_visible() -> bool:
    """Whether a job started here would find a GPU under ``engine.backend: auto``, judged
    without starting JAX (the workflow plans with it, which must stay cheap and free of side
    effects): JAX's CUDA plugin is installed, an NVIDIA device node exists, and
    ``CUDA_VISIBLE_DEVICES`` does not hide every device."""
    import glob
    import importlib.util

    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return False
    plugin = any(importlib.util.find_spec(m) is not None for m in ("jax_cuda12_plugin", "jax_cuda13_plugin"))
    return plugin and bool(glob.glob("/dev/nvidia[0-9]*"))
