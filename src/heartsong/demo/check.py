"""Score what heartsong found in the demo against the demo's ground truth.

Used by ``heartsong demo`` to show, on music whose answers are known, how well each
capability does: tempo, key, mood and role per track; every cue per episode.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from heartsong.analysis.library import stored_analysis
from heartsong.cues.evaluate import evaluate
from heartsong.cues.match import Cue
from heartsong.library import Library

__all__ = ["CueScore", "TrackScore", "mood_matches", "role_matches", "score_cues", "score_tracks"]

# The demo names some roles more finely than the analysis does.
_ROLE_ALIASES = {
    "distractor": "ambient/score cue",
    "score cue": "ambient/score cue",
    "ambient cue": "ambient/score cue",
    "ambient/score cue": "ambient/score cue",
}


def role_matches(truth: str, ours: str) -> bool:
    """Same role, allowing the demo's finer names (a distractor is a score cue).

    Examples
    --------
    >>> role_matches("distractor", "ambient/score cue"), role_matches("ballad", "anthem")
    (True, False)
    """
    t, o = truth.lower().strip(), ours.lower().strip()
    return _ROLE_ALIASES.get(t, t) == _ROLE_ALIASES.get(o, o)


def mood_matches(truth: str, ours: str) -> bool:
    """A fan word of the ground truth is one of the words of our mood name.

    Examples
    --------
    >>> mood_matches("tense", "tense/suspense"), mood_matches("calm", "romantic")
    (True, False)
    """
    words = {w.strip() for w in ours.lower().replace("-", " ").split("/")}
    return truth.lower().strip() in words or truth.lower().strip() == ours.lower().strip()


@dataclass(frozen=True)
class TrackScore:
    title: str
    role_truth: str
    role: str | None
    role_ok: bool
    tempo_truth: float
    tempo: float | None
    tempo_ok: bool  # within 4%
    tempo_octave: bool  # within 4% of double or half
    key_truth: str
    key: str | None
    key_ok: bool
    moods_truth: tuple[str, ...]
    moods: tuple[str, ...]  # our three strongest
    mood_ok: bool  # a true mood among our three strongest

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_tracks(lib: Library, truth: dict[str, Any], *, work: str) -> list[TrackScore]:
    """One row per ground-truth track, matched to the library by title."""
    tracks = {t.title: t for t in lib.tracks(work=work)}
    rows = []
    for g in truth["tracks"]:
        t = tracks.get(g["title"])
        a = stored_analysis(lib, t) if t is not None else None
        key_truth = f"{g['key']} {g['mode']}"
        if a is None:
            rows.append(
                TrackScore(
                    g["title"],
                    g["role"],
                    None,
                    False,
                    float(g["tempo"]),
                    None,
                    False,
                    False,
                    key_truth,
                    None,
                    False,
                    tuple(g["moods"]),
                    (),
                    False,
                )
            )
            continue
        bpm, ref = a.tempo.bpm, float(g["tempo"])
        top = tuple(m.name for m in sorted(a.moods, key=lambda m: -m.score)[:3])
        rows.append(
            TrackScore(
                title=g["title"],
                role_truth=g["role"],
                role=a.role.name,
                role_ok=role_matches(g["role"], a.role.name),
                tempo_truth=ref,
                tempo=bpm,
                tempo_ok=abs(bpm - ref) <= 0.04 * ref,
                tempo_octave=any(abs(bpm - f * ref) <= 0.04 * f * ref for f in (0.5, 2.0)),
                key_truth=key_truth,
                key=f"{a.key.tonic} {a.key.mode}",
                key_ok=_same_key(g["key"], g["mode"], a.key.tonic, a.key.mode),
                moods_truth=tuple(g["moods"]),
                moods=top,
                mood_ok=any(mood_matches(m, o) for m in g["moods"] for o in top),
            )
        )
    return rows


_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _pc(name: str) -> int:
    n = _PC[name[0].upper()]
    for ch in name[1:]:
        n += 1 if ch in "#♯" else -1 if ch in "b♭" else 0
    return n % 12


def _same_key(t_tonic: str, t_mode: str, tonic: str, mode: str) -> bool:
    # Enharmonic spellings (D# = Eb) name the same key.
    return _pc(t_tonic) == _pc(tonic) and t_mode == mode


@dataclass(frozen=True)
class CueScore:
    episode: str
    truth: int
    found: int
    matched: int
    precision: float
    recall: float
    f1: float
    start_error_median: float
    end_error_median: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_cues(
    lib: Library, truth: dict[str, Any], found: dict[int, list[Cue]], *, work: str
) -> list[CueScore]:
    """Cue-level precision/recall/F1 and boundary errors per episode (tracks by title)."""
    ids = {t.title: t.id for t in lib.tracks(work=work)}
    episodes = {e.number: e for e in lib.episodes(work=work)}
    rows = []
    for g in truth["episodes"]:
        e = episodes.get(g["number"])
        if e is None or e.id not in found:
            continue
        ref = [
            Cue(ids[c["track"]], start=c["start"], end=c["end"], track_start=c["track_offset"])
            for c in g["cues"]
            if c["track"] in ids
        ]
        # The truth knows no episode names; compare within this episode only.
        est = [replace(c, episode=None) for c in found[e.id]]
        m = evaluate(ref, est, duration=e.duration)
        rows.append(
            CueScore(
                episode=e.title,
                truth=len(ref),
                found=len(found[e.id]),
                matched=int(m["n_matched"]),
                precision=m["precision"],
                recall=m["recall"],
                f1=m["f1"],
                start_error_median=m["start_error_median"],
                end_error_median=m["end_error_median"],
            )
        )
    return rows
