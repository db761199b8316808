from __future__ import annotations

import pytest

from heartsong.analysis.moods import MOODS, MoodInputs, score_moods
from heartsong.analysis.roles import RoleInputs, classify_role, instrumental_base_title


def top(m: MoodInputs) -> str:
    return max(score_moods(m), key=lambda s: s.score).name


def test_every_mood_scored_with_a_reason():
    scores = score_moods(MoodInputs(valence=0.5, energy=0.5))
    assert tuple(s.name for s in scores) == MOODS
    for s in scores:
        assert 0.0 <= s.score <= 1.0
        assert s.reason.strip()


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (MoodInputs(valence=0.15, energy=0.2, bpm=64, tempo_confidence=0.8, mode="minor",
                    key_confidence=0.9, key_clarity=0.85), {"melancholic/longing",
                                                            "tear-jerker"}),
        (MoodInputs(valence=0.5, energy=0.9, bpm=160, tempo_confidence=0.9, mode="minor",
                    key_confidence=0.8, key_clarity=0.8, onset_rate=7.0), {"action"}),
        (MoodInputs(valence=0.8, energy=0.85, bpm=120, tempo_confidence=0.9, mode="major",
                    key_confidence=0.9, key_clarity=0.9, intensity_max=0.95, n_builds=2,
                    loudness_range=9.0, onset_rate=3.0), {"triumphant/epic"}),
        (MoodInputs(valence=0.65, energy=0.15, bpm=70, tempo_confidence=0.6, mode="major",
                    key_confidence=0.8, key_clarity=0.8, intensity_mean=0.2,
                    onset_rate=1.0), {"calm/tender", "romantic"}),
        (MoodInputs(valence=0.85, energy=0.6, bpm=130, tempo_confidence=0.9, mode="major",
                    key_confidence=0.9, key_clarity=0.9, onset_rate=6.0), {"playful"}),
        (MoodInputs(valence=0.2, energy=0.45, bpm=90, tempo_confidence=0.1, mode="minor",
                    key_confidence=0.2, key_clarity=0.3), {"tense/suspense"}),
    ],
)
def test_mapping_picks_expected_top_mood(inputs, expected):
    assert top(inputs) in expected


def _scores(**kw) -> dict[str, float]:
    return {s.name: s.score for s in score_moods(MoodInputs(**kw))}


def test_romance_needs_expressive_swells():
    warm = dict(valence=0.55, energy=0.3, bpm=76, tempo_confidence=0.9, mode="major",
                key_confidence=0.9, key_clarity=0.9, onset_rate=1.5, intensity_mean=0.4)
    flat = _scores(**warm, loudness_range=1.5)
    swelling = _scores(**warm, loudness_range=8.0)
    assert swelling["romantic"] > flat["romantic"] + 0.1
    assert top(MoodInputs(**warm, loudness_range=1.5)) != "romantic"
    assert flat["calm/tender"] > swelling["calm/tender"]


def test_ostinato_reads_tense_and_slow_lament_reads_sad():
    dark = dict(valence=0.18, energy=0.34, tempo_confidence=0.95, mode="minor",
                key_confidence=0.7, onset_rate=2.0)
    assert top(MoodInputs(**dark, bpm=100, key_clarity=0.6, loudness_range=5.0)) == \
        "tense/suspense"
    assert top(MoodInputs(**dark, bpm=62, key_clarity=0.85, loudness_range=11.0)) in {
        "tear-jerker", "melancholic/longing"}


def test_action_needs_speed_and_energy():
    fast = _scores(valence=0.3, energy=0.5, bpm=150, tempo_confidence=0.95, mode="minor",
                   key_confidence=0.8, key_clarity=0.8, onset_rate=5.0)
    slow = _scores(valence=0.3, energy=0.5, bpm=70, tempo_confidence=0.95, mode="minor",
                   key_confidence=0.8, key_clarity=0.8, onset_rate=5.0)
    assert max(fast, key=fast.get) == "action"
    assert slow["action"] < fast["action"] - 0.2


def test_reason_quotes_the_numbers():
    s = {m.name: m for m in score_moods(MoodInputs(valence=0.12, energy=0.2, bpm=60,
                                                   tempo_confidence=0.9, mode="minor",
                                                   key_confidence=0.9))}
    assert "0.12" in s["melancholic/longing"].reason
    assert "minor" in s["melancholic/longing"].reason


