"""Episodes: album cues mixed with synthetic dialogue and effects, plus their ground truth.

Every time in the cue sheets below is on a 10 ms grid (441 samples at 44.1 kHz), so each
boundary is an exact sample and the ground truth matches the rendered audio exactly.

Mixing rules (documented in the ground truth as well):

- a cue is ``album_track[track_offset : track_offset + (end - start)]`` (album master
  samples) times ``10 ** (gain_db / 20)`` times its envelope;
- the envelope is a linear fade-in over ``fade_in`` seconds from ``start``, a linear
  fade-out over the last ``fade_out`` seconds before ``end``, times the ducking gain;
- ducking lowers music by :data:`DUCK_DB` while dialogue is spoken (lines closer than
  1 s are merged), reaching full depth at the span start and recovering at its end, with
  :data:`DUCK_RAMP`-second linear ramps *outside* the span;
- silence spans are exactly zero before encoding;
- if the sum would clip, the whole episode is trimmed and every cue's ``gain_db`` in the
  ground truth includes that trim (``master_gain_db`` of the episode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from heartsong.demo.sfx import EFFECTS
from heartsong.demo.speech import Line, dialogue

__all__ = ["DUCK_DB", "DUCK_RAMP", "EPISODES", "CueSpec", "EpisodeSpec", "MixResult", "mix_episode"]

DUCK_DB = -10.0
DUCK_RAMP = 0.3
_CEILING = 0.97  # episode sample-peak ceiling before encoding


@dataclass(frozen=True)
class CueSpec:
    """One music cue: an album track number (0 = the foreign piece), times in seconds."""

    track: int
    start: float
    end: float
    offset: float = 0.0
    gain_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0


@dataclass(frozen=True)
class EpisodeSpec:
    """The cue sheet of one episode."""

    number: int
    title: str
    ext: str
    video: bool
    duration: float
    cues: tuple[CueSpec, ...]
    scenes: tuple[tuple[float, float], ...]  # dialogue windows
    effects: tuple[tuple[str, float, float], ...]  # (kind, start, seconds)
    silences: tuple[tuple[float, float], ...]


EPISODES: tuple[EpisodeSpec, ...] = (
    EpisodeSpec(
        1,
        "The First Letter",
        ".mkv",
        True,
        240.0,
        cues=(
            CueSpec(1, 0.0, 45.0, 0.0, 0.0, 0.0, 4.0),
            CueSpec(11, 55.0, 110.0, 40.0, -4.0, 5.0, 6.0),  # starts mid-track
            CueSpec(9, 104.0, 170.0, 0.0, -2.0, 6.0, 5.0),  # cross-fades with the one above
            CueSpec(0, 175.0, 216.0, 2.0, -9.0, 1.0, 3.0),  # foreign: a radio in a bar
            CueSpec(2, 213.0, 240.0, 100.25, 0.0, 3.0, 4.0),  # end credits: second chorus
        ),
        scenes=((52.0, 88.0), (130.0, 160.0), (181.0, 209.0)),
        effects=(("rain", 49.0, 46.0), ("footsteps", 118.0, 8.0), ("door slam", 126.5, 1.2)),
        silences=((45.0, 49.0), (170.0, 175.0)),
    ),
    EpisodeSpec(
        2,
        "Across the River",
        ".mp4",
        True,
        270.0,
        cues=(
            CueSpec(1, 0.0, 20.0, 0.0, -1.0, 0.0, 3.0),  # the main title again
            CueSpec(5, 50.0, 94.0, 0.0, -3.0, 8.0, 2.0),
            CueSpec(4, 93.0, 168.0, 10.0, -1.0, 1.0, 3.0),  # cross-fades with the one above
            CueSpec(7, 180.0, 242.0, 0.0, -6.0, 3.0, 5.0),
            CueSpec(3, 239.0, 270.0, 30.0, -2.0, 3.0, 4.0),
        ),
        scenes=((25.0, 54.0), (177.0, 232.0)),
        effects=(
            ("wind", 23.0, 33.0),
            ("footsteps", 70.0, 8.0),
            ("door slam", 80.0, 1.2),
            ("car pass-by", 110.0, 6.0),
            ("car pass-by", 140.0, 6.0),
            ("phone ring", 172.5, 4.0),
        ),
        silences=((20.0, 23.0), (168.0, 172.0)),
    ),
    EpisodeSpec(
        3,
        "Still I Wait",
        ".flac",
        False,
        205.0,
        cues=(
            CueSpec(9, 36.0, 96.0, 20.0, -3.0, 4.0, 6.0),
            CueSpec(5, 97.0, 101.0, 62.0, 0.0, 0.05, 1.0),  # a 4-second sting
            CueSpec(6, 112.0, 200.0, 40.0, -2.0, 8.0, 10.0),
        ),
        scenes=((2.0, 30.0), (50.0, 80.0), (104.0, 130.0)),
        effects=(
            ("rain", 0.0, 32.0),
            ("thunder", 12.0, 5.0),
            ("door slam", 101.5, 1.2),
            ("footsteps", 103.0, 6.0),
        ),
        silences=((33.0, 36.0), (200.0, 205.0)),
    ),
)


@dataclass
class MixResult:
    """The mixed episode and everything the ground truth needs about it."""

    audio: np.ndarray  # (2, n) float32
    lines: list[Line] = field(default_factory=list)
    effects: list[tuple[str, int, int]] = field(default_factory=list)  # kind, start, end (samples)
    ducks: list[list[tuple[int, int]]] = field(default_factory=list)  # per cue, samples
    master_db: float = 0.0  # whole-mix trim applied to avoid clipping (already in the audio)


def _duck_regions(lines: list[Line], sr: int) -> list[tuple[int, int]]:
    regions: list[tuple[int, int]] = []
    for ln in sorted(lines, key=lambda x: x.start):
        if regions and ln.start - regions[-1][1] < sr:
            regions[-1] = (regions[-1][0], max(regions[-1][1], ln.end))
        else:
            regions.append((ln.start, ln.end))
    return regions


def _envelope(
    cue: CueSpec, n: int, sr: int, ducks: list[tuple[int, int]], s0: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    env = np.ones(n, dtype=np.float64)
    fi, fo = round(cue.fade_in * sr), round(cue.fade_out * sr)
    if fi:
        env[:fi] *= np.arange(fi) / fi
    if fo:
        env[n - fo :] *= (fo - 1 - np.arange(fo)) / fo
    duck = np.zeros(n)  # depth in dB, 0 = none
    ramp = round(DUCK_RAMP * sr)
    used: list[tuple[int, int]] = []
    for a, b in ducks:
        a0, b0 = a - s0, b - s0
        if b0 + ramp <= 0 or a0 - ramp >= n:
            continue
        if max(a, s0) < min(b, s0 + n):
            used.append((max(a, s0), min(b, s0 + n)))
        shape = np.zeros(b0 - a0 + 2 * ramp)
        shape[:ramp] = np.arange(ramp) / ramp
        shape[ramp : ramp + b0 - a0] = 1.0
        shape[ramp + b0 - a0 :] = 1.0 - np.arange(ramp) / ramp
        lo, hi = a0 - ramp, b0 + ramp
        c0, c1 = max(0, lo), min(n, hi)
        duck[c0:c1] = np.minimum(duck[c0:c1], DUCK_DB * shape[c0 - lo : c1 - lo])
    return env * 10 ** (duck / 20), used


def mix_episode(
    spec: EpisodeSpec, tracks: dict[int, np.ndarray], *, sr: int, seed: int
) -> MixResult:
    """Mix one episode.

    Parameters
    ----------
    spec : EpisodeSpec
        The cue sheet.
    tracks : dict
        Album masters by track number (0 = the foreign piece), ``(2, n)`` float32.
    sr : int
        Sample rate of the masters and of the result.
    seed : int
        Demo seed; dialogue and effects draw from a generator seeded by it and the
        episode number.

    Returns
    -------
    MixResult
        The audio, the dialogue lines, effect spans, ducking spans per cue and the
        master trim.

    Raises
    ------
    ValueError
        A cue runs past the end of its track, or a silence span is not silent (both are
        errors in the cue sheet, not in the input).
    """
    rng = np.random.default_rng(seed * 100 + spec.number)
    total = round(spec.duration * sr)
    y = np.zeros((2, total), dtype=np.float64)
    res = MixResult(audio=np.zeros(0, np.float32))
    for a, b in spec.scenes:
        res.lines += dialogue(a, b, sr=sr, rng=rng)
    for ln in res.lines:
        y[:, ln.start : ln.end] += ln.audio
    regions = _duck_regions(res.lines, sr)
    for cue in spec.cues:
        s0, s1 = round(cue.start * sr), round(cue.end * sr)
        off = round(cue.offset * sr)
        src = tracks[cue.track]
        if off + (s1 - s0) > src.shape[1]:
            raise ValueError(f"cue {cue} runs past the end of track {cue.track}")
        env, used = _envelope(cue, s1 - s0, sr, regions, s0)
        res.ducks.append(used)
        y[:, s0:s1] += src[:, off : off + s1 - s0] * (10 ** (cue.gain_db / 20)) * env
    for kind, start, seconds in spec.effects:
        fx = EFFECTS[kind](seconds, sr=sr, rng=rng)
        a = round(start * sr)
        y[:, a : a + fx.shape[1]] += fx
        res.effects.append((kind, a, a + fx.shape[1]))
    for a, b in spec.silences:
        if np.any(y[:, round(a * sr) : round(b * sr)]):
            raise ValueError(f"episode {spec.number}: silence {a}-{b} is not silent")
    peak = float(np.abs(y).max())
    if peak > _CEILING:
        # Trim the whole mix rather than clip; the ground truth adds this trim to every
        # cue's gain, so "gain relative to the album master" stays exact.
        res.master_db = 20 * math.log10(_CEILING / peak)
        y *= _CEILING / peak
    res.audio = y.astype(np.float32)
    return res
