"""Progress of long jobs as whole lines with rate and ETA (tqdm), readable in a log file.

tqdm redraws one terminal line with carriage returns; in a log file that becomes one long
line.  :class:`LineStream` turns every redraw into its own line (and drops repeats), and can
copy the lines to a second stream — the terminal Snakemake runs in — so a long sweep is
visible while it runs, not only in its log afterwards.
"""
from __future__ import annotations

#: every line carries the amount done, the elapsed and remaining time and the rate
BAR_FORMAT = "{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} {unit} [elapsed {elapsed}, ETA {remaining}, {rate_fmt}]"


class LineStream:
    """A file-like target for tqdm writing each redraw as one line to every stream given."""

    def __init__(self, *streams):
        self.streams = [s for s in streams if s is not None]
        self._last = None

    def write(self, text: str) -> int:
        for part in text.replace("\r", "\n").split("\n"):
            part = part.strip()
            # before the first update tqdm knows no rate ("ETA ?"): such a line says nothing
            if part and part != self._last and "ETA ?" not in part:
                self._last = part
                for s in self.streams:
                    s.write(part + "\n")
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


def bar(total: float, unit: str, desc: str, *streams, mininterval: float = 5.0):
    """A tqdm bar writing lines to ``streams`` (disabled when none is given)."""
    from tqdm import tqdm

    target = LineStream(*streams)
    return tqdm(total=total, unit=unit, desc=desc, file=target, disable=not target.streams,
                mininterval=mininterval, bar_format=BAR_FORMAT, unit_scale=True, ascii=True)
