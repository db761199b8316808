"""Orchestration: compose and render the album, mix the episodes, write files and truth."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from heartsong.audio import write
from heartsong.demo.compose import FOREIGN, THEMES, TRACKS, TrackSpec, build_track
from heartsong.demo.episodes import (
    DUCK_DB,
    DUCK_RAMP,
    EPISODES,
    CueSpec,
    EpisodeSpec,
    MixResult,
    mix_episode,
)
from heartsong.demo.render import SR, find_soundfont, render_score
from heartsong.demo.score import Score, Statement
from heartsong.errors import HeartsongError, ParameterError

__all__ = ["GENERATOR_VERSION", "DemoResult", "generate", "load_ground_truth"]

# Bump whenever the music, the mix or the schema changes: cached demos are regenerated.
GENERATOR_VERSION = "1"
SCHEMA_VERSION = 1
SERIES = "Letters to the Rain"
ALBUM = {
    "title": "Letters to the Rain (Original Television Soundtrack)",
    "album_artist": "Various Artists",
    "genre": "Soundtrack",
    "date": "2024",
    "disc": 1,
}
Progress = Callable[[int, int, str], None]


def _fingerprint() -> str:
    """Hash of this package's sources: a cached demo made by other code is stale even if
    someone forgot to bump :data:`GENERATOR_VERSION`."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        if f.name == "check.py":  # scores results; does not shape the audio
            continue
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class DemoResult:
    """Where the demo lives and what it contains."""

    root: Path
    album_dir: Path
    episodes_dir: Path
    ground_truth_path: Path
    ground_truth: dict[str, Any]


