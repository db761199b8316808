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
