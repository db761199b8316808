"""Scanning: tags, incremental updates, moves, bad files, and interrupted scans."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from heartsong.audio import write
from heartsong.errors import LibraryError, ParameterError
from heartsong.library import Library
from tests.conftest import tone

ROOT = Path(__file__).resolve().parents[2]


def _album(folder: Path, n: int = 4, seconds: float = 12.0) -> list[Path]:
    exts = [".flac", ".mp3", ".m4a", ".ogg"]
    paths = []
    for i in range(n):
        title = f"Song {i + 1}" + (" (Inst.)" if i == 1 else "")
        paths.append(
            write(
                folder / f"{i + 1:02d} song{exts[i % 4]}",
                tone(220.0 + 40 * i, seconds),
                sr=22050,
                tags={
                    "title": title,
                    "artist": "The Singer",
                    "album": "Rain OST",
                    "album_artist": "Various",
                    "track": f"{i + 1}/{n}",
                    "disc": 1,
                    "composer": "A. Composer",
                    "genre": "Soundtrack",
                },
            )
        )
    return paths


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    with Library(tmp_path / "lib.db") as library:
        yield library


def test_scan_reads_tags_and_instrumental_flag(tmp_path: Path, lib: Library) -> None:
    _album(tmp_path / "album")
    report = lib.scan([tmp_path / "album"])
    assert (report.added, report.failed) == (4, [])
    tracks = lib.tracks()
    assert [t.title for t in tracks] == ["Song 1", "Song 2 (Inst.)", "Song 3", "Song 4"]
    assert [t.track_number for t in tracks] == [1, 2, 3, 4]
    assert [t.instrumental for t in tracks] == [False, True, False, False]
    assert {t.format for t in tracks} == {"flac", "mp3", "m4a", "ogg"}
    for t in tracks:
        assert t.work == "Rain OST"  # default work: the album tag
        assert t.artist == "The Singer" and t.composer == "A. Composer"
        assert t.disc_number == 1 and t.album == "Rain OST"
        assert t.duration == pytest.approx(12.0, abs=0.1)
        assert len(t.hash) == 32
    assert [w.name for w in lib.works()] == ["Rain OST"]


def test_rescan_skips_unchanged_and_sees_changes(tmp_path: Path, lib: Library) -> None:
    paths = _album(tmp_path / "album")
    lib.scan([tmp_path / "album"])
    ids = {t.path: t.id for t in lib.tracks()}
    again = lib.scan([tmp_path / "album"])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    # Touched but identical content: still unchanged, id kept.
    os.utime(paths[0], ns=(time.time_ns(), time.time_ns() + 10**9))
    # Really changed: re-read.
    write(paths[2], tone(999.0, 5.0), sr=22050, tags={"title": "New Title", "album": "Rain OST"})
    # Gone: removed.
    paths[3].unlink()
    report = lib.scan([tmp_path / "album"])
    assert (report.unchanged, report.updated, report.removed) == (2, 1, 1)
    tracks = {t.path: t for t in lib.tracks()}
    assert set(tracks) == {str(p.resolve()) for p in paths[:3]}
    assert tracks[str(paths[2].resolve())].title == "New Title"
    assert tracks[str(paths[2].resolve())].id == ids[str(paths[2].resolve())]
    assert tracks[str(paths[0].resolve())].id == ids[str(paths[0].resolve())]
    forced = lib.scan([tmp_path / "album"], force=True)
    assert forced.updated == 3


def test_moved_file_keeps_its_id(tmp_path: Path, lib: Library) -> None:
    paths = _album(tmp_path / "album", n=2)
    lib.scan([tmp_path / "album"])
    old = lib.track(str(paths[0]))
    moved = paths[0].with_name("renamed.flac")
    paths[0].rename(moved)
    report = lib.scan([tmp_path / "album"])
    assert (report.moved, report.removed, report.added) == (1, 0, 0)
    assert lib.track(str(moved)).id == old.id


def test_bad_files_are_recorded_and_do_not_stop_the_scan(tmp_path: Path, lib: Library) -> None:
    folder = tmp_path / "album"
    _album(folder, n=2)
    (folder / "notes.mp3").write_text("not audio")
    (folder / "empty.flac").touch()
    good = write(folder / "long.flac", tone(330.0, 30.0), sr=22050)
    (folder / "cut.flac").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    # Cut just after its first frames: FFmpeg refuses the seek to its end outright.
    noise = np.random.default_rng(0).normal(0.0, 0.1, 44100 * 60).astype(np.float32)
    early = write(tmp_path / "early.flac", noise, sr=44100)
    (folder / "cut-early.flac").write_bytes(early.read_bytes()[:20000])
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 not scanned: not a media extension")
    report = lib.scan([folder])
    assert report.added == 3
    reasons = {Path(p).name: r for p, r in report.failed}
    assert set(reasons) == {"notes.mp3", "empty.flac", "cut.flac", "cut-early.flac"}
    assert "not an audio" in reasons["notes.mp3"]
    assert "empty" in reasons["empty.flac"]
    assert "truncated" in reasons["cut.flac"]
    assert "truncated" in reasons["cut-early.flac"]
    statuses = {Path(s.path).name: s for s in lib.statuses(failed_only=True)}
    assert set(statuses) == set(reasons)
    assert all(s.status == "unreadable" and s.reason for s in statuses.values())
    # Unreadable files are remembered, not retried, unless they change.
    again = lib.scan([folder])
    assert len(again.failed) == 4 and again.added == 0
    write(folder / "notes.mp3", tone(500.0, 3.0), sr=22050)
    fixed = lib.scan([folder])
    assert fixed.updated == 1 and len(fixed.failed) == 3


def test_episodes_are_scanned_with_numbers_and_video(tmp_path: Path, lib: Library) -> None:
    eps = tmp_path / "Rain"
    write(eps / "Rain.S01E01.Pilot.mkv", tone(440.0, 4.0), sr=22050, video=True)
    write(eps / "Rain.S01E02.The.Storm.mp4", tone(440.0, 4.0), sr=22050, video=True)
    write(eps / "Episode 3 - Dawn.flac", tone(440.0, 4.0), sr=22050)
    report = lib.scan([eps], episodes=True)
    assert report.added == 3
    episodes = lib.episodes(work="Rain")  # default work: the folder's name
    assert [(e.season, e.number, e.title) for e in episodes] == [
        (None, 3, "Dawn"),
        (1, 1, "Pilot"),
        (1, 2, "The Storm"),
    ]
    assert [e.has_video for e in episodes] == [False, True, True]
    assert lib.tracks() == []


def test_queries_and_remove(tmp_path: Path, lib: Library) -> None:
    _album(tmp_path / "album", n=3)
    write(tmp_path / "eps" / "E01.mkv", tone(440.0, 3.0), sr=22050, video=True)
    lib.scan([tmp_path / "album"], work="Rain")
    lib.scan([tmp_path / "eps"], work="Rain", episodes=True)
    assert lib.track("song 1").title == "Song 1"
    assert lib.track(lib.tracks()[0].id).title == "Song 1"
    with pytest.raises(LibraryError, match="no track matches"):
        lib.track("Nonexistent")
    with pytest.raises(ParameterError, match=r"^work: "):
        lib.tracks(work="Nope")
    assert lib.remove([lib.tracks()[0].id]) == 1
    assert len(lib.tracks()) == 2
    assert lib.remove([str(tmp_path / "eps")]) == 1
    assert lib.episodes() == []
    assert lib.remove(work="Rain") == 2
    assert lib.works() == []
    with pytest.raises(ParameterError, match=r"^refs: "):
        lib.remove([])
    with pytest.raises(ParameterError, match=r"^paths: "):
        lib.scan([tmp_path / "missing"])


_SLOW_SCAN = textwrap.dedent(
    """
    import sys, time
    from heartsong.library import Library

    def progress(done, total, path):
        print(done, flush=True)
        time.sleep(0.15)  # slow enough for the parent to kill us mid-scan

    Library(sys.argv[1]).scan([sys.argv[2]], progress=progress)
    print("finished", flush=True)
    """
)


def test_killed_scan_loses_nothing_and_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "album"
    for i in range(30):
        write(
            folder / f"{i:02d}.flac",
            tone(200.0 + 10 * i, 2.0),
            sr=22050,
            tags={"title": f"T{i}", "album": "Big OST"},
        )
    db = tmp_path / "lib.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SCAN, str(db), str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        seen = int(line)
        if seen >= 8:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done = conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
    files = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    conn.close()
    assert 8 <= done < 30
    assert files == done  # no half-stored file: a file row always comes with its track

    with Library(db) as lib:
        report = lib.scan([folder])
        assert report.unchanged == done
        assert report.added == 30 - done
        assert len(lib.tracks()) == 30
