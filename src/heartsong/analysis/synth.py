"""Small additive synthesiser for tests, benchmarks and the emotion sanity suite.

It renders a piece from musical parameters (key, mode, tempo, progression, instrument,
level, drums, articulation), so the *same* piece can be re-rendered faster, louder, in
minor or re-orchestrated, which is what the emotion sanity suite needs. Deterministic for
a given ``seed``. Not a model of real recordings: only a controlled test signal.

Examples
--------
>>> from heartsong.analysis.synth import Piece, render
>>> y = render(Piece(tonic=9, mode="minor", bpm=90, bars=4), sr=22050)
>>> y.dtype, round(len(y) / 22050, 2)
(dtype('float32'), 11.17)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.signal

__all__ = ["INSTRUMENTS", "Piece", "babble", "render", "replace"]

INSTRUMENTS = ("piano", "strings", "synth", "brass", "pad", "guitar")
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor; V chord raised to major below


@dataclass(frozen=True)
class Piece:
    """A piece to render.

    ``tonic`` is a pitch class (0 = C); ``progression`` lists scale degrees (0-based) of
    the chord of each bar, cycled; ``sections`` is a string of section letters, each
    ``bars`` long ("A" plain, "B" a louder and higher chorus, "C" a sparse bridge).
    ``level_db`` is the peak-normalised level; ``crescendo`` ramps the gain over the piece.
    ``staccato`` shortens notes; ``density`` is melody notes per beat (1, 2 or 4).
    """

    tonic: int = 0
    mode: str = "major"
    bpm: float = 120.0
    bars: int = 8
    progression: tuple[int, ...] = (0, 5, 3, 4)
    sections: str = "A"
    instrument: str = "piano"
    drums: bool = True
    level_db: float = -6.0
    crescendo: float = 0.0
    staccato: bool = False
    density: int = 2
    octave: int = 5
    seed: int = 0


def _partials(instrument: str) -> tuple[np.ndarray, float, float, float]:
    """(harmonic amplitudes, attack s, decay time constant s (0 = sustain), vibrato)."""
    k = np.arange(1, 13, dtype=np.float64)
    if instrument == "piano":
        return 1.0 / k[:10] ** 1.3, 0.005, 0.6, 0.0
    if instrument == "guitar":
        return 1.0 / k[:10] ** 1.1, 0.003, 0.35, 0.0
    if instrument == "strings":
        return 1.0 / k, 0.12, 0.0, 0.004
    if instrument == "synth":
        amp = np.where(k % 2 == 1, 1.0 / k, 0.0)
        return amp, 0.01, 0.0, 0.0
    if instrument == "brass":
        return np.exp(-0.25 * (k - 3) ** 2) + 0.3 / k, 0.04, 0.0, 0.002
    if instrument == "pad":
        return np.array([1.0, 0.3, 0.1]), 0.3, 0.0, 0.0
    raise ValueError(f"unknown instrument {instrument!r}")


def _note(buf: np.ndarray, sr: int, start: float, dur: float, midi: float, amp: float,
          instrument: str, rng: np.random.Generator) -> None:
    harm, attack, decay, vib = _partials(instrument)
    a = int(start * sr)
    n = int(dur * sr)
    if a >= buf.shape[0] or n <= 0:
        return
    n = min(n, buf.shape[0] - a)
    t = np.arange(n) / sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    phase = 2 * np.pi * f0 * t
    if vib:
        phase = phase + (vib * f0 / 5.0) * np.sin(2 * np.pi * 5.0 * t)
    sig = np.zeros(n)
    for h, g in enumerate(harm, start=1):
        if g < 1e-3 or h * f0 > sr / 2 - 500:
            continue
        sig += g * np.sin(h * phase + rng.uniform(0, 2 * np.pi))
    env = np.minimum(1.0, t / max(attack, 1e-4))
    if decay:
        env *= np.exp(-t / decay)
    rel = min(n, int(0.03 * sr))
    env[n - rel :] *= np.linspace(1, 0, rel)
    buf[a : a + n] += amp * sig * env / np.sum(harm)


def _drums(buf: np.ndarray, sr: int, beat: float, n_beats: int, rng: np.random.Generator,
           gain: float) -> None:
    for b in range(n_beats):
        t0 = b * beat
        # kick on 1 and 3, snare on 2 and 4, hats on eighths
        if b % 2 == 0:
            n = int(0.2 * sr)
            t = np.arange(n) / sr
            f = 50 + 60 * np.exp(-t / 0.03)
            kick = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.08)
            a = int(t0 * sr)
            m = min(n, buf.shape[0] - a)
            if m > 0:
                buf[a : a + m] += gain * 0.9 * kick[:m]
        else:
            n = int(0.15 * sr)
            t = np.arange(n) / sr
            snare = (rng.standard_normal(n) * 0.6 + np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.05)
            a = int(t0 * sr)
            m = min(n, buf.shape[0] - a)
            if m > 0:
                buf[a : a + m] += gain * 0.5 * snare[:m]
        for half in (0.0, 0.5):
            n = int(0.04 * sr)
            t = np.arange(n) / sr
            hat = np.diff(rng.standard_normal(n + 1)) * np.exp(-t / 0.01)
            a = int((t0 + half * beat) * sr)
            m = min(n, buf.shape[0] - a)
            if m > 0:
                buf[a : a + m] += gain * 0.12 * hat[:m]


def render(piece: Piece, *, sr: int = 22050) -> np.ndarray:
    """Render ``piece`` to a mono float32 signal peaking at ``piece.level_db`` dBFS."""
    rng = np.random.default_rng(piece.seed)
    scale = _MAJOR if piece.mode == "major" else _MINOR
    beat = 60.0 / piece.bpm
    bar = 4 * beat
    total_bars = piece.bars * len(piece.sections)
    n = int(total_bars * bar * sr) + int(0.5 * sr)
    buf = np.zeros(n)
    base = 12 * piece.octave + piece.tonic  # tonic midi (C5 = 60 when octave 5)
    # One melody per section letter, so repeated letters repeat exactly.
    melodies: dict[str, list[int]] = {}
    for letter in sorted(set(piece.sections)):
        mrng = np.random.default_rng(piece.seed * 31 + ord(letter))
        steps = mrng.choice([-2, -1, -1, 0, 1, 1, 2], size=piece.bars * 4 * piece.density)
        melodies[letter] = list(np.clip(np.cumsum(steps), -3, 9))

    def pitch(degree: int, octave_shift: int = 0) -> int:
        o, d = divmod(degree, 7)
        semis = scale[d]
        if piece.mode == "minor" and d == 6 and octave_shift == -99:
            semis = 11
        return base + 12 * (o + octave_shift) + semis

    for si, letter in enumerate(piece.sections):
        sec_gain = {"A": 0.7, "B": 1.0, "C": 0.45}.get(letter, 0.7)
        lift = 2 if letter == "B" else 0
        for b in range(piece.bars):
            bi = si * piece.bars + b
            t_bar = bi * bar
            degree = piece.progression[b % len(piece.progression)]
            chord = [degree, degree + 2, degree + 4]
            third_fix = piece.mode == "minor" and degree == 4  # harmonic-minor V
            for j, d in enumerate(chord):
                m = pitch(d, -1)
                if third_fix and j == 1:
                    m += 1
                _note(buf, sr, t_bar, bar * 0.98, m, 0.28 * sec_gain, piece.instrument, rng)
            _note(buf, sr, t_bar, bar * 0.98, pitch(degree, -2), 0.35 * sec_gain,
                  "piano" if piece.instrument != "pad" else "pad", rng)
            if letter == "C":
                continue
            mel = melodies[letter]
            step = beat / piece.density
            for k in range(4 * piece.density):
                d = int(mel[b * 4 * piece.density + k]) + lift
                dur = step * (0.35 if piece.staccato else 0.95)
                _note(buf, sr, t_bar + k * step, dur, pitch(d, 0), 0.32 * sec_gain,
                      piece.instrument, rng)
        if piece.drums and letter != "C":
            seg = np.zeros(n)
            _drums(seg, sr, beat, piece.bars * 4, rng, sec_gain)
            off = int(si * piece.bars * bar * sr)
            buf[off:] += seg[: n - off]
    if piece.crescendo:
        g = 10 ** (piece.crescendo * (np.linspace(0, 1, n) - 1) / 20)
        buf *= g
    peak = np.max(np.abs(buf)) or 1.0
    return (buf / peak * 10 ** (piece.level_db / 20)).astype(np.float32)


def babble(n: int, *, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """Dialogue-like signal: voiced syllables (glottal pulses through vowel formants).

    Returns unit-RMS float32 of length ``n``; scale it to the wanted speech-to-music ratio.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    t = 0
    formants = [(700, 1200), (300, 2300), (500, 900), (400, 2000), (600, 1700)]
    while t < n:
        syl = int(rng.uniform(0.12, 0.3) * sr)
        gap = int(rng.uniform(0.02, 0.15) * sr) if rng.random() < 0.8 else int(0.5 * sr)
        m = min(syl, n - t)
        f0 = rng.uniform(100, 220)
        tt = np.arange(m) / sr
        pulses = np.sign(np.sin(2 * np.pi * f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * tt)) * tt))
        pulses = np.diff(np.concatenate([[0.0], pulses]))
        f1, f2 = formants[rng.integers(len(formants))]
        sig = np.zeros(m)
        for fc, bw in ((f1, 80.0), (f2, 120.0)):
            r = np.exp(-np.pi * bw / sr)
            th = 2 * np.pi * fc / sr
            sig += scipy.signal.lfilter([1.0], [1.0, -2 * r * np.cos(th), r * r], pulses)
        out[t : t + m] = sig * np.hanning(m)
        t += m + gap
    rms = np.sqrt(np.mean(out**2)) or 1.0
    return (out / rms).astype(np.float32)
