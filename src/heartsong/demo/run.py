"""Run everything heartsong has on the demo soundtrack and score it against the truth.

:func:`run_demo` is what ``heartsong demo`` does: generate (or reuse) the demo, then scan,
analyse, fingerprint and match it exactly as a user's folder, and compare each result with
``ground_truth.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from heartsong.demo.check import CueScore, TrackScore, score_cues, score_tracks
from heartsong.errors import HeartsongError

__all__ = ["DemoReport", "Step", "run_demo"]

T = TypeVar("T")
Progress = Callable[[int, int, str], None]
#: ``step(label, unit, job)`` runs ``job(progress)``; the CLI draws a bar per step.
Step = Callable[[str, str, Callable[[Progress | None], Any]], Any]


def _plain(label: str, unit: str, job: Callable[[Progress | None], T]) -> T:
    return job(None)


@dataclass
class DemoReport:
    """What :func:`run_demo` found, scored against the demo's ground truth."""

    root: Path
    library: Path
    seed: int
    work: str
    tracks: list[TrackScore]
    episodes: list[CueScore]
    failed: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "library": str(self.library),
            "seed": self.seed,
            "work": self.work,
            "tracks": [r.to_dict() for r in self.tracks],
            "episodes": [r.to_dict() for r in self.episodes],
            "failed": [list(f) for f in self.failed],
        }


def run_demo(
    directory: str | os.PathLike[str],
    *,
    seed: int = 0,
    force: bool = False,
    workers: int = 2,
    library: str | os.PathLike[str] | None = None,
    step: Step | None = None,
) -> DemoReport:
    """Generate the demo in ``directory`` (or reuse it), run every capability, score it.

    Parameters
    ----------
    directory : path
        Where the demo soundtrack is (or is written).
    seed : int
        Seed of the composition.
    force : bool
        Regenerate the audio even when an up-to-date demo is there.
    workers : int
        Processes for analysis and matching.
    library : path, optional
        Library file; ``directory/library.db`` by default. Finished steps are skipped
        when run again.
    step : callable, optional
        ``step(label, unit, job)`` runs each stage as ``job(progress)`` (progress bars);
        by default stages run without progress.

    Returns
    -------
    DemoReport

    Examples
    --------
    >>> report = run_demo("/tmp/heartsong-demo")  # doctest: +SKIP
    >>> sum(e.matched for e in report.episodes) > 0  # doctest: +SKIP
    True
    """
    from heartsong.analysis.library import analyze_library
    from heartsong.cues.library import build_index, library_cues
    from heartsong.demo.build import generate
    from heartsong.library import Library

    run: Step = step or _plain
    result = run("composing", "steps",
                 lambda bar: generate(directory, seed=seed, force=force, progress=bar))
    truth = result.ground_truth
    work = truth["episodes"][0].get("series") or truth["album"]["title"]
    with Library(library or result.root / "library.db") as lib:
        album = run("scanning album", "files",
                    lambda bar: lib.scan([result.album_dir], work=work, progress=bar))
        eps = run("scanning episodes", "files",
                  lambda bar: lib.scan([result.episodes_dir], work=work, episodes=True,
                                       progress=bar))
        analysed, _ = run("analysing", "tracks",
                          lambda bar: analyze_library(lib, work=work, workers=workers,
                                                      progress=bar))
        run("fingerprinting", "tracks", lambda bar: build_index(lib, progress=bar))
        episodes = lib.episodes(work=work)
        found, matched = run("matching", "episodes",
                             lambda bar: library_cues(lib, episodes, workers=workers,
                                                      progress=bar))
        n_tracks = len(lib.tracks(work=work))
        if (n_tracks, len(episodes)) != (len(truth["tracks"]), len(truth["episodes"])):
            raise HeartsongError(
                f"{result.root}: library holds {n_tracks} tracks and {len(episodes)} episodes, "
                f"ground truth has {len(truth['tracks'])} and {len(truth['episodes'])}"
            )
        return DemoReport(
            root=result.root,
            library=lib.path,
            seed=seed,
            work=work,
            tracks=score_tracks(lib, truth, work=work),
            episodes=score_cues(lib, truth, found, work=work),
            failed=[*album.failed, *eps.failed, *analysed.failed, *matched.failed],
        )