def test_instrumental_title():
    assert instrumental_base_title("Sakura (Instrumental)") == "Sakura"
    assert instrumental_base_title("Sakura - Inst.") == "Sakura"
    assert instrumental_base_title("Instrumental Love") is None
    r = classify_role(RoleInputs(energy=0.5, valence=0.5, duration=200, title="Sakura (Off Vocal)",
                                 instrumentalness=0.97))
    assert r.name == "instrumental version" and r.of_song == "Sakura"
    assert r.confidence > 0.8 and "title" in r.reason


@pytest.mark.parametrize(
    ("title", "role"),
    [("Main Theme", "opening theme"), ("Love Theme", "love theme"),
     ("Final Battle", "action theme"), ("Creeping Shadows", "suspense cue")],
)
def test_role_from_title(title, role):
    r = classify_role(RoleInputs(energy=0.5, valence=0.5, duration=120, title=title))
    assert r.name == role
    assert title.split()[-1].lower() in r.reason.lower() or title.split()[0].lower() in \
        r.reason.lower()


def test_role_from_audio():
    action = classify_role(RoleInputs(energy=0.9, valence=0.4, duration=150,
                                      moods={"action": 0.9}, bpm=160, tempo_confidence=0.9,
                                      instrumentalness=0.95, key_clarity=0.8))
    assert action.name == "action theme" and action.reason.startswith("audio:")
    ambient = classify_role(RoleInputs(energy=0.15, valence=0.4, duration=150, moods={},
                                       tempo_confidence=0.1, key_clarity=0.3,
                                       intensity_mean=0.2, instrumentalness=0.95))
    assert ambient.name == "ambient/score cue"
    opening = classify_role(RoleInputs(energy=0.8, valence=0.7, duration=89, moods={},
                                       instrumentalness=0.1, bpm=150, tempo_confidence=0.9,
                                       key_clarity=0.8))
    assert opening.name == "opening theme" and "TV-size" in opening.reason
    ballad = classify_role(RoleInputs(energy=0.3, valence=0.4, duration=260, moods={},
                                      instrumentalness=0.1, bpm=70, tempo_confidence=0.9,
                                      key_clarity=0.8))
    assert ballad.name == "ballad"


def _gentle(duration: float, **kw) -> RoleInputs:
    base = dict(energy=0.3, valence=0.55, duration=duration, instrumentalness=0.9, bpm=76,
                tempo_confidence=0.95, mode="major", key_clarity=0.9, intensity_mean=0.45)
    return RoleInputs(**{**base, **kw})


def test_tender_cue_is_not_a_love_theme_unless_featured():
    moods = {"romantic": 0.9, "calm/tender": 0.8, "nostalgic": 0.85}
    cue = classify_role(_gentle(100.0, moods=moods))
    assert cue.name == "ambient/score cue" and "cue length" in cue.reason
    song = classify_role(_gentle(190.0, moods=moods))
    assert song.name == "love theme" and "song length" in song.reason
    titled = classify_role(_gentle(100.0, moods=moods, title="Love Theme"))
    assert titled.name == "love theme"
    sung = classify_role(_gentle(100.0, moods=moods, instrumentalness=0.1))
    assert sung.name == "love theme" and "vocals" in sung.reason


def test_sad_slow_song_is_a_ballad_and_sad_cue_is_score():
    moods = {"tear-jerker": 0.95, "melancholic/longing": 0.9, "tense/suspense": 0.6}
    kw = dict(moods=moods, valence=0.15, mode="minor", bpm=64)
    assert classify_role(_gentle(180.0, **kw)).name == "ballad"
    assert classify_role(_gentle(105.0, **kw)).name == "ambient/score cue"


def test_big_major_driving_piece_is_an_anthem():
    moods = {"triumphant/epic": 0.75, "hopeful/uplifting": 0.85, "playful": 0.8,
             "romantic": 0.4}
    r = classify_role(_gentle(115.0, moods=moods, energy=0.5, valence=0.7, bpm=128))
    assert r.name == "anthem" and "triumphant" in r.reason
    quiet = classify_role(_gentle(115.0, moods=moods, energy=0.33, valence=0.7, bpm=100))
    assert quiet.name == "ambient/score cue"
