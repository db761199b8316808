"""Analysing a library: stored once, skipped after, failures recorded, tags written safely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heartsong.analysis import ANALYSIS_VERSION
from heartsong.analysis.library import ANALYSIS_KIND, analyze_library, stored_analysis
from heartsong.analysis.synth import Piece, render
from heartsong.analysis.tags import write_tags
from heartsong.audio import load, write
from heartsong.library import Library

SR = 22050


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    album = tmp_path / "album"
    write(
        album / "01 Upbeat.flac",
        render(Piece(bpm=128, bars=8), sr=SR),
        sr=SR,
        tags={"title": "Upbeat"},
    )
    write(
        album / "02 Slow.mp3",
        render(Piece(bpm=70, bars=4, mode="minor"), sr=SR),
        sr=SR,
        tags={"title": "Slow"},
    )
    write(album / "03 Silence.flac", np.zeros(SR * 5, np.float32), sr=SR, tags={"title": "Silence"})
    with Library(tmp_path / "lib.db") as library:
        library.scan([album], work="W")
        yield library


@pytest.mark.parametrize("workers", [1, 2])
def test_analyse_once_record_failures_resume(lib: Library, workers: int) -> None:
    report, skipped = analyze_library(lib, workers=workers)
    assert (report.done, skipped) == (2, 0)
    assert [Path(p).name for p, _ in report.failed] == ["03 Silence.flac"]
    assert report.failed[0][1].startswith("all silence")
    up = stored_analysis(lib, lib.track("Upbeat"))
    assert up is not None and up.version == ANALYSIS_VERSION
    assert up.tempo.bpm == pytest.approx(128, rel=0.04)
    assert stored_analysis(lib, lib.track("Slow")).key.mode == "minor"
    silent = lib.result(lib.track("Silence"), ANALYSIS_KIND)
    assert silent is not None and not silent.ok and silent.reason.startswith("all silence")
    # Done and refused tracks are not redone; --force redoes all.
    again, skipped = analyze_library(lib, workers=workers)
    assert (again.done, len(again.failed), skipped) == (0, 0, 3)
    forced, skipped = analyze_library(lib, force=True, work="W")
    assert (forced.done, len(forced.failed), skipped) == (2, 1, 0)


def test_written_tags_keep_audio_and_results(lib: Library) -> None:
    analyze_library(lib)
    for title in ("Upbeat", "Slow"):
        track = lib.track(title)
        before, _ = load(track.path, sr=None)
        plan = write_tags(track.path, stored_analysis(lib, track), dry_run=False)
        assert plan.written and plan.pending
        lib.adopt_rewrite(track)
        after, _ = load(track.path, sr=None)
        np.testing.assert_array_equal(before, after)
    report = lib.scan([Path(lib.track("Upbeat").path).parent], work="W")
    assert report.unchanged == 3 and report.updated == 0
    assert stored_analysis(lib, lib.track("Upbeat")) is not None
    assert analyze_library(lib)[0].done == 0
