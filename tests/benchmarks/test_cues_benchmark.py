"""The cue benchmark's own bookkeeping: which cause an edge error is put down to, how
many line hashes a distortion alone keeps, and the bound of a perfect search."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_env = dict(os.environ)
import benchmarks.cues as bench  # noqa: E402
import numpy as np  # noqa: E402
from benchmarks.cues import (  # noqa: E402
    DISTORTIONS,
    GEN_SR,
    Options,
    boundary_causes,
    diagnosis,
    distortion_yield,
    generate,
    line_hashes,
)
from benchmarks.cues_evidence import fine_structure, spectrum_statistic  # noqa: E402

from heartsong.audio import write  # noqa: E402
from heartsong.cues import FingerprintIndex, synth  # noqa: E402

# The benchmark pins thread counts for its own timing; the rest of the suite keeps its own.
os.environ.clear()
os.environ.update(_env)


def _true(track: int, start: float, end: float, gain: float, fi: float = 0.0,
          fo: float = 0.0) -> dict:
    return {"track_id": track, "start": start, "end": end, "track_start": 0.0, "gain_db": gain,
            "fade_in": fi, "fade_out": fo}


def _det(track: int, start: float, end: float) -> dict:
    return {"track_id": track, "start": start, "end": end, "track_start": 0.0}


def test_causes_of_edge_errors() -> None:
    truth = [
        _true(1, 10.0, 40.0, -18.0, fo=4.0),  # its end lies under a louder next cue
        _true(2, 36.0, 80.0, -2.0, fi=0.5),  # exact
        _true(3, 100.0, 120.0, -6.0, fi=3.0),  # fades in, start found late
        _true(4, 130.0, 140.0, -6.0),  # hard cut, end found early
        _true(5, 200.0, 210.0, -6.0),  # not found
    ]
    est = [_det(1, 10.1, 36.2), _det(2, 36.3, 80.1), _det(3, 102.4, 120.2),
           _det(4, 130.0, 137.0), _det(1, 300.0, 310.0)]
    out = boundary_causes([{"file": "a", "cues": truth}], {"a": {"cues": est}})
    assert out["end"] == {"matched": 4, "over": 2, "masked": 1, "crossfade": 0, "fade": 0,
                          "cut": 1}
    assert out["start"] == {"matched": 4, "over": 1, "masked": 0, "crossfade": 0, "fade": 1,
                            "cut": 0}


def test_crossfade_into_quieter_music_is_not_masked() -> None:
    truth = [_true(1, 0.0, 30.0, -3.0), _true(2, 27.0, 60.0, -12.0)]
    est = [_det(1, 0.0, 33.5), _det(2, 27.0, 60.0)]
    out = boundary_causes([{"file": "a", "cues": truth}], {"a": {"cues": est}})
    assert out["end"]["crossfade"] == 1 and out["end"]["over"] == 1


def test_line_hashes_and_what_a_distortion_keeps(tmp_path: Path) -> None:
    (tmp_path / "tracks").mkdir()
    idx = FingerprintIndex(tmp_path / "index")
    for tid in (0, 1):
        y = synth.music(70 + tid, duration=45.0, sr=GEN_SR)
        np.save(tmp_path / "tracks" / f"{tid}.npy", y)
        idx.add(tid, y, sr=GEN_SR)
    idx.save()
    y = np.load(tmp_path / "tracks" / "0.npy")[20 * GEN_SR : 30 * GEN_SR]
    on = line_hashes(idx, y, track=0, track_start=20.0, tempo=1.0, cents=0.0)
    assert on >= 30
    # The same audio judged on another line, or against the other track, scores nothing.
    assert line_hashes(idx, y, track=0, track_start=25.0, tempo=1.0, cents=0.0) <= 2
    assert line_hashes(idx, y, track=1, track_start=20.0, tempo=1.0, cents=0.0) <= 2
    opt = Options(seed=0, tracks=4, episodes=1, minutes=1.0, snrs=(0.0,), workers=1)
    share = distortion_yield(idx, tmp_path, opt, n_tracks=2, seconds=10.0)
    assert set(share) == set(DISTORTIONS)
    assert share["none"] == 1.0
    assert all(0.2 < v <= 1.2 for v in share.values()), share


def test_a_cache_holds_one_generated_set_at_a_time(tmp_path: Path) -> None:
    a = Options(seed=0, tracks=2, episodes=1, minutes=0.5, snrs=(0.0,), workers=1)
    b = Options(seed=1, tracks=2, episodes=1, minutes=0.5, snrs=(0.0,), workers=1)
    generate(a, tmp_path)
    assert generate(a, tmp_path).get("reused")
    first = np.load(tmp_path / "tracks" / "0.npy")
    generate(b, tmp_path)  # overwrites the files...
    assert not np.array_equal(np.load(tmp_path / "tracks" / "0.npy"), first)
    # ...so a's set is generated again, not reused with b's audio under a's truth.
    assert not generate(a, tmp_path).get("reused")
    np.testing.assert_array_equal(np.load(tmp_path / "tracks" / "0.npy"), first)


def test_the_bound_of_a_perfect_search(tmp_path: Path) -> None:
    idx = FingerprintIndex(tmp_path / "index")
    a = synth.music(81, duration=40.0, sr=GEN_SR)
    idx.add(0, a, sr=GEN_SR)
    idx.add(1, synth.music(82, duration=40.0, sr=GEN_SR), sr=GEN_SR)
    idx.save()
    # Track 0 plays from 5 s for 20 s, 2 s into the episode, under noise 10 dB down.
    ep = np.concatenate([np.zeros(2 * GEN_SR, np.float32), a[5 * GEN_SR : 25 * GEN_SR],
                         np.zeros(2 * GEN_SR, np.float32)])
    rng = np.random.default_rng(0)
    ep = ep + rng.normal(0.0, 0.1 * float(np.std(ep)), ep.size).astype(np.float32)
    path = write(tmp_path / "ep.flac", ep, sr=GEN_SR)
    cue = {"start": 2.0, "end": 22.0, "track_start": 5.0, "tempo": 1.0, "pitch_cents": 0.0,
           "distortion": "none"}
    truth = [{**cue, "track_id": 0}, {**cue, "track_id": 1},  # track 1 never plays
             {**cue, "track_id": 0, "track_start": 15.0}]  # nor track 0 10 s further on
    bench._INDEX = FingerprintIndex(tmp_path / "index")
    try:
        rows = bench._diagnose((str(path), truth, []))
    finally:
        bench._INDEX = None
    assert [r["accepted"] for r in rows] == [True, False, False]
    assert [r["coherent"] for r in rows] == [True, False, False]
    assert rows[0]["z_true"] > 11 > max(rows[1]["z_true"], rows[2]["z_true"])
    assert not any(r["found"] for r in rows)  # nothing was detected in this call
    # One cue of three within the bound, none found: R 0.33, F1 at precision 1 0.50.
    line = next(ln for ln in diagnosis({"+0": rows}).splitlines()
                if ln.split()[:1] == ["+0"] and "0.33" in ln)
    assert line.split()[1:4] == ["0.00", "0.33", "0.50"]


def test_the_album_audio_statistic_finds_the_true_line_only() -> None:
    rng = np.random.default_rng(1)
    # A track's fine structure: partials on a few bands, held for 20 frames at a time.
    track = np.full((600, 80), -60.0)
    for a in range(0, 600, 20):
        track[a : a + 20, rng.choice(80, 6, replace=False)] = -20.0
    R = fine_structure(track)
    assert np.allclose(fine_structure(track + 7.0), R)  # level does not matter
    # The episode plays frames 100-400 of it from frame 50, a band up, under noise.
    ep = rng.normal(-40.0, 6.0, (400, 80))
    ep[50:350, 1:] = np.maximum(ep[50:350, 1:], track[100:400, :-1] + rng.normal(0, 6, (300, 79)))
    E = fine_structure(ep, smooth=3)
    true = spectrum_statistic(E, R, 50, 350, line=(1.0, -50.0, 1.0))
    moved = [spectrum_statistic(E, R, 50, 350, line=(1.0, -50.0 + s, 1.0)) for s in (-40, 40)]
    off_pitch = spectrum_statistic(E, R, 50, 350, line=(1.0, -50.0, 4.0))
    assert true > 5 * max(abs(v) for v in [*moved, off_pitch])
    assert np.isnan(spectrum_statistic(E, R, 50, 70, line=(1.0, -50.0, 1.0)))  # < 30 frames
