from __future__ import annotations

import numpy as np
import pytest

from heartsong.analysis.synth import Piece, render
from heartsong.analysis.tags import plan_tags, write_tags
from heartsong.audio import load, write
from heartsong.errors import AudioError

SR = 22050


@pytest.fixture(scope="module")
def piece() -> np.ndarray:
    return render(Piece(tonic=9, mode="minor", bpm=100, bars=8, sections="AB",
                        progression=(0, 3, 4, 0), seed=2))


@pytest.mark.parametrize(
    ("ext", "fields"),
    [
        (".flac", {"BPM", "INITIALKEY", "MOOD", "VALENCE", "ENERGY"}),
        (".mp3", {"TBPM", "TKEY", "TXXX:MOOD", "TXXX:VALENCE", "TXXX:ENERGY"}),
        (".m4a", {"tmpo", "----:com.apple.iTunes:initialkey", "----:com.apple.iTunes:MOOD",
                  "----:com.apple.iTunes:VALENCE", "----:com.apple.iTunes:ENERGY"}),
        (".ogg", {"BPM", "INITIALKEY", "MOOD", "VALENCE", "ENERGY"}),
    ],
)
def test_dry_run_then_write_never_touches_audio(tmp_path, piece, minor_analysis, ext, fields):
    p = write(tmp_path / f"t{ext}", np.stack([piece, piece]), sr=SR,
              tags={"title": "Farewell", "artist": "Someone"})
    before_bytes = p.read_bytes()
    before, _ = load(p, sr=None, mono=False)

    plan = plan_tags(p, minor_analysis)
    assert not plan.written
    assert {c.field for c in plan.changes} == fields
    assert all(c.old is None for c in plan.changes)
    assert p.read_bytes() == before_bytes  # dry run writes nothing

    done = write_tags(p, minor_analysis, dry_run=False)
    assert done.written
    after, _ = load(p, sr=None, mono=False)
    assert np.array_equal(before, after)  # audio bit-identical

    again = plan_tags(p, minor_analysis)
    assert not again.pending  # everything now in place
    values = {c.field: c.old for c in again.changes}
    key_field = next(f for f in fields if "key" in f.lower())
    assert values[key_field] == "Am"
    bpm_field = next(f for f in fields if "bpm" in f.lower() or f == "tmpo")
    assert values[bpm_field] == str(round(minor_analysis.tempo.bpm))
    assert write_tags(p, minor_analysis, dry_run=False).written is False

    import mutagen

    f = mutagen.File(str(p), easy=True)
    assert "Farewell" in str(f.get("title"))  # other tags kept


def test_unsupported_and_missing(tmp_path, minor_analysis):
    with pytest.raises(AudioError):
        plan_tags(tmp_path / "nope.flac", minor_analysis)
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    with pytest.raises(AudioError, match="not supported"):
        plan_tags(txt, minor_analysis)