def load_ground_truth(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a demo's ``ground_truth.json``.

    Parameters
    ----------
    path : str or PathLike
        The JSON file, or the demo directory containing it.

    Returns
    -------
    dict

    Raises
    ------
    ParameterError
        ``path`` is not a path.
    HeartsongError
        Missing or unreadable file, or not a heartsong demo ground truth.
    """
    if not isinstance(path, str | os.PathLike):
        raise ParameterError("path", f"must be a path, got {type(path).__name__}")
    p = Path(path)
    if p.is_dir():
        p = p / "ground_truth.json"
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeartsongError(f"{p}: ground truth not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise HeartsongError(f"{p}: cannot read ground truth: {exc}") from exc
    if not isinstance(data, dict) or data.get("generator") != "heartsong.demo":
        raise HeartsongError(f"{p}: not a heartsong demo ground truth")
    return data


def _t(x: float) -> float:
    # Times are sample positions divided by the rate; 6 decimals keep them exact to
    # well under a sample while staying readable.
    return round(float(x), 6)


def _track_file(spec: TrackSpec) -> str:
    return f"album/{spec.number:02d} - {spec.title}.flac"


def _episode_file(spec: EpisodeSpec) -> str:
    return f"episodes/{SERIES} - S01E{spec.number:02d} - {spec.title}{spec.ext}"


def _instrument_names(score: Score) -> list[str]:
    return [p.name for p in score.parts]


def _statement(
    st: Statement, score: Score, ref: Statement, ref_score: Score, is_ref: bool
) -> dict[str, Any]:
    ratio = (score.bpm / st.stretch) / (ref_score.bpm / ref.stretch)
    # Octave-equivalent tonic shift in -5..+6 semitones; ``mode`` says if the scale changed.
    shift = ((st.key.tonic - ref.key.tonic + 5) % 12) - 5
    frag = None
    if st.fragment is not None:
        b0, b1 = st.fragment
        frag = {
            "beats": [b0, b1],
            "reference_seconds": [
                _t(b0 * ref.stretch * ref_score.spb),
                _t(b1 * ref.stretch * ref_score.spb),
            ],
        }
    return {
        "theme": st.theme,
        "start": _t(score.seconds(st.start)),
        "end": _t(score.seconds(st.end)),
        "tempo_ratio": round(ratio, 6),
        "transposition": shift,
        "key": st.key.name,
        "mode": st.key.mode,
        "fragment": frag,
        "instrument": st.part,
        "reference": is_ref,
    }


def _reference(scores: dict[str, Score]) -> dict[str, tuple[Statement, Score]]:
    refs: dict[str, tuple[Statement, Score]] = {}
    for tid, theme in THEMES.items():
        home = scores[theme.home]
        first = next(s for s in home.statements if s.theme == tid)
        refs[tid] = (first, home)
    return refs


def _track_truth(
    spec: TrackSpec, score: Score, n: int, refs: dict[str, tuple[Statement, Score]]
) -> dict[str, Any]:
    vocal = any(p.vocal for p in score.parts)
    themes = []
    for st in score.statements:
        ref, ref_score = refs[st.theme]
        themes.append(_statement(st, score, ref, ref_score, st is ref))
    return {
        "file": _track_file(spec),
        "title": spec.title,
        "artist": spec.artist,
        "album": ALBUM["title"],
        "album_artist": ALBUM["album_artist"],
        "composer": spec.composer,
        "genre": ALBUM["genre"],
        "track": spec.number,
        "disc": ALBUM["disc"],
        "role": spec.role,
        "moods": list(spec.moods),
        "tempo": score.bpm,
        "meter": score.meter,
        "key": score.key.name,
        "mode": score.key.mode,
        "vocal": vocal,
        "instrumental": not vocal,
        "instrumental_of": spec.instrumental_of,
        "duration": _t(n / SR),
        "music_start": _t(score.lead_in),
        "music_end": _t(score.seconds(score.length)),
        "instruments": _instrument_names(score),
        # General MIDI [bank, program] per instrument (bank 128 = drum kit).
        "gm_programs": [[p.bank, p.program] for p in score.parts],
        "sections": [
            {
                "name": s.name,
                "start": _t(score.seconds(s.start)),
                "end": _t(score.seconds(s.end)),
                "key": s.key.name,
                "mode": s.key.mode,
            }
            for s in score.sections
        ],
        "themes": themes,
    }


def _theme_truth(refs: dict[str, tuple[Statement, Score]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tid, (st, score) in refs.items():
        spec = next(t for t in TRACKS if t.title == score.title)
        t0 = score.seconds(st.start)
        out[tid] = {
            "name": THEMES[tid].name,
            "melody": THEMES[tid].melody or None,
            "home_track": score.title,
            "reference": {
                "file": _track_file(spec),
                "start": _t(t0),
                "end": _t(score.seconds(st.end)),
                "tempo": score.bpm,
                "key": st.key.name,
                "mode": st.key.mode,
                "instrument": st.part,
            },
            # (onset, duration) in seconds from the reference statement start, MIDI pitch.
            "notes": [[_t(score.seconds(s) - t0), _t(d * score.spb), p] for s, d, p in st.pitches],
        }
    return out


def _cue_themes(track: dict[str, Any], cue: CueSpec) -> list[dict[str, Any]]:
    # Theme statements of the track that sound during the cue, in episode seconds.
    t0, t1 = cue.offset, cue.offset + (cue.end - cue.start)
    out = []
    for occ in track["themes"]:
        a, b = max(occ["start"], t0), min(occ["end"], t1)
        if a < b:
            out.append(
                {
                    "theme": occ["theme"],
                    "start": _t(cue.start + a - t0),
                    "end": _t(cue.start + b - t0),
                    "complete": occ["start"] >= t0 and occ["end"] <= t1,
                    "tempo_ratio": occ["tempo_ratio"],
                    "transposition": occ["transposition"],
                    "mode": occ["mode"],
                }
            )
    return out


def _episode_truth(
    spec: EpisodeSpec, mix: MixResult, foreign: Score, tracks: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    cues, foreign_spans = [], []
    for cue, ducks in zip(spec.cues, mix.ducks, strict=True):
        item: dict[str, Any] = {
            "start": _t(cue.start),
            "end": _t(cue.end),
            "track_offset": _t(cue.offset),
            "gain_db": round(cue.gain_db + mix.master_db, 6),
            "fade_in": _t(cue.fade_in),
            "fade_out": _t(cue.fade_out),
            "ducking": [
                {"start": _t(a / SR), "end": _t(b / SR), "gain_db": DUCK_DB} for a, b in ducks
            ],
        }
        if cue.track == 0:
            foreign_spans.append(
                {
                    "title": foreign.title,
                    "description": "swing jazz combo from a radio, not on the album",
                    **item,
                }
            )
        else:
            t = TRACKS[cue.track - 1]
            cues.append(
                {
                    "track": t.title,
                    "file": _track_file(t),
                    "track_number": t.number,
                    **item,
                    "themes": _cue_themes(tracks[t.number], cue),
                }
            )
    return {
        "file": _episode_file(spec),
        "number": spec.number,
        "title": spec.title,
        "series": SERIES,
        "duration": _t(mix.audio.shape[1] / SR),
        "video": spec.video,
        "master_gain_db": round(mix.master_db, 6),
        "cues": cues,
        "dialogue": [
            {"start": _t(ln.start / SR), "end": _t(ln.end / SR), "speaker": ln.speaker}
            for ln in mix.lines
        ],
        "effects": [{"start": _t(a / SR), "end": _t(b / SR), "kind": k} for k, a, b in mix.effects],
        "silence": [{"start": _t(a), "end": _t(b)} for a, b in spec.silences],
        "foreign_music": foreign_spans,
    }


def _up_to_date(root: Path, seed: int) -> dict[str, Any] | None:
    gt_path = root / "ground_truth.json"
    if not gt_path.is_file():
        return None
    try:
        gt = load_ground_truth(gt_path)
    except HeartsongError:
        return None
    if (
        gt.get("seed") != seed
        or gt.get("generator_version") != GENERATOR_VERSION
        or gt.get("generator_fingerprint") != _fingerprint()
    ):
        return None
    files = [t["file"] for t in gt.get("tracks", [])] + [e["file"] for e in gt.get("episodes", [])]
    if not files or not all((root / f).is_file() and (root / f).stat().st_size > 0 for f in files):
        return None
    return gt


def _check_args(out_dir: object, seed: object, force: object, progress: object) -> None:
    if not isinstance(out_dir, str | os.PathLike) or str(out_dir) == "":
        raise ParameterError("out_dir", f"must be a non-empty path, got {out_dir!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**31:
        raise ParameterError("seed", f"must be an integer in [0, 2**31), got {seed!r}")
    if not isinstance(force, bool):
        raise ParameterError("force", f"must be True or False, got {force!r}")
    if progress is not None and not callable(progress):
        raise ParameterError("progress", "must be a callable(done, total, label) or None")
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ParameterError("out_dir", f"{out_dir} exists and is not a directory")


def generate(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    force: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    """Compose, render and write the demo soundtrack, its episodes and the ground truth.

    Parameters
    ----------
    out_dir : str or PathLike
        Output directory (created if needed). Gets ``album/``, ``episodes/`` and
        ``ground_truth.json``.
    seed : int
        Everything is a deterministic function of the seed: same seed, same samples (and
        byte-identical FLAC/MP4 files; Matroska files carry random container UIDs).
    force : bool
        Regenerate even if an up-to-date demo for this seed is already there.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each step.

    Returns
    -------
    DemoResult

    Raises
    ------
    ParameterError
        A bad argument.
    HeartsongError
        No General MIDI SoundFont, or the ``tinysoundfont`` package is missing.

    Examples
    --------
    >>> from heartsong.demo import generate
    >>> demo = generate("/tmp/heartsong-demo")  # doctest: +SKIP
    >>> len(demo.ground_truth["tracks"]), len(demo.ground_truth["episodes"])  # doctest: +SKIP
    (11, 3)
    """
    _check_args(out_dir, seed, force, progress)
    seed = int(seed)
    root = Path(out_dir)
    album_dir, episodes_dir = root / "album", root / "episodes"
    gt_path = root / "ground_truth.json"
    if not force and (cached := _up_to_date(root, seed)) is not None:
        return DemoResult(root, album_dir, episodes_dir, gt_path, cached)
    try:
        import tinysoundfont  # noqa: F401
    except ImportError as exc:
        raise HeartsongError(
            "the demo needs the 'tinysoundfont' package: pip install --no-deps tinysoundfont"
        ) from exc
    soundfont = find_soundfont()
    total = len(TRACKS) + 1 + len(EPISODES)
    done = 0

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    album_dir.mkdir(parents=True, exist_ok=True)
    episodes_dir.mkdir(parents=True, exist_ok=True)
    if gt_path.exists():
        gt_path.unlink()  # a half-written demo must never look complete
    needed = {c.track for e in EPISODES for c in e.cues}
    scores: dict[str, Score] = {}
    by_number: dict[int, Score] = {}
    masters: dict[int, np.ndarray] = {}
    lengths: dict[int, int] = {}
    for spec in TRACKS:
        score = build_track(spec, seed)
        y = render_score(score, soundfont=soundfont)
        tags = {
            "title": spec.title,
            "artist": spec.artist,
            "album": ALBUM["title"],
            "album_artist": ALBUM["album_artist"],
            "composer": spec.composer,
            "genre": ALBUM["genre"],
            "track": f"{spec.number}/{len(TRACKS)}",
            "disc": f"{ALBUM['disc']}/1",
            "date": ALBUM["date"],
        }
        write(root / _track_file(spec), y, sr=SR, tags=tags)
        scores[spec.title], by_number[spec.number] = score, score
        lengths[spec.number] = y.shape[1]
        if spec.number in needed:
            masters[spec.number] = y
        step(f"track {spec.number}: {spec.title}")
    foreign = build_track(FOREIGN, seed)
    masters[0] = render_score(foreign, soundfont=soundfont)
    step(f"foreign music: {foreign.title}")
    refs = _reference(scores)
    tracks = [_track_truth(s, by_number[s.number], lengths[s.number], refs) for s in TRACKS]
    episodes = []
    for ep in EPISODES:
        mix = mix_episode(ep, masters, sr=SR, seed=seed)
        tags = {
            "title": ep.title,
            "album": SERIES,
            "artist": SERIES,
            "track": str(ep.number),
            "genre": "Drama",
        }
        write(root / _episode_file(ep), mix.audio, sr=SR, tags=tags, video=ep.video)
        episodes.append(_episode_truth(ep, mix, foreign, {t["track"]: t for t in tracks}))
        step(f"episode {ep.number}: {ep.title}")
    gt: dict[str, Any] = {
        "generator": "heartsong.demo",
        "generator_version": GENERATOR_VERSION,
        "generator_fingerprint": _fingerprint(),
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "sample_rate": SR,
        "soundfont": soundfont.name,
        "album": {**ALBUM, "dir": "album", "tracks": len(TRACKS)},
        "mixing": {
            "fades": "linear in amplitude",
            "duck_db": DUCK_DB,
            "duck_ramp": DUCK_RAMP,
            "gain_db": "relative to the album master, before fades and ducking",
        },
        "themes": _theme_truth(refs),
        "tracks": tracks,
        "episodes": episodes,
        "foreign_music": [
            {
                "title": foreign.title,
                "tempo": foreign.bpm,
                "key": foreign.key.name,
                "mode": foreign.key.mode,
                "in_album": False,
            }
        ],
    }
    tmp = gt_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(gt, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(gt_path)
    return DemoResult(root, album_dir, episodes_dir, gt_path, gt)
