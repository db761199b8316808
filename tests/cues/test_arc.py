"""The emotional arc: track emotion curves mapped through cues onto the episode timeline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from heartsong.analysis.library import analyze_library, stored_analysis
from heartsong.analysis.synth import Piece, render
from heartsong.audio import write
from heartsong.cues import Cue
from heartsong.cues.arc import _at, arc_png, arc_svg, episode_arc
from heartsong.errors import HeartsongError, ParameterError
from heartsong.library import Library

SR = 22050


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Library:
    tmp = tmp_path_factory.mktemp("arc")
    write(
        tmp / "album" / "a.flac",
        render(Piece(bpm=140, bars=12, level_db=-3), sr=SR),
        sr=SR,
        tags={"title": "Bright"},
    )
    write(
        tmp / "album" / "b.flac",
        render(Piece(bpm=66, bars=6, mode="minor", drums=False, level_db=-14), sr=SR),
        sr=SR,
        tags={"title": "Dark"},
    )
    write(
        tmp / "album" / "c.flac",
        render(Piece(bpm=90, bars=4), sr=SR),
        sr=SR,
        tags={"title": "Unanalysed"},
    )
    write(tmp / "eps" / "E01.mkv", np.zeros(SR * 60, np.float32), sr=SR, video=True)
    lib = Library(tmp / "lib.db")
    lib.scan([tmp / "album"], work="W")
    lib.scan([tmp / "eps"], work="W", episodes=True)
    analyze_library(lib)
    c = lib.track("Unanalysed")
    lib.connection.execute("DELETE FROM results WHERE file_id = ?", (c.file_id,))
    yield lib
    lib.close()


def test_arc_follows_the_tracks_through_the_cues(world: Library) -> None:
    lib = world
    ep = lib.episodes()[0]
    bright, dark = lib.track("Bright"), lib.track("Dark")
    ab, ad = stored_analysis(lib, bright), stored_analysis(lib, dark)
    cues = [
        Cue(bright.id, start=5.0, end=20.0, track_start=3.0),
        Cue(dark.id, start=18.0, end=35.0, track_start=0.0, gain_db=-6.0, overlap=True),
        Cue(lib.track("Unanalysed").id, start=40.0, end=50.0, track_start=0.0),
    ]
    arc = episode_arc(lib, ep, cues, hop=1.0)
    assert len(arc.valence) == int(np.ceil(ep.duration))
    assert arc.valence[0] is None and arc.energy[55] is None  # no music: a gap, not zero
    assert arc.valence[45] is None  # the unanalysed track is left out...
    assert arc.missing == ("Unanalysed",)  # ...and said so
    # Inside one cue: the track's own curve at the mapped track time.
    assert arc.valence[10] == pytest.approx(_at(ab.emotion.valence_curve, 3.0 + 5.5), abs=1e-3)
    assert arc.energy[30] == pytest.approx(_at(ad.emotion.energy_curve, 12.5), abs=1e-3)
    # In the cross-fade: a mix weighted by linear gain (-6 dB is half as loud).
    vb, vd = _at(ab.emotion.valence_curve, 3.0 + 13.5), _at(ad.emotion.valence_curve, 0.5)
    assert arc.valence[18] == pytest.approx((vb + 0.501 * vd) / 1.501, abs=2e-3)
    assert [s.title for s in arc.spans] == ["Bright", "Dark"]
    d = arc.to_dict()
    assert len(d["times"]) == len(d["valence"]) and d["times"][0] == 0.5


def test_arc_renders_and_refuses_bad_input(world: Library, tmp_path: Path) -> None:
    lib = world
    ep = lib.episodes()[0]
    cues = [Cue(lib.track("Bright").id, start=5.0, end=20.0, track_start=0.0)]
    arc = episode_arc(lib, ep, cues, hop=2.0)
    svg = ET.fromstring(arc_svg(arc))
    assert svg.tag.endswith("svg") and len(svg.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    png = arc_png(arc, tmp_path / "arc.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ParameterError, match=r"^hop: "):
        episode_arc(lib, ep, cues, hop=0)
    with pytest.raises(HeartsongError, match="run `heartsong analyze` first"):
        episode_arc(lib, ep, [Cue(lib.track("Unanalysed").id, start=1, end=9, track_start=0)])
