"""Moods in soundtrack fans' words, each with a score in [0, 1] and a one-line reason.

Mapping
-------
Every mood is a weighted mean of soft memberships ("cues"); each cue is a number from the
analysis passed through a ramp. V = valence, E = energy (fused, 0..1), bpm = tempo,
major/minor = mode (scaled by key confidence), I = intensity curve, LRA = loudness range
(LU), onsets = detected note onsets per second, acoustic = vibenet's acousticness (0.5
when unknown), clarity = tonal clarity (correlation with the best key profile).

The fused energy scale is absolute, not per album: about 0.2 is a soft solo piano,
0.3-0.35 a gentle ensemble, 0.45-0.55 a loud, fast, drum-driven cue (orchestral albums
are mastered around -14 to -18 LUFS, so film-score energies sit lower than pop). "High
energy" therefore ramps up from 0.36 to 0.52 and "low energy" falls from 0.28 to 0.42.

=====================  ======================================================================
mood                   cues (weight); the first two are *essential* (see below)
=====================  ======================================================================
tear-jerker            low V < 0.3 (3), gentle E (2), minor (1.5), slow < 75-95 bpm (1.5),
                       swells: builds or LRA 6-12 (2), legato: < 2.5-4.5 onsets/s (1)
romantic               warm V 0.5-0.72 (2.5), expressive swells: builds or LRA 3-7 (2),
                       gentle E (2), major (1.5), unhurried 60-88 bpm (1.5), legato (1),
                       acoustic (0.5)
melancholic/longing    low V < 0.25-0.45 (3), low E (2.5), minor (2), slow (1), legato (1)
nostalgic              bittersweet V 0.4-0.6 (2.5), gentle E (2), mode ambiguous or major with
                       minor colour (1.5), acoustic (1.5), moderate 72-105 bpm (1)
hopeful/uplifting      bright V > 0.45-0.65 (3), lifting E 0.38-0.6 (2), major (2), rising:
                       builds or late intensity > early (1.5), moving 95-140 bpm (1)
triumphant/epic        high E (3), V > 0.4-0.6 (2), major (1.5), loud peaks: I max
                       0.45-0.65 (1.5), builds / wide dynamics (1.5)
tense/suspense         dark V < 0.3-0.5 (2.5), restrained E 0.25-0.5 (2), unclear tonality:
                       clarity < 0.55-0.85 (2), minor (1), restless: a walking-to-quick
                       84-130 bpm pulse (an ostinato) or no clear pulse (1.5)
action                 high E (3), fast > 110-140 bpm (2.5), percussive > 2.5-5.5 onsets/s
                       (2), driving (clear) pulse (1)
calm/tender            low E (3.5), V > 0.35-0.5 (2), soft: mean I < 0.35-0.55 (1.5), slow
                       (1.5), steady dynamics: LRA < 4-9 (1), sparse: < 2-4 onsets/s (1)
playful                cheerful V > 0.5-0.7 (3), lively E 0.4-0.7 (2), bouncy: > 2-4.5
                       onsets/s (2), major (1.5), moderate-fast 100-150 bpm (1)
=====================  ======================================================================

Score = weighted mean x (0.6 + 0.4 x the smaller of the two essential cues): one essential
cue flatly contradicting (x ~ 0) costs more than averaging would. In musical terms:
sadness needs low valence, romance needs warmth *and* expressive swells (a gentle major
piece with flat dynamics reads calm or nostalgic rather than romantic), action needs
energy *and* speed, playfulness needs cheer *and* a lively energy.

The reason names the three cues that pulled the score up most, with their numbers.

Examples
--------
>>> from heartsong.analysis.moods import score_moods, MoodInputs
>>> m = score_moods(MoodInputs(valence=0.2, energy=0.2, bpm=66, tempo_confidence=0.8,
...                            mode="minor", key_confidence=0.9, key_clarity=0.8))
>>> max(m, key=lambda s: s.score).name
'melancholic/longing'
"""

from __future__ import annotations

from dataclasses import dataclass

from heartsong.analysis.result import MoodScore, rnd

__all__ = ["MOODS", "MoodInputs", "score_moods"]

MOODS = (
    "tear-jerker",
    "romantic",
    "melancholic/longing",
    "nostalgic",
    "hopeful/uplifting",
    "triumphant/epic",
    "tense/suspense",
    "action",
    "calm/tender",
    "playful",
)


