"""Analyse a whole library: every track once, stored, skipped when already done.

Each track's :class:`~heartsong.analysis.TrackAnalysis` is stored whole as the library
result ``"analysis"`` (one transaction per track, so a partial analysis is never stored and
a killed run resumes). A result is redone when the file changes or when
:data:`~heartsong.analysis.ANALYSIS_VERSION` moves on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from heartsong.analysis.core import analyze_file, analyze_signal
from heartsong.analysis.result import ANALYSIS_VERSION, TrackAnalysis
from heartsong.jobs import BatchReport, run_batch
from heartsong.library import Library, Track

__all__ = ["ANALYSIS_KIND", "analyze_library", "stored_analysis"]

ANALYSIS_KIND = "analysis"

Progress = Callable[[int, int, str], None]


def _analyze(job: tuple[str, str]) -> dict[str, object]:
    # Module-level so worker processes can import it.
    path, title = job
    return analyze_file(path, title=title).to_dict()


def analyze_library(
    lib: Library,
    *,
    work: str | None = None,
    force: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
) -> tuple[BatchReport, int]:
    """Analyse every track (of ``work``) that has no current analysis.

    Parameters
    ----------
    lib : Library
    work : str, optional
        Only this work's tracks.
    force : bool
        Analyse again even tracks with a current result (or a recorded failure).
    workers : int
        Worker processes analysing tracks side by side.
    progress : callable, optional
        ``progress(done, total, title)`` after each track.

    Returns
    -------
    report : BatchReport
        Tracks analysed now, and (path, reason) for each refused one.
    skipped : int
        Tracks already analysed (not redone).
    """
    tracks = lib.tracks(work=work)
    todo = lib.pending(tracks, ANALYSIS_KIND, version=ANALYSIS_VERSION, force=force)
    by_path = {t.path: t for t in todo}

    def store(job: tuple[str, str], data: object, error: str | None, seconds: float) -> None:
        lib.store_result(
            by_path[job[0]],
            ANALYSIS_KIND,
            version=ANALYSIS_VERSION,
            data=data,
            error=error,
            seconds=seconds,
        )

    if workers > 1 and len(todo) > 1:
        _prime_jit()
    report = run_batch(
        [(t.path, t.title) for t in todo],
        _analyze,
        store=store,
        label=lambda job: job[0],
        workers=workers,
        progress=(lambda d, n, p: progress(d, n, by_path[p].title)) if progress else None,
    )
    return report, len(tracks) - len(todo)


def _prime_jit() -> None:
    """Compile librosa's numba functions once, here, before the workers start.

    librosa caches them on disk beside its sources; on a fresh install, worker processes
    compiling them at the same moment can leave a torn cache file behind, and every later
    process that loads it dies with a segmentation fault (seen on a fresh clone's first
    `make demo`). Compiled once in this process, the workers only read the cache.
    """
    t = np.arange(20 * 22050) / 22050
    y = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    analyze_signal(y, 22050, emotion_model=None)


def stored_analysis(lib: Library, track: Track) -> TrackAnalysis | None:
    """The current stored analysis of ``track`` (``None`` if absent, stale or failed)."""
    res = lib.result(track, ANALYSIS_KIND)
    if res is None or not res.ok or res.version != ANALYSIS_VERSION:
        return None
    return TrackAnalysis.from_dict(res.data)
