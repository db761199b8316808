"""Fast tests of the demo generator's parts (no full demo rendering)."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from heartsong.demo import find_soundfont, generate, load_ground_truth
from heartsong.demo import render as render_mod
from heartsong.demo.compose import THEMES, TRACKS, build_track
from heartsong.demo.episodes import EPISODES
from heartsong.demo.score import Score
from heartsong.demo.speech import SPEAKERS, utterance
from heartsong.demo.theory import Key, chord_pitches, melody_beats, parse_melody, realize
from heartsong.errors import HeartsongError, ParameterError

SOUNDFONT_OK = any(p.is_file() for p in render_mod._FALLBACKS)
needs_sf = pytest.mark.skipif(not SOUNDFONT_OK, reason="no GM SoundFont installed")


def _spec(title: str):
    return next(t for t in TRACKS if t.title == title)


# ------------------------------------------------------------------ theory
def test_chords_and_degrees() -> None:
    c = Key.of("C major")
    assert chord_pitches("I", c, base=48) == [48, 52, 55]
    assert chord_pitches("vi", c, base=48) == [57, 60, 64]
    assert chord_pitches("vii", c, base=48)[0] % 12 == 11
    assert [p % 12 for p in chord_pitches("VI", Key.of("A minor"))] == [5, 9, 0]
    assert [p % 12 for p in chord_pitches("bII", Key.of("F minor"))] == [6, 10, 1]
    assert [p % 12 for p in chord_pitches("V7", Key.of("E major"))] == [11, 3, 6, 9]
    eb = Key.of("Eb major")
    assert eb.degree(1, base=60) == 63 and eb.degree(5, -1, base=60) == 58


def test_melody_in_minor_keeps_rhythm_and_contour() -> None:
    notes = parse_melody(THEMES["love"].melody)
    major = realize(notes, Key.of("Eb major"))
    minor = realize(notes, Key.of("C minor"))
    assert [(s, d) for s, d, _ in major] == [(s, d) for s, d, _ in minor]
    # Same contour (direction of every step), different scale.
    sign = lambda xs: [np.sign(b - a) for a, b in itertools.pairwise(xs)]  # noqa: E731
    assert sign([p for *_, p in major]) == sign([p for *_, p in minor])
    assert {p % 12 for *_, p in minor} <= {0, 2, 3, 5, 7, 8, 10}


def test_themes_are_whole_bars_and_bad_tokens_fail() -> None:
    for tid, theme in THEMES.items():
        if theme.melody:
            meter = 3 if tid == "morning" else 4
            assert melody_beats(parse_melody(theme.melody)) % meter == 0, tid
    with pytest.raises(ParameterError):
        parse_melody("1:1 x:2")


# ------------------------------------------------------------------ composition
def test_every_track_has_definite_tempo_key_and_length() -> None:
    for spec in TRACKS:
        s = build_track(spec, 0)
        seconds = s.seconds(s.length) + s.tail
        assert 90 <= seconds <= 190, (spec.title, seconds)
        assert 50 <= s.bpm <= 160 and s.key.mode in ("major", "minor")
        assert s.sections and s.sections[0].start == 0
        # Never a one-bar loop: plenty of distinct bars in the lead-bearing parts.
        bars = {
            tuple(
                (round(n.start % (s.meter * 8), 3), n.pitch)
                for n in p.notes
                if int(n.start // s.meter) == b
            )
            for p in s.parts
            if not p.drums
            for b in range(int(s.length // s.meter))
        }
        assert len(bars) > 20, spec.title


def test_instrumental_version_is_the_same_arrangement() -> None:
    vocal = build_track(_spec("Where the Light Falls"), 0)
    inst = build_track(_spec("Where the Light Falls (Inst.)"), 0)
    assert vocal.length == inst.length and vocal.bpm == inst.bpm
    assert vocal.parts[0].vocal and not inst.parts[0].vocal
    assert vocal.parts[0].program != inst.parts[0].program
    assert vocal.parts[0].notes == inst.parts[0].notes
    for a, b in zip(vocal.parts[1:], inst.parts[1:], strict=True):
        assert a.notes == b.notes and a.program == b.program
    assert [dataclasses.astuple(x) for x in vocal.sections] == [
        dataclasses.astuple(x) for x in inst.sections
    ]


def test_action_theme_quotes_the_opening_fragment() -> None:
    opening = build_track(_spec("Letters to the Rain (Main Title)"), 0)
    action = build_track(_spec("Chase Across the River"), 0)
    ref = next(s for s in opening.statements if s.theme == "opening")
    ref_frag = [(s, d, p) for s, d, p in ref.pitches if s - ref.start < 8]
    quotes = [s for s in action.statements if s.theme == "opening"]
    assert len(quotes) >= 1
    for q in quotes:
        assert q.fragment == (0, 8)
        assert action.bpm != opening.bpm and q.key.tonic != ref.key.tonic
        shift = {(p2 - p1) % 12 for (_, _, p1), (_, _, p2) in zip(ref_frag, q.pitches, strict=True)}
        assert shift == {(q.key.tonic - ref.key.tonic) % 12}
        ratio = action.bpm / opening.bpm
        for (s1, d1, _), (s2, d2, _) in zip(ref_frag, q.pitches, strict=True):
            # Same note values in beats, so real durations scale by 1 / tempo ratio.
            assert d2 * action.spb == pytest.approx(d1 * opening.spb / ratio)
            assert (s2 - q.start) == pytest.approx(s1 - ref.start)


def test_minor_variation_restates_love_theme() -> None:
    var = build_track(_spec("A Letter Never Sent"), 0)
    love = build_track(_spec("Where the Light Falls"), 0)
    ref = next(s for s in love.statements if s.theme == "love")
    full = [s for s in var.statements if s.theme == "love" and s.fragment is None]
    assert var.key.mode == "minor" and var.bpm < love.bpm and len(full) == 2
    for st in full:
        assert [d for _, d, _ in st.pitches] == [d for _, d, _ in ref.pitches]


def test_distractors_share_key_and_instruments_not_melody() -> None:
    for dtitle, other in (
        ("Paper Boats", "Letters to the Rain (Main Title)"),
        ("Quiet Streets", "Where the Light Falls"),
    ):
        d, o = build_track(_spec(dtitle), 0), build_track(_spec(other), 0)
        assert d.key == o.key
        assert {p.program for p in d.parts} & {p.program for p in o.parts}
        dmel = [p for _, _, p in d.statements[0].pitches]
        for st in o.statements:
            omel = [p for _, _, p in st.pitches]
            intervals = lambda m: [b - a for a, b in itertools.pairwise(m)]  # noqa: E731
            assert intervals(dmel)[:8] != intervals(omel)[:8]


def test_cue_sheets_fit_the_tracks() -> None:
    for ep in EPISODES:
        assert 180 <= ep.duration <= 360
        for cue in ep.cues:
            assert 3 <= cue.end - cue.start <= 90
            if cue.track:
                s = build_track(TRACKS[cue.track - 1], 0)
                assert cue.offset + cue.end - cue.start <= s.seconds(s.length) + s.tail


# ------------------------------------------------------------------ determinism
def _tiny(score: Score, beats: float = 8.0) -> Score:
    small = dataclasses.replace(score, length=beats, tail=0.5, parts=[])
    for p in score.parts:
        q = dataclasses.replace(p, notes=[n for n in p.notes if n.start < beats])
        q.controls = [c for c in p.controls if c[0] < beats]
        q.bends = [b for b in p.bends if b[0] < beats]
        small.parts.append(q)
    return small


@needs_sf
def test_rendering_is_bit_identical(tmp_path: Path) -> None:
    # Composed and rendered twice from scratch: vocal lead with bends, piano, strings.
    score = _tiny(build_track(_spec("Where the Light Falls"), 3), beats=24.0)
    again = _tiny(build_track(_spec("Where the Light Falls"), 3), beats=24.0)
    a = render_mod.render_score(score, soundfont=find_soundfont())
    b = render_mod.render_score(again, soundfont=find_soundfont())
    assert a.shape == (2, score.duration_samples(44100)) and a.dtype == np.float32
    assert np.abs(a).max() > 0.05
    assert np.array_equal(a, b)
    from heartsong.audio import write

    write(tmp_path / "a.flac", a, sr=44100)
    write(tmp_path / "b.flac", b, sr=44100)
    assert (tmp_path / "a.flac").read_bytes() == (tmp_path / "b.flac").read_bytes()


def test_composition_and_speech_are_deterministic() -> None:
    for spec in TRACKS[:4]:
        assert build_track(spec, 5) == build_track(spec, 5)
    assert build_track(TRACKS[7], 1).statements != build_track(TRACKS[7], 2).statements
    u1 = utterance(SPEAKERS["A"], 2.0, sr=22050, rng=np.random.default_rng(4))
    u2 = utterance(SPEAKERS["A"], 2.0, sr=22050, rng=np.random.default_rng(4))
    assert np.array_equal(u1, u2)


# ------------------------------------------------------------------ API errors
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": "1"}, "seed"),
        ({"seed": True}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"force": "yes"}, "force"),
        ({"progress": 3}, "progress"),
    ],
)
def test_bad_arguments_raise_parameter_error(tmp_path: Path, kwargs: dict, name: str) -> None:
    with pytest.raises(ParameterError) as err:
        generate(tmp_path / "demo", **kwargs)
    assert err.value.name == name


def test_bad_out_dir(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    for bad in (f, 42, ""):
        with pytest.raises(ParameterError) as err:
            generate(bad)  # type: ignore[arg-type]
        assert err.value.name == "out_dir"
    with pytest.raises(TypeError):
        generate(tmp_path, 0)  # type: ignore[misc]  # keyword-only


def test_find_soundfont(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sf = tmp_path / "my.sf2"
    sf.write_bytes(b"RIFF")
    monkeypatch.setenv("HEARTSONG_SOUNDFONT", str(sf))
    assert find_soundfont() == sf
    monkeypatch.setenv("HEARTSONG_SOUNDFONT", str(tmp_path / "missing.sf2"))
    monkeypatch.setattr(render_mod, "_FALLBACKS", (tmp_path / "nope.sf2",))
    with pytest.raises(HeartsongError, match="fluid-soundfont-gm"):
        find_soundfont()


def test_load_ground_truth_errors(tmp_path: Path) -> None:
    with pytest.raises(HeartsongError, match="not found"):
        load_ground_truth(tmp_path / "ground_truth.json")
    (tmp_path / "ground_truth.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(HeartsongError, match="not a heartsong demo"):
        load_ground_truth(tmp_path)
    (tmp_path / "ground_truth.json").write_text("{oops")
    with pytest.raises(HeartsongError, match="cannot read"):
        load_ground_truth(tmp_path)
    with pytest.raises(ParameterError):
        load_ground_truth(3)  # type: ignore[arg-type]