@dataclass(frozen=True)
class MoodInputs:
    """The numbers the mood mapping reads (all optional beyond V/E)."""

    valence: float
    energy: float
    bpm: float = 0.0
    tempo_confidence: float = 0.0
    mode: str = "major"
    key_confidence: float = 0.0
    key_clarity: float = 0.0
    mode_margin: float = 0.0
    intensity_mean: float = 0.5
    intensity_max: float = 0.5
    intensity_rise: float = 0.0  # late third minus early third
    n_builds: int = 0
    loudness_range: float = 0.0
    onset_rate: float = 2.0
    acousticness: float | None = None
    instrumentalness: float | None = None


def up(x: float, lo: float, hi: float) -> float:
    """0 below ``lo``, 1 above ``hi``, linear between."""
    if hi == lo:
        return float(x >= hi)
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def down(x: float, lo: float, hi: float) -> float:
    """1 below ``lo``, 0 above ``hi``."""
    return 1.0 - up(x, lo, hi)


def band(x: float, a: float, b: float, c: float, d: float) -> float:
    """Trapezoid: rises a..b, flat b..c, falls c..d."""
    return min(up(x, a, b), down(x, c, d))


Cue = tuple[float, float, str]  # (weight, membership, description)


def _cues(m: MoodInputs) -> dict[str, list[Cue]]:
    v, e = m.valence, m.energy
    kc = min(1.0, m.key_confidence / 0.6)
    major = (0.5 + 0.5 * kc) if m.mode == "major" else (0.5 - 0.5 * kc)
    minor = 1.0 - major
    key_txt = f"{m.mode} key"
    bpm_known = m.bpm > 0 and m.tempo_confidence >= 0.2
    bpm = m.bpm if bpm_known else 90.0
    bpm_txt = f"{m.bpm:.0f} BPM" if bpm_known else "no clear pulse"
    ac = 0.5 if m.acousticness is None else m.acousticness
    builds = min(1.0, m.n_builds / 1.0)
    swell = max(builds, up(m.loudness_range, 6.0, 12.0))
    expressive = max(builds, up(m.loudness_range, 3.0, 7.0))
    rising = max(up(m.intensity_rise, 0.02, 0.15), builds)
    pulse = up(m.tempo_confidence, 0.4, 0.8)
    restless = max(band(bpm, 72, 84, 130, 150) * pulse, down(m.tempo_confidence, 0.3, 0.7))
    vt, et = f"valence {v:.2f}", f"energy {e:.2f}"
    ons = f"{m.onset_rate:.1f} onsets/s"
    lra = f"LRA {m.loudness_range:.1f} LU, {m.n_builds} builds"
    gentle = band(e, 0.1, 0.18, 0.38, 0.5)
    high_e = up(e, 0.36, 0.52)
    low_e = down(e, 0.28, 0.42)
    legato = down(m.onset_rate, 2.5, 4.5)
    return {
        "tear-jerker": [
            (3, down(v, 0.3, 0.5), f"low {vt}"),
            (2, gentle, f"gentle {et}"),
            (1.5, minor, key_txt),
            (1.5, down(bpm, 75, 95), f"slow {bpm_txt}"),
            (2, swell, f"swells ({lra})"),
            (1, legato, f"legato ({ons})"),
        ],
        "romantic": [
            (2.5, band(v, 0.35, 0.5, 0.72, 0.85), f"warm {vt}"),
            (2, expressive, f"expressive swells ({lra})"),
            (2, gentle, f"gentle {et}"),
            (1.5, major, key_txt),
            (1.5, band(bpm, 50, 60, 88, 105), f"unhurried {bpm_txt}"),
            (1, down(m.onset_rate, 1.5, 3.5), f"legato ({ons})"),
            (0.5, ac, f"acoustic sound ({ac:.2f})"),
        ],
        "melancholic/longing": [
            (3, down(v, 0.25, 0.45), f"low {vt}"),
            (2.5, down(e, 0.3, 0.45), f"low {et}"),
            (2, minor, key_txt),
            (1, down(bpm, 80, 100), f"slow {bpm_txt}"),
            (1, legato, f"legato ({ons})"),
        ],
        "nostalgic": [
            (2.5, band(v, 0.3, 0.4, 0.6, 0.7), f"bittersweet {vt}"),
            (2, band(e, 0.1, 0.2, 0.45, 0.6), f"gentle {et}"),
            (1.5, max(down(abs(m.mode_margin), 0.03, 0.12), 0.6 * major),
             f"{key_txt} with mixed colour (mode margin {m.mode_margin:+.2f})"),
            (1.5, ac, f"acoustic sound ({ac:.2f})"),
            (1, band(bpm, 60, 72, 105, 120), f"moderate {bpm_txt}"),
        ],
        "hopeful/uplifting": [
            (3, up(v, 0.45, 0.65), f"bright {vt}"),
            (2, band(e, 0.28, 0.38, 0.6, 0.75), f"lifting {et}"),
            (2, major, key_txt),
            (1.5, rising, f"rises (late-minus-early intensity {m.intensity_rise:+.2f}, "
                          f"{m.n_builds} builds)"),
            (1, band(bpm, 80, 95, 140, 160), f"moving {bpm_txt}"),
        ],
        "triumphant/epic": [
            (3, high_e, f"high {et}"),
            (2, up(v, 0.4, 0.6), vt),
            (1.5, major, key_txt),
            (1.5, up(m.intensity_max, 0.45, 0.65), f"loud peaks (max intensity "
                                                    f"{m.intensity_max:.2f})"),
            (1.5, max(builds, up(m.loudness_range, 4.0, 10.0)), f"builds/dynamics ({lra})"),
        ],
        "tense/suspense": [
            (2.5, down(v, 0.3, 0.5), f"dark {vt}"),
            (2, band(e, 0.15, 0.25, 0.5, 0.65), f"restrained {et}"),
            (2, down(m.key_clarity, 0.55, 0.85), f"unclear tonality (clarity "
                                                  f"{m.key_clarity:.2f})"),
            (1, minor, key_txt),
            (1.5, restless, f"restless pulse ({bpm_txt}, confidence "
                            f"{m.tempo_confidence:.2f})"),
        ],
        "action": [
            (3, high_e, f"high {et}"),
            (2.5, up(bpm, 110, 140), f"fast {bpm_txt}"),
            (2, up(m.onset_rate, 2.5, 5.5), f"percussive ({ons})"),
            (1, pulse, f"driving pulse (confidence {m.tempo_confidence:.2f})"),
        ],
        "calm/tender": [
            (3.5, low_e, f"low {et}"),
            (2, up(v, 0.35, 0.5), vt),
            (1.5, down(m.intensity_mean, 0.35, 0.55), f"soft (mean intensity "
                                                       f"{m.intensity_mean:.2f})"),
            (1.5, down(bpm, 80, 105), f"slow {bpm_txt}"),
            (1, down(m.loudness_range, 4.0, 9.0), f"steady dynamics (LRA "
                                                   f"{m.loudness_range:.1f} LU)"),
            (1, down(m.onset_rate, 2.0, 4.0), f"sparse ({ons})"),
        ],
        "playful": [
            (3, up(v, 0.5, 0.7), f"cheerful {vt}"),
            (2, band(e, 0.28, 0.4, 0.7, 0.85), f"lively {et}"),
            (2, up(m.onset_rate, 2.0, 4.5), f"bouncy ({ons})"),
            (1.5, major, key_txt),
            (1, band(bpm, 90, 100, 150, 170), bpm_txt),
        ],
    }


def score_moods(m: MoodInputs) -> tuple[MoodScore, ...]:
    """Score all :data:`MOODS` (in that order) with a one-line reason each."""
    out = []
    for name, cues in _cues(m).items():
        total = sum(w for w, _, _ in cues)
        score = sum(w * x for w, x, _ in cues) / total
        # Geometric pull: one cue flatly contradicting (x ~ 0) costs more than averaging.
        worst = min(x for _, x, _ in cues[:2])
        score = score * (0.6 + 0.4 * worst)
        top = sorted(cues, key=lambda c: c[0] * c[1], reverse=True)
        good = [c[2] for c in top if c[1] >= 0.5][:3]
        bad = [c[2] for c in sorted(cues, key=lambda c: c[0] * (1 - c[1]), reverse=True)
               if c[1] < 0.3][:1]
        reason = ", ".join(good) if good else "few cues match"
        if bad:
            reason += f"; but {bad[0]}"
        out.append(MoodScore(name=name, score=rnd(score, 3), reason=reason))
    return tuple(out)

