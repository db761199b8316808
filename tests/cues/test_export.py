from __future__ import annotations

import csv
import io
import json
import re

import pytest

from heartsong.cues import Cue, TrackInfo, evaluate, export
from heartsong.errors import ParameterError

CUES = [
    Cue(2, start=65.5, end=130.25, track_start=12.0, confidence=0.97, episode="s01e01.mkv",
        overlap=True),
    Cue(1, start=3.0, end=70.0, track_start=0.0, confidence=0.8, episode="s01e01.mkv",
        overlap=True, gain_db=-6.0),
]
TRACKS = {1: TrackInfo("Main | Title", "The Band", "A. Composer", reference="main.flac"),
          2: TrackInfo("Chase <Theme>", "", "B. Writer")}


def test_csv_has_baf_columns():
    rows = list(csv.reader(io.StringIO(export.to_csv(CUES, tracks=TRACKS))))
    assert tuple(rows[0]) == export.BAF_COLUMNS
    assert rows[1] == ["s01e01.mkv", "main.flac", "3.000", "70.000", "0.000", "67.000", "0.800"]
    assert rows[2][1] == "Chase <Theme>"


def test_json_round_trip():
    data = json.loads(export.to_json(CUES, tracks=TRACKS))
    assert [d["track_id"] for d in data] == [1, 2]
    assert data[0]["title"] == "Main | Title" and data[0]["duration"] == 67.0


def test_webvtt():
    text = export.to_webvtt(CUES, tracks=TRACKS)
    assert text.startswith("WEBVTT\n\n")
    stamps = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$", text, re.M)
    assert stamps == [("00:00:03.000", "00:01:10.000"), ("00:01:05.500", "00:02:10.250")]
    assert "♪ Main | Title — The Band" in text and "♪ Chase <Theme> — B. Writer" in text


def test_edl():
    lines = export.to_edl(CUES, tracks=TRACKS, fps=25, start_timecode=3600).splitlines()
    assert lines[0].startswith("TITLE: ") and lines[1] == "FCM: NON-DROP FRAME"
    events = [ln for ln in lines if re.match(r"^\d{3}  ", ln)]
    assert len(events) == 2
    tc = r"\d\d:\d\d:\d\d:\d\d"
    assert re.match(rf"^001  AX       A     C        {tc} {tc} {tc} {tc}$", events[0])
    assert events[0].endswith("01:00:03:00 01:01:10:00")
    assert "* FROM CLIP NAME: Main | Title" in lines
    assert all(ln.isascii() for ln in lines)


def test_cue_sheets():
    md = export.to_cue_sheet_markdown(CUES, tracks=TRACKS)
    assert "| 1 | Main \\| Title | The Band / A. Composer |" in md
    assert "00:00:03.000 | 00:01:10.000 | 00:01:07.000 |" in md
    page = export.to_cue_sheet_html(CUES, tracks=TRACKS)
    assert "Chase &lt;Theme&gt;" in page and page.count("<tr>") == 3


def test_timecode_and_errors():
    assert export.timecode(0.0) == "00:00:00.000"
    assert export.timecode(59.999, fps=24) == "00:00:59:23"
    with pytest.raises(ParameterError, match="seconds"):
        export.timecode(-1.0)
    with pytest.raises(ParameterError, match="cues"):
        export.to_csv(["x"])  # type: ignore[list-item]


def test_evaluate_counts_and_errors():
    ref = [Cue(1, 0.0, 10.0, 0.0), Cue(2, 20.0, 30.0, 5.0)]
    est = [Cue(1, 0.5, 9.0, 0.5), Cue(3, 20.0, 30.0, 0.0)]
    m = evaluate(ref, est, duration=3600.0)
    assert (m["precision"], m["recall"], m["false_per_hour"]) == (0.5, 0.5, 1.0)
    assert m["start_error_median"] == pytest.approx(0.5)
    assert m["position_error_median"] == pytest.approx(0.0)
    assert evaluate([], [])["f1"] == 1.0
    with pytest.raises(ParameterError, match="estimated"):
        evaluate(ref, [Cue(1, 5.0, 2.0, 0.0)])
