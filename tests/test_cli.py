"""The CLI as a user meets it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from heartsong.audio import write
from tests.conftest import tone

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, library: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "HEARTSONG_LIBRARY": str(library),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "heartsong", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def media(tmp_path: Path) -> Path:
    album = tmp_path / "album"
    write(album / "01.flac", tone(330.0, 4.0), sr=22050, tags={"title": "One", "album": "OST"})
    write(
        album / "02.mp3", tone(440.0, 4.0), sr=22050, tags={"title": "Two (Inst.)", "album": "OST"}
    )
    (album / "bad.flac").write_text("not audio")
    write(tmp_path / "eps" / "S01E01 - Pilot.mkv", tone(440.0, 4.0), sr=22050, video=True)
    return tmp_path


def test_scan_list_remove_round_trip(media: Path) -> None:
    lib = media / "lib.db"
    r = run("scan", str(media / "album"), "--json", library=lib)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["added"] == 2
    assert [Path(p).name for p, _ in report["failed"]] == ["bad.flac"]
    assert "bad.flac: " in r.stderr
    assert "Traceback" not in r.stderr

    r = run("scan", str(media / "eps"), "--episodes", "--work", "OST", library=lib)
    assert r.returncode == 0 and "added 1" in r.stdout

    tracks = json.loads(run("list", "tracks", "--json", library=lib).stdout)
    assert [(t["title"], t["instrumental"]) for t in tracks] == [
        ("One", False),
        ("Two (Inst.)", True),
    ]
    episodes = json.loads(run("list", "episodes", "--json", "--work", "OST", library=lib).stdout)
    assert [(e["season"], e["number"], e["title"], e["has_video"]) for e in episodes] == [
        (1, 1, "Pilot", True)
    ]
    failed = json.loads(run("list", "files", "--failed", "--json", library=lib).stdout)
    assert [f["status"] for f in failed] == ["unreadable"]
    assert "OST" in run("list", "works", library=lib).stdout

    r = run("remove", str(tracks[0]["id"]), library=lib)
    assert r.returncode == 0 and "removed 1" in r.stdout
    assert len(json.loads(run("list", "tracks", "--json", library=lib).stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("list", "tracks", "--work", "Nope"), "work: no work named 'Nope'"),
        (("scan", "/definitely/not/here"), "paths: /definitely/not/here does not exist"),
        (("remove", "12345"), "refs: nothing in the library matches '12345'"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    r = run(*args, library=tmp_path / "lib.db")
    assert r.returncode == 1
    assert r.stderr.strip().startswith(f"heartsong: {message}")
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_corrupt_library_file_is_one_line(tmp_path: Path) -> None:
    lib = tmp_path / "lib.db"
    lib.write_text("not a database at all " * 50)
    r = run("list", "works", library=lib)
    assert r.returncode == 1
    assert r.stderr.strip().startswith(f"heartsong: {lib}: not a heartsong library")
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "prefix", "reason"),
    [
        (("list", "everything"), "heartsong list", "'everything' is not one of"),
        (("cues", "-f", "xyz", "ep.mkv"), "heartsong cues", "'xyz' is not one of"),
        (("cues", "--bogus"), "heartsong cues", "No such option: --bogus"),
        (("scan",), "heartsong scan", "Missing argument"),
        (("nosuch",), "heartsong", "No such command 'nosuch'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], prefix: str, reason: str
) -> None:
    r = run(*args, library=tmp_path / "lib.db")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"{prefix}: ") and reason in lines[0]
    assert lines[0].endswith(f"(see {prefix} --help)")


def test_help_and_bare_command_exit_0(tmp_path: Path) -> None:
    for args in ((), ("--help",), ("cues", "--help")):
        r = run(*args, library=tmp_path / "lib.db")
        assert r.returncode == 0, (args, r.stderr)
        assert "Usage: heartsong" in r.stdout + r.stderr


def test_ctrl_c_mid_scan_keeps_work_and_resumes(tmp_path: Path) -> None:
    import signal
    import time

    folder = tmp_path / "album"
    for i in range(40):
        write(folder / f"{i:02d}.wav", tone(200.0 + 5 * i, 1.0), sr=22050)
    lib = tmp_path / "lib.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HEARTSONG_LIBRARY": str(lib)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "heartsong", "scan", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # Wait until some files are committed, then press Ctrl-C.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if lib.exists() and lib.stat().st_size > 0:
            import sqlite3

            try:
                with sqlite3.connect(lib, timeout=1) as conn:
                    if conn.execute("SELECT COUNT(*) FROM tracks").fetchone()[0] >= 3:
                        break
            except sqlite3.Error:
                continue
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the scan finished before Ctrl-C arrived")
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert "run the same command again to resume" in stderr
    r = run("scan", str(folder), "--json", library=lib)
    report = json.loads(r.stdout)
    assert report["unchanged"] >= 3
    assert report["unchanged"] + report["added"] == 40


def test_progress_lines_when_not_a_terminal(media: Path) -> None:
    r = run("scan", str(media / "album"), library=media / "lib.db")
    assert "scanning: 3/3 files" in r.stderr
    assert "ETA" in r.stderr


def test_cue_verbs_end_to_end(tmp_path: Path) -> None:
    import numpy as np

    from heartsong.cues import synth

    sr = 22050
    songs = [synth.music(80 + i, duration=30, sr=sr) for i in range(3)]
    for i, y in enumerate(songs):
        write(
            tmp_path / "album" / f"{i + 1}.flac",
            y,
            sr=sr,
            tags={"title": f"Song {i + 1}", "artist": "Singer", "composer": "Comp"},
        )
    ep = np.zeros(sr * 60, np.float32)
    ep[sr * 10 : sr * 30] = 0.6 * songs[1][sr * 5 : sr * 25]
    write(tmp_path / "eps" / "E01 - Pilot.mp4", ep, sr=sr, video=True)
    write(tmp_path / "clip.wav", songs[1][sr * 8 : sr * 14], sr=sr)
    lib = tmp_path / "lib.db"
    run("scan", str(tmp_path / "album"), "--work", "W", library=lib)
    run("scan", str(tmp_path / "eps"), "--episodes", "--work", "W", library=lib)
    r = run("cues", library=lib)
    assert r.returncode == 1 and "run `heartsong index` first" in r.stderr
    r = run("index", "--json", library=lib)
    assert r.returncode == 0 and json.loads(r.stdout)["added"] == 3
    r = run("cues", "--format", "csv", library=lib)
    assert (
        r.stdout.splitlines()[0] == "query,reference,query_start,query_end,ref_start,ref_end,score"
    )
    row = r.stdout.splitlines()[1].split(",")
    assert row[1] == "2.flac" and abs(float(row[2]) - 10) < 1 and abs(float(row[4]) - 5) < 1
    out = tmp_path / "sheets"
    for fmt, head in [
        ("vtt", "WEBVTT"),
        ("edl", "TITLE:"),
        ("html", "<!DOCTYPE html>"),
        ("md", "# Music cue sheet"),
        ("json", "["),
    ]:
        r = run("cues", "Pilot", "-f", fmt, "-o", str(out / f"pilot.{fmt}"), library=lib)
        assert r.returncode == 0, r.stderr
        assert (out / f"pilot.{fmt}").read_text().startswith(head)
    assert "♪ Song 2 — Singer" in (out / "pilot.vtt").read_text()
    r = run("scenes", "Song 2", "--json", library=lib)
    assert [round(s["start"]) for s in json.loads(r.stdout)["scenes"]] == [10]
    r = run("identify", str(tmp_path / "clip.wav"), library=lib)
    assert r.returncode == 0 and "Song 2 at 0:08" in r.stdout and "00:00:13" in r.stdout
    r = run("scenes", "No Such Song", library=lib)
    assert r.returncode == 1 and r.stderr.startswith("heartsong: no track matches")
    # A file the library does not hold as an episode: how to add it, in one line.
    for verb in ("cues", "arc"):
        r = run(verb, str(tmp_path / "clip.wav"), library=lib)
        assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith(f"heartsong: {tmp_path / 'clip.wav'}: not an episode in ")
        assert "heartsong scan" in r.stderr and "--episodes" in r.stderr
    r = run("arc", "No Such Episode", library=lib)
    assert r.returncode == 1 and r.stderr.startswith("heartsong: no episode matches")
    assert "older heartsong" not in run("cues", library=lib).stderr
    # An index written before time smoothing existed (its manifest has no such field).
    manifest = tmp_path / "lib.db.fingerprints" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["config"]["time_smooth"]
    manifest.write_text(json.dumps(data))
    r = run("cues", "--force", library=lib)
    assert r.returncode == 0 and "built by an older heartsong" in r.stderr
    r = run("index", "--json", library=lib)
    assert json.loads(r.stdout)["added"] == 3
    assert "older heartsong" not in run("cues", "--force", library=lib).stderr


def test_analysis_verbs_end_to_end(tmp_path: Path) -> None:
    import numpy as np

    from heartsong.analysis.synth import Piece, render

    sr = 22050
    song = render(Piece(bpm=120, bars=10, sections="AB"), sr=sr)
    write(tmp_path / "album" / "1.flac", song, sr=sr, tags={"title": "Theme", "artist": "A"})
    write(
        tmp_path / "album" / "2.flac", np.zeros(sr * 4, np.float32), sr=sr, tags={"title": "Quiet"}
    )
    ep = np.zeros(sr * 40, np.float32)
    ep[sr * 5 : sr * 25] = 0.8 * song[sr * 2 : sr * 22]
    write(tmp_path / "eps" / "E01.mkv", ep, sr=sr, video=True)
    lib = tmp_path / "lib.db"
    run("scan", str(tmp_path / "album"), "--work", "W", library=lib)
    run("scan", str(tmp_path / "eps"), "--work", "W", "--episodes", library=lib)
    r = run("show", "Theme", library=lib)
    assert r.returncode == 1 and "has no analysis yet" in r.stderr
    r = run("analyze", library=lib)
    assert r.returncode == 0 and "analysed 1, already done 0, refused 1" in r.stdout
    assert "2.flac: all silence" in r.stderr
    assert "analysed 0, already done 2" in run("analyze", library=lib).stdout
    shown = json.loads(run("show", "Theme", "--json", library=lib).stdout)["analysis"]
    assert abs(shown["tempo"]["bpm"] - 120) < 5 and shown["key"]["mode"] == "major"
    r = run("show", "Theme", library=lib)
    assert "tempo" in r.stdout and "valence" in r.stdout and "role" in r.stdout
    r = run("show", "Quiet", library=lib)
    assert r.returncode == 1 and r.stderr.startswith("heartsong: ") and "all silence" in r.stderr
    dry = run("tag", library=lib)
    assert "1 of 1 file(s) would change" in dry.stdout and "BPM" in dry.stdout
    assert "not analysed" in dry.stderr or "Quiet" not in dry.stdout
    assert "1 of 1 file(s) written" in run("tag", "--write", library=lib).stdout
    assert "0 of 1 file(s) would change" in run("tag", library=lib).stdout
    run("index", library=lib)
    r = run("arc", "1", "-o", str(tmp_path / "arc.svg"), "--json", library=lib)
    assert r.returncode == 0, r.stderr
    arc = json.loads(r.stdout)
    assert arc["valence"][1] is None and arc["valence"][15] is not None
    assert (tmp_path / "arc.svg").read_text().startswith("<svg")
