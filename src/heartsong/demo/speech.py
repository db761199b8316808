"""Synthetic dialogue: speech-like audio without any recorded voice.

A source-filter model in the spirit of a formant synthesizer:

- a glottal pulse train (Rosenberg pulse shape) following a declining intonation contour
  with stressed-syllable bumps, jitter and an occasional question rise;
- a cascade of four formant resonators whose frequencies glide between vowel targets,
  updated every 5 ms;
- fricative and plosive noise at syllable onsets, syllable-rate amplitude envelopes,
  short word gaps and breathing pauses between lines.

It is not intelligible, but it has what a speech/music discriminator and a dialogue
detector look at: a 3-6 Hz syllabic modulation, harmonic voiced segments with moving
formants, noisy consonants and pauses. Two speakers differ in pitch and vocal tract size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

__all__ = ["SPEAKERS", "Line", "Speaker", "dialogue", "utterance"]

# Peterson & Barney style averages (F1-F4, Hz) for an adult male vocal tract.
_VOWELS = {
    "a": (730, 1090, 2440, 3400),
    "e": (530, 1840, 2480, 3500),
    "i": (300, 2250, 3000, 3600),
    "o": (570, 840, 2410, 3300),
    "u": (320, 900, 2240, 3300),
    "@": (500, 1500, 2500, 3500),
    "ae": (660, 1720, 2410, 3400),
}
_BW = (80.0, 100.0, 140.0, 220.0)
_FRAME = 0.005  # formant update period (s)


@dataclass(frozen=True)
class Speaker:
    """A synthetic voice: mean pitch, vocal-tract scale (>1 = shorter tract), pace."""

    name: str
    f0: float
    tract: float
    rate: float  # syllables per second
    breath: float  # aspiration noise level


SPEAKERS: dict[str, Speaker] = {
    "A": Speaker("Joon", f0=108.0, tract=1.0, rate=4.6, breath=0.04),
    "B": Speaker("Hana", f0=212.0, tract=1.17, rate=5.2, breath=0.07),
}


@dataclass(frozen=True)
class Line:
    """One line of dialogue placed in an episode: sample positions and speaker id."""

    start: int
    end: int
    speaker: str
    audio: np.ndarray  # mono float32, length end - start


def _resonator(f: float, bw: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    # Klatt-style unity-DC-gain two-pole resonator.
    r = np.exp(-np.pi * bw / sr)
    b1 = 2 * r * np.cos(2 * np.pi * f / sr)
    b2 = -r * r
    return np.array([1.0 - b1 - b2]), np.array([1.0, -b1, -b2])


def utterance(speaker: Speaker, seconds: float, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Synthesize one line of about ``seconds`` seconds.

    Parameters
    ----------
    speaker : Speaker
        The voice.
    seconds : float
        Target length (the result is within a syllable of it).
    sr : int
        Sample rate.
    rng : np.random.Generator
        Source of every random choice (syllables, vowels, jitter).

    Returns
    -------
    np.ndarray
        Mono float32 at about -20 dBFS RMS, starting and ending on sound (no silence
        padding), so its extent is exactly the spoken span.
    """
    # ---- plan syllables: (start, length, vowel, onset consonant, stress)
    plan: list[tuple[float, float, str, str, float]] = []
    t = 0.0
    vowels = list(_VOWELS)
    while t < seconds - 0.1 or len(plan) < 2:
        length = float(rng.uniform(0.7, 1.35)) / speaker.rate
        onset = str(rng.choice(["", "stop", "fric", "nasal", "", "stop"]))
        stress = float(rng.uniform(0.0, 1.0)) ** 2
        plan.append((t, length, str(rng.choice(vowels)), onset, stress))
        t += length
        if rng.uniform() < 0.22:  # word boundary with a small gap
            t += float(rng.uniform(0.04, 0.12))
    total = t
    n = int(total * sr)
    times = np.arange(n) / sr

    # ---- pitch: declination, stress bumps, jitter, optional question rise
    f0 = speaker.f0 * (1.12 - 0.25 * times / total)
    for start, length, _v, _o, stress in plan:
        center = start + 0.45 * length
        f0 *= 1.0 + 0.14 * stress * np.exp(-0.5 * ((times - center) / (0.35 * length)) ** 2)
    if rng.uniform() < 0.3:
        f0 *= 1.0 + 0.35 * np.clip((times - (total - 0.35)) / 0.35, 0, 1)
    slow = np.interp(times, np.linspace(0, total, 12), rng.normal(0, 0.015, 12))
    f0 *= 1.0 + slow + rng.normal(0, 0.004, n)
    phase = np.cumsum(f0 / sr) % 1.0
    # Rosenberg glottal flow: opening 40 %, closing 16 % of the period, then closed.
    flow = np.where(
        phase < 0.4,
        0.5 * (1 - np.cos(np.pi * phase / 0.4)),
        np.where(phase < 0.56, np.cos(np.pi * (phase - 0.4) / 0.32), 0.0),
    )
    # Flow derivative (lip radiation) with a gentle spectral tilt, as in modal voice.
    source = lfilter([1.0], [1.0, -0.7], np.diff(flow, prepend=0.0) * 20.0)
    source += speaker.breath * rng.standard_normal(n) * flow

    # ---- envelopes: voiced energy per syllable, noise bursts for consonants
    voiced = np.zeros(n)
    noise_env = np.zeros(n)
    for start, length, _v, onset, stress in plan:
        i0, i1 = int(start * sr), min(n, int((start + length) * sr))
        m = i1 - i0
        if m <= 0:
            continue
        cons = int(min(0.35 * length, 0.07) * sr) if onset else 0
        att, rel = int(0.025 * sr), int(0.05 * sr)
        env = np.ones(m - cons)
        a, r = min(att, env.size // 3), min(rel, env.size // 3)
        env[:a] = np.linspace(0, 1, a)
        env[env.size - r :] = np.linspace(1, 0, r)
        voiced[i0 + cons : i1] = env * (0.75 + 0.5 * stress)
        if onset == "fric":
            noise_env[i0 : i0 + cons] = np.hanning(cons) * 0.9
        elif onset == "stop" and cons > 0:
            burst = int(0.012 * sr)
            noise_env[i0 + cons - burst : i0 + cons] = np.linspace(1.0, 0.2, burst)
        elif onset == "nasal" and cons > 0:
            voiced[i0 : i0 + cons] = 0.35 * np.hanning(2 * cons)[:cons] + 0.2
    # ---- formant tracks: vowel targets at syllable centres, linear glides between
    centers = [s + 0.5 * ln for s, ln, *_ in plan]
    targets = np.array([_VOWELS[v] for _s, _l, v, *_ in plan], dtype=float) * speaker.tract
    hop = int(_FRAME * sr)
    frames = int(np.ceil(n / hop))
    ft = np.arange(frames) * _FRAME
    tracks = [np.interp(ft, centers, targets[:, k]) for k in range(4)]
    out = source * voiced
    zi = [np.zeros(2) for _ in range(4)]
    y = np.empty(n)
    for fi in range(frames):
        seg = out[fi * hop : (fi + 1) * hop]
        for k in range(4):
            b, a = _resonator(float(tracks[k][fi]), _BW[k] * speaker.tract, sr)
            seg, zi[k] = lfilter(b, a, seg, zi=zi[k])
        y[fi * hop : fi * hop + seg.size] = seg
    # Fricatives: high-passed noise, brighter for the smaller vocal tract.
    hiss = lfilter([1.0, -1.0], [1.0, -0.3], rng.standard_normal(n))
    y += 0.05 * hiss * noise_env
    y = lfilter([1.0, -0.9], [1.0], y)  # lip radiation / pre-emphasis
    nz = np.flatnonzero(np.abs(y) > 1e-4)
    y = y[nz[0] : nz[-1] + 1] if nz.size else y
    rms = float(np.sqrt(np.mean(y**2))) or 1.0
    y = y * (0.08 / rms)
    # Soft limiting of the rare glottal spikes, as any broadcast dialogue chain would.
    return (0.45 * np.tanh(y / 0.45)).astype(np.float32)


def dialogue(
    start: float,
    end: float,
    *,
    sr: int,
    rng: np.random.Generator,
    speakers: tuple[str, ...] = ("A", "B"),
) -> list[Line]:
    """Lines of a conversation filling ``[start, end]`` seconds, mostly alternating speakers.

    Parameters
    ----------
    start, end : float
        The scene, in seconds of the episode.
    sr : int
        Sample rate.
    rng : np.random.Generator
        Source of every random choice.
    speakers : tuple of str
        Keys of :data:`SPEAKERS` taking turns.

    Returns
    -------
    list of Line
        Lines start on a 10 ms grid; pauses of 0.3-1.2 s (sometimes 2 s or more) separate
        them, and the last one ends no later than ``end``.
    """
    lines: list[Line] = []
    t = start
    who = 0
    end_sample = int(round(end * sr))
    while t < end - 1.0:
        length = float(rng.uniform(1.2, 4.5))
        length = min(length, end - t - 0.2)
        if length < 0.8:
            break
        audio = utterance(SPEAKERS[speakers[who % len(speakers)]], length, sr=sr, rng=rng)
        s0 = int(round(round(t, 2) * sr))
        if s0 + audio.size > end_sample:
            audio = audio[: end_sample - s0]
            fade = min(audio.size, int(0.03 * sr))
            audio[audio.size - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
        lines.append(Line(s0, s0 + audio.size, speakers[who % len(speakers)], audio))
        t = (s0 + audio.size) / sr + float(rng.uniform(0.3, 1.2))
        if rng.uniform() < 0.12:
            t += 1.5
        who += 1 if rng.uniform() < 0.8 else 0
    return lines
