"""The cue capability over a library: incremental index, stored cue sheets, scenes, identify."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from heartsong.audio import write
from heartsong.cues import FingerprintIndex, synth
from heartsong.cues.fingerprint import FingerprintConfig
from heartsong.cues.library import (
    CUES_KIND,
    build_index,
    identify_clip,
    index_directory,
    library_cues,
    open_index,
    scenes,
    track_infos,
)
from heartsong.errors import AudioError, HeartsongError
from heartsong.library import Library

SR = 22050


@pytest.fixture(scope="module")
def music() -> dict[int, np.ndarray]:
    return {i: synth.music(60 + i, duration=40, sr=SR) for i in range(4)}


@pytest.fixture
def world(tmp_path: Path, music: dict[int, np.ndarray]) -> tuple[Library, Path]:
    for i, y in music.items():
        write(
            tmp_path / "album" / f"{i + 1:02d}.flac",
            y,
            sr=SR,
            tags={"title": f"Song {i + 1}", "artist": "Singer", "album": "OST", "track": i + 1},
        )
    ep = np.zeros(SR * 80, np.float32)
    ep[SR * 5 : SR * 25] += 0.7 * music[0][SR * 10 : SR * 30]  # mid-track start
    ep[SR * 40 : SR * 70] += 0.4 * music[2][: SR * 30]
    ep += 0.01 * np.random.default_rng(0).standard_normal(ep.size).astype(np.float32)
    write(tmp_path / "eps" / "E01 - Pilot.mkv", ep, sr=SR, video=True)
    lib = Library(tmp_path / "lib.db")
    lib.scan([tmp_path / "album"], work="OST")
    lib.scan([tmp_path / "eps"], work="OST", episodes=True)
    yield lib, tmp_path
    lib.close()


def test_index_is_incremental(world: tuple[Library, Path], music: dict[int, np.ndarray]) -> None:
    lib, tmp = world
    first = build_index(lib)
    assert (first.added, first.unchanged, first.removed, first.tracks) == (4, 0, 0, 4)
    assert first.index_bytes > 0
    again = build_index(lib)
    assert (again.added, again.unchanged) == (0, 4)
    # A changed file is fingerprinted again; its old rows must not match any more.
    write(tmp / "album" / "02.flac", music[3], sr=SR, tags={"title": "Song 2", "album": "OST"})
    lib.scan([tmp / "album"], work="OST")
    changed = build_index(lib)
    assert (changed.added, changed.unchanged) == (1, 3)
    lib.remove([lib.track("Song 4").id])
    removed = build_index(lib)
    assert removed.removed == 1 and removed.tracks == 3
    index = open_index(lib)
    assert index.track_ids == {t.id for t in lib.tracks()}
    index.compact()
    # Song 2 now holds Song 4's old audio: it is found there, at the right place.
    hit = identify_clip(lib, _clip(tmp, music[3][SR * 5 : SR * 11]))[0]
    assert hit[1].title == "Song 2" and hit[0].position == pytest.approx(5.0, abs=0.5)


def test_index_of_older_fingerprint_settings_is_rebuilt(world: tuple[Library, Path]) -> None:
    lib, _ = world
    build_index(lib)
    # An index left by a heartsong whose fingerprint defaults differed.
    shutil.rmtree(index_directory(lib))
    old = FingerprintIndex(index_directory(lib), config=FingerprintConfig(ref_density=9.0))
    old.add(1, synth.music(1, duration=10, sr=8000), sr=8000)
    old.save()
    assert open_index(lib).config != FingerprintConfig()
    again = build_index(lib)
    assert (again.added, again.unchanged, again.tracks) == (4, 0, 4)
    assert open_index(lib).config == FingerprintConfig()


def test_index_entries_without_phases_are_fingerprinted_again(
    world: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import heartsong.cues.library as cues_library

    lib, _ = world
    # As an earlier heartsong left it: same settings, entries without peak phases.
    monkeypatch.setattr(cues_library, "_ENTRY_VERSION", 1)
    build_index(lib)
    monkeypatch.undo()
    again = build_index(lib)
    assert (again.added, again.unchanged) == (4, 0)
    index = open_index(lib)
    assert all(np.isfinite(index.phases(t)).any() for t in index.track_ids)
    assert build_index(lib).unchanged == 4


def _clip(tmp: Path, y: np.ndarray) -> Path:
    return write(tmp / "clip.m4a", y, sr=SR, bit_rate=64_000)


def test_cues_are_stored_reused_and_recomputed_when_the_index_changes(
    world: tuple[Library, Path], music: dict[int, np.ndarray]
) -> None:
    lib, tmp = world
    with pytest.raises(HeartsongError, match="index is empty"):
        library_cues(lib, lib.episodes())
    build_index(lib)
    episodes = lib.episodes()
    found, report = library_cues(lib, episodes)
    assert report.done == 1 and report.failed == []
    cues = found[episodes[0].id]
    titles = {c.track_id: t.title for t in lib.tracks() for c in cues if c.track_id == t.id}
    got = [(titles[c.track_id], round(c.start), round(c.end), round(c.track_start)) for c in cues]
    assert got == [("Song 1", 5, 25, 10), ("Song 3", 40, 70, 0)]
    assert cues[1].gain_db == pytest.approx(20 * np.log10(0.4), abs=1.5)
    assert lib.result(episodes[0], CUES_KIND).ok
    _, again = library_cues(lib, episodes)
    assert again.done == 0  # stored and still valid
    write(
        tmp / "album" / "05.flac",
        synth.music(99, duration=20, sr=SR),
        sr=SR,
        tags={"title": "Song 5", "album": "OST"},
    )
    lib.scan([tmp / "album"], work="OST")
    build_index(lib)
    _, stale = library_cues(lib, episodes)
    assert stale.done == 1  # a new indexed track can appear in any episode

    song3 = lib.track("Song 3")
    where = scenes(lib, song3)
    assert [(s.episode, round(s.start), round(s.end)) for s in where] == [("Pilot", 40, 70)]
    hits = identify_clip(lib, _clip(tmp, music[2][SR * 12 : SR * 18]))
    hit, track, places = hits[0]
    assert track.title == "Song 3" and hit.position == pytest.approx(12.0, abs=0.5)
    assert [round(p.start) for p in places] == [52]
    infos = track_infos(lib)
    assert infos[song3.id].title == "Song 3" and infos[song3.id].reference == "03.flac"


def test_identify_refuses_short_or_unreadable_clips(world: tuple[Library, Path]) -> None:
    lib, tmp = world
    build_index(lib)
    short = write(tmp / "short.wav", np.full(SR * 2, 0.1, np.float32), sr=SR)
    with pytest.raises(AudioError, match="too short to identify"):
        identify_clip(lib, short)
    with pytest.raises(AudioError, match="file not found"):
        identify_clip(lib, tmp / "nope.wav")
