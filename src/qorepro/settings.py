"""Settings and verdict names of the time-domain engine (plain dataclasses, no JAX).

Kept apart from the engine so that the workflow can resolve and validate a configuration —
while Snakemake builds its DAG — without importing the compiled integrator.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

#: fixed-step Runge–Kutta tableaux (diffrax solver classes, see :mod:`qorepro.rk`)
TABLEAUX = {"dopri8": "Dopri8", "tsit5": "Tsit5", "dopri5": "Dopri5"}
METHODS = tuple(TABLEAUX)


@dataclass(frozen=True)
class SolverSettings:
    """Settings of the time-domain solver (all times in τ = 2π/ω₁)."""

    t_end_tau: float = 200.0
    #: late window over which a point's summary values (mean/min/max of S_Q …) are taken
    window_tau: tuple = (180.0, 200.0)
    #: Runge–Kutta steps per τ (dt = 2π/steps_per_tau in units of 1/ω₁).  64 with Dopri8: the
    #: window-mean S_Q is within 4e-6 of solve_ivp(DOP853, rtol=1e-10) over the test set of
    #: benchmarks/convergence.py (48: 8e-5, 96: 7e-8; table in docs/engine-and-numerics.md)
    steps_per_tau: int = 64
    #: stored samples per τ; must divide steps_per_tau
    samples_per_tau: int = 16
    #: fixed-step Runge–Kutta tableau (see :mod:`qorepro.rk`)
    method: str = "dopri8"

    def __post_init__(self):
        lo, hi = self.window_tau
        for name, v in (("t_end_tau", self.t_end_tau), ("window_tau", lo), ("window_tau", hi)):
            if not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v}")
        if not (0 <= lo < hi <= self.t_end_tau):
            raise ValueError(f"window_tau {list(self.window_tau)} must satisfy 0 <= start < end <= t_end_tau "
                             f"= {self.t_end_tau}")
        if self.steps_per_tau <= 0 or self.samples_per_tau <= 0 or self.steps_per_tau % self.samples_per_tau:
            raise ValueError("samples_per_tau must be a positive divisor of steps_per_tau")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose one of {METHODS}")
        for name, v in (("t_end_tau", self.t_end_tau), ("window_tau", lo)):
            if abs(v * self.samples_per_tau - round(v * self.samples_per_tau)) > 1e-9:
                raise ValueError(f"{name} * samples_per_tau must be an integer")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["window_tau"] = list(self.window_tau)
        return d

    @property
    def dt(self) -> float:
        return 2 * math.pi / self.steps_per_tau

    def sample(self, t_tau: float) -> int:
        """Index of the sample at time ``t_tau`` on the grid of stored samples."""
        return int(round(t_tau * self.samples_per_tau))


#: ``noise_basin``: a certified orbit whose truncated-Wigner ensemble sits (partly) on another
#: attractor class (:func:`qorepro.twa_validity.noise_basin`; set where the ensemble ran)
VERDICTS = ("stable_fixed_point", "stable_limit_cycle", "unstable", "not_settled",
            "linearization_invalid", "unphysical_covariance", "noise_basin")
CERTIFIED = ("stable_fixed_point", "stable_limit_cycle")


@dataclass(frozen=True)
class CertificationSettings:
    """Thresholds that turn the numbers into a verdict (recorded with every dataset)."""

    #: oscillation amplitude of the means over the window, relative to their size, below
    #: which the run counts as sitting at a fixed point
    fixed_point_rtol: float = 1e-3
    #: relative spread of successive periods below which the orbit counts as periodic
    period_rtol: float = 1e-3
    #: relative mismatch |x(T) − x(0)| after integrating one detected period from the final
    #: state, below which the orbit counts as closed (periodic)
    return_rtol: float = 1e-3
    #: largest allowed RMS-fluctuation / mean-amplitude ratio of any mode over the window;
    #: the linearisation drops terms of relative order this ratio (the measured ratio is stored
    #: for any stricter reading).  0.4, not 0.5: against the truncated-Wigner ensemble at
    #: M = 512 on the paper run's cross-check sample (off-basin points removed), certified points
    #: with ratio in (0.4, 0.5] differ by > 3 error bars at 6 of 51 (90 % of |ΔS_Q|/S_Q ≤ 0.25),
    #: at ≤ 0.4 at 5 of 363 (90 % ≤ 0.074) (docs/beyond-linearisation.md, "Two certified methods")
    linearization_max_ratio: float = 0.4
    #: steps per period for the monodromy and periodic-covariance integrations (Dopri8: the
    #: Floquet multipliers agree with 512 steps to 1e-15, S_Q_floquet to 1e-14)
    floquet_steps: int = 256
    #: on stable limit cycles also compute S_Q from the periodic (Floquet) covariance with the
    #: phase mode separated out — the long-time limit without window averaging
    floquet_covariance: bool = True
    #: V + iΩ/2 may dip below zero by integration error only: a smallest eigenvalue below
    #: −physical_rtol × max(1, largest mode variance) marks the covariance unphysical
    physical_rtol: float = 1e-6

    def to_dict(self) -> dict:
        return asdict(self)


#: solvers for the truncated-Wigner SDE (diffrax classes; the noise is additive, so Itô and
#: Stratonovich coincide and an explicit Runge–Kutta method applies as it is)
SDE_SOLVERS = {"shark": "ShARK", "sra1": "SRA1", "euler": "Euler", "heun": "Heun", "tsit5": "Tsit5", "dopri5": "Dopri5"}
#: relative-phase classes of the attractor census (see :mod:`qorepro.twa`)
ATTRACTORS = ("in_phase", "anti_phase", "no_oscillation")


#: where a run computes the truncated-Wigner ensemble (``twa.where``): at the points whose
#: Gaussian verdict is not certified plus a cross-check sample of certified ones, at every
#: point, or nowhere
TWA_WHERE = ("uncertified", "all", "none")


@dataclass(frozen=True)
class TWASettings:
    """Settings of the truncated-Wigner ensemble (recorded with every dataset).

    Times and the late window come from :class:`SolverSettings`; these are the ensemble's own
    (defaults from the convergence table in docs/beyond-linearisation.md).  The ensemble of a
    point grows in blocks ``min_trajectories`` → 2× … → ``trajectories`` until its S_Q is
    decided against ``thresholds`` (:class:`qorepro.ensemble.SequentialRule`).
    """

    #: largest ensemble per parameter point (M_max; ``min_trajectories`` times a power of two)
    trajectories: int = 512
    #: SDE steps per τ (fixed step)
    steps_per_tau: int = 32
    #: the SDE solver (see SDE_SOLVERS and the convergence table): Tsit5's 5th-order drift with
    #: the additive noise in its stages; the additive-noise SRKs (ShARK, SRA1) and Heun have a
    #: 2nd-order drift and need ≥ 96 steps/τ for the mechanical frequencies
    solver: str = "tsit5"
    #: the seed every point's keys derive from (with the point's index in its figure)
    seed: int = 20251122
    #: an attractor class needs at least this many trajectories for a conditional S_Q
    min_class_size: int = 8
    #: which points of a run get the ensemble (see TWA_WHERE)
    where: str = "uncertified"
    #: first block of the adaptive ensemble (M_min)
    min_trajectories: int = 64
    #: the S_Q values a point's interval must not straddle to stop early (the claims' S_zero,
    #: S_sync: filled in from the claims file by the workflow); empty: every point runs M_max
    thresholds: tuple = ()
    #: per-point false-decision probability of the sequential rule, over all its looks
    alpha: float = 0.005
    #: also stop where the interval's log half-width z·err/S is at most this (None: thresholds only)
    target: float | None = None
    #: cross-check sample of certified points (``where: uncertified``): the grid points whose
    #: position within their series block is a multiple of ⌊size/crosscheck_points⌋
    crosscheck_points: int = 16

    def __post_init__(self):
        if self.solver not in SDE_SOLVERS:
            raise ValueError(f"unknown SDE solver {self.solver!r}; choose one of {sorted(SDE_SOLVERS)}")
        if self.where not in TWA_WHERE:
            raise ValueError(f"where: {self.where!r} is not one of {', '.join(TWA_WHERE)}")
        ratio = self.trajectories // max(self.min_trajectories, 1)
        if self.min_trajectories < 2 or self.trajectories % self.min_trajectories or ratio & (ratio - 1):
            raise ValueError(f"trajectories ({self.trajectories}) must be min_trajectories "
                             f"({self.min_trajectories}) times a power of two, min_trajectories at least 2")
        if self.steps_per_tau <= 0:
            raise ValueError("steps_per_tau must be positive")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha ({self.alpha}) must lie in (0, 1)")
        if self.crosscheck_points < 1:
            raise ValueError("crosscheck_points must be at least 1")
        object.__setattr__(self, "thresholds", tuple(float(t) for t in self.thresholds))

    def on(self, platform: str) -> TWASettings:
        """The ensemble a process on ``platform`` ('cpu'/'gpu') runs: on a GPU, where a batch's
        cost is set by the per-step launch latency rather than by M, every point gets M_max
        (``min_trajectories = trajectories``: no early stop, the tightest error bars); on the
        CPU these settings, adaptive.  Trajectory i is the same path either way."""
        return replace(self, min_trajectories=self.trajectories) if platform == "gpu" else self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["thresholds"] = list(self.thresholds)
        return d
