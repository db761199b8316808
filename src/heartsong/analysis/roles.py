"""The role a track plays in a soundtrack, with a confidence and a reason.

Roles: opening theme, ending theme, love theme, action theme, ballad, anthem, suspense cue,
ambient/score cue, instrumental version.

Evidence, strongest first:

1. An instrumental mark in the title ("(Inst.)", "(Instrumental)", "Off Vocal", "Karaoke",
   "- MR"...) makes an *instrumental version*; ``of_song`` is the title without the mark
   (once the theme graph exists it will say so from the audio).
2. A title word gives 0.6–0.8 confidence on its own, confirmed or weakened by the audio:
   "Opening", "OP", "Main Title", "Main Theme", "Title Theme", "Theme Song", "Prologue"
   (opening theme); "Ending", "End Credits", "Epilogue", "Finale" (ending theme); "Love",
   "Romance", "Kiss", "Wedding" (love theme); "Battle", "Fight", "Chase", "Boss", "War",
   "Escape", "Showdown" (action theme); "Suspense", "Danger", "Mystery", "Shadows",
   "Creeping" (suspense cue); "Ballad", "Lullaby", "Serenade", "Farewell", "Tears"
   (ballad); "Anthem", "Hymn", "March", "Victory", "Glory", "Heroes" (anthem);
   "Interlude", "Ambience", "Underscore", "BGM", "1M3"-style cue numbers (score cue).
3. The audio, from the moods (:mod:`.moods`), vocals (vibenet's instrumentalness < 0.5),
   tempo, energy, tonality and *length*. Albums put songs (love themes, ballads) at song
   length, 2.5–5 min, while underscore cues mostly run 1–2.5 min, so "song length"
   (``long`` below: 0 at 130 s, 1 at 170 s) separates a featured theme from a tender cue:

   ==================  ================================================================
   role                audio score
   ==================  ================================================================
   action theme        0.8 x action mood
   suspense cue        0.75 x tense/suspense mood
   love theme          0.75 x romantic x (0.4 + 0.6 long); with vocals 0.3 + 0.5 x
                       romantic (a love song)
   ballad              0.75 x sad x slow (< 100 BPM) x (0.3 + 0.7 long), sad =
                       max(tear-jerker, melancholic); with vocals 0.3 + 0.2 gentle +
                       0.15 slow + 0.2 sad
   anthem              (0.5 triumphant + 0.3 hopeful + 0.2 steady major 95–140 BPM
                       pulse) x (0.4 + 0.6 high energy); with vocals 0.25 + 0.25 strong
                       + 0.15 major + 0.1 bright valence
   opening theme       vocals only: 0.35 + 0.25 energetic + 0.2 TV-size (80–100 s)
   ambient/score cue   0.35 (the default for instrumental underscore) + 0.15 weak pulse
                       + 0.15 low energy + 0.1 weak tonality + 0.1 cue length (< 150 s)
                       + 0.1 soft
   ==================  ================================================================

   A gentle, warm instrumental of cue length is therefore a score cue, not a love theme:
   on an OST album most tender pieces are underscore, and the love theme is the one
   that is featured (titled, sung, or developed at song length).

The audio-only confidence grows with the winning score and its margin over the runner-up.

Examples
--------
>>> from heartsong.analysis.roles import classify_role, RoleInputs
>>> r = classify_role(RoleInputs(title="Main Theme (Instrumental)", energy=0.6, valence=0.6,
...                              duration=150.0, moods={}))
>>> r.name, r.of_song
('instrumental version', 'Main Theme')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from heartsong.analysis.result import Role, rnd

__all__ = ["ROLES", "RoleInputs", "classify_role", "instrumental_base_title"]

ROLES = (
    "opening theme",
    "ending theme",
    "love theme",
    "action theme",
    "ballad",
    "anthem",
    "suspense cue",
    "ambient/score cue",
    "instrumental version",
)

_INSTRUMENTAL = re.compile(
    r"\s*[\(\[\-–—~]\s*(inst\.?|instrumental(\s+ver(sion|\.)?)?|off[\s\-]?vocal|karaoke|"
    r"backing\s+track|mr)\s*[\)\]~]?\s*$",
    re.IGNORECASE,
)
_TITLE_RULES: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("opening theme", re.compile(r"\b(opening|op\d*|main\s+title|title\s+theme|intro(duction)?"
                                 r"|main\s+theme|theme\s+song|prologue)\b", re.I), 0.8),
    ("ending theme", re.compile(r"\b(ending|ed\d*|end\s+credits?|credits|epilogue|finale)\b",
                                re.I), 0.8),
    ("love theme", re.compile(r"\b(love|romance|kiss|sweetheart|amour|wedding)\b", re.I), 0.75),
    ("action theme", re.compile(r"\b(battle|fight|chase|combat|boss|attack|war|duel|escape|"
                                r"showdown|assault|clash)\b", re.I), 0.75),
    ("suspense cue", re.compile(r"\b(suspense|tension|danger|dread|threat|mystery|sinister|"
                                r"stalk\w*|creep\w*|shadow\w*|lurk\w*)\b", re.I), 0.7),
    ("ballad", re.compile(r"\b(ballad|lullaby|serenade|farewell|tears?|goodbye)\b", re.I), 0.7),
    ("anthem", re.compile(r"\b(anthem|hymn|march|victory|glory|triumph\w*|heroes?)\b", re.I),
     0.7),
    ("ambient/score cue", re.compile(r"\b(ambien\w*|atmospher\w*|interlude|drone|underscore|"
                                     r"bgm|cue|1m\d+|\dm\d+)\b", re.I), 0.6),
)


def instrumental_base_title(title: str) -> str | None:
    """The song title without an "(Instrumental)"-style mark, or None if unmarked."""
    m = _INSTRUMENTAL.search(title.strip())
    if not m:
        return None
    return title.strip()[: m.start()].strip() or None


@dataclass(frozen=True)
class RoleInputs:
    energy: float
    valence: float
    duration: float
    moods: dict[str, float] = field(default_factory=dict)
    title: str | None = None
    instrumentalness: float | None = None
    bpm: float = 0.0
    tempo_confidence: float = 0.0
    mode: str = "major"
    key_clarity: float = 0.0
    intensity_mean: float = 0.5


def _ramp(x: float, lo: float, hi: float) -> float:
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def _audio_scores(x: RoleInputs) -> dict[str, tuple[float, str]]:
    inst = x.instrumentalness
    vocal = None if inst is None else inst < 0.5
    m = x.moods
    e, v = x.energy, x.valence
    romantic = m.get("romantic", 0.0)
    sad = max(m.get("tear-jerker", 0.0), m.get("melancholic/longing", 0.0))
    long = _ramp(x.duration, 130.0, 170.0)
    length = f"{x.duration:.0f} s" + (" (song length)" if long >= 0.5 else " (cue length)")
    clear = x.tempo_confidence >= 0.4 and x.bpm > 0
    slow = clear and x.bpm < 100
    high_e = _ramp(e, 0.36, 0.52)
    out: dict[str, tuple[float, str]] = {}
    if vocal:
        tv = 80.0 <= x.duration <= 100.0
        out["opening theme"] = (
            0.35 + 0.25 * (e > 0.45) + 0.2 * tv,
            f"vocals, energy {e:.2f}" + (f", TV-size length {x.duration:.0f} s" if tv else ""),
        )
        out["ballad"] = (
            0.3 + 0.2 * (e < 0.38) + 0.15 * slow + 0.2 * sad,
            f"vocals, gentle energy {e:.2f}, {x.bpm:.0f} BPM, sad mood {sad:.2f}",
        )
        out["anthem"] = (
            0.25 + 0.25 * (e > 0.45) + 0.15 * (x.mode == "major") + 0.1 * (v > 0.55),
            f"vocals, strong energy {e:.2f}, {x.mode} key, valence {v:.2f}",
        )
        out["love theme"] = (0.3 + 0.5 * romantic,
                             f"vocals, romantic mood {romantic:.2f}, {x.mode} key")
    else:
        inst_txt = "instrumental" if vocal is False else "no vocals detected"
        out["love theme"] = (
            0.75 * romantic * (0.4 + 0.6 * long),
            f"{inst_txt}, romantic mood {romantic:.2f}, {length}",
        )
        out["ballad"] = (
            0.75 * sad * slow * (0.3 + 0.7 * long),
            f"{inst_txt}, sad mood {sad:.2f}, {x.bpm:.0f} BPM, {length}",
        )
        steady = float(clear and x.mode == "major" and 95 <= x.bpm <= 140)
        anthem = (0.5 * m.get("triumphant/epic", 0.0) + 0.3 * m.get("hopeful/uplifting", 0.0)
                  + 0.2 * steady)
        out["anthem"] = (
            anthem * (0.4 + 0.6 * high_e),
            f"triumphant mood {m.get('triumphant/epic', 0):.2f}, hopeful "
            f"{m.get('hopeful/uplifting', 0):.2f}, energy {e:.2f}, {x.mode} key, "
            f"{x.bpm:.0f} BPM",
        )
    out["action theme"] = (0.8 * m.get("action", 0),
                           f"action mood {m.get('action', 0):.2f}, energy {e:.2f}, "
                           f"{x.bpm:.0f} BPM")
    out["suspense cue"] = (0.75 * m.get("tense/suspense", 0),
                           f"tense mood {m.get('tense/suspense', 0):.2f}, valence {v:.2f}")
    amb = (0.35 * (not vocal) + 0.15 * (x.tempo_confidence < 0.4) + 0.15 * (e < 0.35)
           + 0.1 * (x.key_clarity < 0.6) + 0.1 * (long < 0.5) + 0.1 * (x.intensity_mean < 0.4))
    out["ambient/score cue"] = (
        amb,
        f"{'instrumental underscore, ' if not vocal else ''}"
        f"{'weak' if x.tempo_confidence < 0.4 else 'clear'} pulse "
        f"(confidence {x.tempo_confidence:.2f}), energy {e:.2f}, "
        f"tonal clarity {x.key_clarity:.2f}, {length}",
    )
    return out


def classify_role(x: RoleInputs) -> Role:
    """Pick the most likely role; see the module docstring."""
    audio = _audio_scores(x)
    title = (x.title or "").strip()
    base = instrumental_base_title(title) if title else None
    if base is not None or (title and x.instrumentalness is not None and x.instrumentalness > 0.9
                            and re.search(r"\binstrumental\b", title, re.I)):
        conf = 0.85 if x.instrumentalness is None else 0.7 + 0.25 * x.instrumentalness
        return Role(
            name="instrumental version",
            confidence=rnd(min(conf, 0.95), 3),
            reason=f'title marks an instrumental ("{title}")'
            + (f", instrumentalness {x.instrumentalness:.2f}"
               if x.instrumentalness is not None else ""),
            of_song=base,
        )
    for role, pattern, weight in _TITLE_RULES:
        mt = pattern.search(title) if title else None
        if mt:
            a_score, a_reason = audio.get(role, (0.3, "no audio cue for this role"))
            conf = weight + 0.15 * (a_score - 0.4)
            return Role(
                name=role,
                confidence=rnd(min(0.95, max(0.4, conf)), 3),
                reason=f'title says "{mt.group(0)}"; audio: {a_reason}',
            )
    role, (score, reason) = max(audio.items(), key=lambda kv: kv[1][0])
    ranked = sorted((s for s, _ in audio.values()), reverse=True)
    margin = ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)
    conf = min(0.85, max(0.1, 0.5 * score + 0.8 * margin))
    return Role(name=role, confidence=rnd(conf, 3), reason=f"audio: {reason}")
