"""Seeded synthetic music, dialogue and effects for tests and benchmarks.

Nothing here is meant to sound good: it is meant to have the *statistics* that
matter to a fingerprinter (harmonic partials, note onsets, drums, chords) and to
the noise it must ignore (voiced speech with formants and pauses, fricatives,
broadband effects), reproducibly from a seed and with no data files.
"""

from __future__ import annotations

import numpy as np

from heartsong.errors import ParameterError

__all__ = ["effects", "music", "speech"]

_SCALES = (
    (0, 2, 4, 5, 7, 9, 11),  # major
    (0, 2, 3, 5, 7, 8, 10),  # natural minor
    (0, 2, 3, 5, 7, 9, 10),  # dorian
    (0, 3, 5, 7, 10),  # minor pentatonic
    (0, 2, 4, 7, 9),  # major pentatonic
)


def _check(duration: float, sr: int) -> int:
    if not duration > 0:
        raise ParameterError("duration", f"must be > 0, got {duration!r}")
    if not isinstance(sr, int) or sr < 4000:
        raise ParameterError("sr", f"must be an integer >= 4000, got {sr!r}")
    return int(round(duration * sr))


def _tone(
    out: np.ndarray, start: int, length: int, f0: float, amp: float, sr: int, partials: np.ndarray,
    attack: float, decay: float,
) -> None:
    end = min(out.size, start + length)
    if end <= start:
        return
    tt = np.arange(end - start) / sr
    env = np.minimum(1.0, tt / attack) * np.exp(-tt / decay)
    release = int(0.03 * sr)
    if end - start > release:
        env[-release:] *= np.linspace(1.0, 0.0, release)
    sig = np.zeros(end - start)
    for h, a in enumerate(partials, start=1):
        if f0 * h >= 0.45 * sr:
            break
        sig += a * np.sin(2 * np.pi * f0 * h * tt + h)
    out[start:end] += amp * env * sig


def music(seed: int, *, duration: float, sr: int = 22050, melody: bool = True) -> np.ndarray:
    """A seeded piece: melody, bass, chords and drums, peak normalised to 0.9.

    With ``melody=False`` the same piece without its melody (the same draws are made, so the
    rest is identical up to the normalisation): an instrumental mix of a song.

    Examples
    --------
    >>> y = music(1, duration=2.0, sr=8000)
    >>> y.shape, y.dtype, round(float(abs(y).max()), 2)
    ((16000,), dtype('float32'), 0.9)
    """
    n = _check(duration, sr)
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    bpm = rng.uniform(70, 150)
    beat = 60.0 / bpm
    scale = np.array(_SCALES[rng.integers(len(_SCALES))])
    root = 48 + int(rng.integers(0, 12))  # MIDI note of the key
    timbre = rng.uniform(0.2, 1.0, 8) / np.arange(1, 9) ** rng.uniform(0.6, 1.4)

    def hz(midi: float) -> float:
        return 440.0 * 2 ** ((midi - 69) / 12)

    # Melody: a random walk on the scale, note lengths in beat fractions.
    t = 0.0
    degree = int(rng.integers(0, len(scale)))
    while t < duration:
        length = beat * float(rng.choice([0.5, 0.5, 1.0, 1.0, 1.5, 2.0]))
        degree = int(np.clip(degree + rng.integers(-2, 3), 0, 2 * len(scale) - 1))
        octave, step = divmod(degree, len(scale))
        midi = root + 12 + 12 * octave + scale[step]
        if rng.random() > 0.1 and melody:
            _tone(out, int(t * sr), int(length * sr), hz(midi), 0.30, sr, timbre, 0.01, 0.6)
        t += length
    # Chords every bar (4 beats) and a bass note on each beat.
    bar = 4 * beat
    t = 0.0
    while t < duration:
        deg = int(rng.integers(0, len(scale)))
        chord = [scale[(deg + k) % len(scale)] + 12 * ((deg + k) // len(scale)) for k in (0, 2, 4)]
        for c in chord:
            _tone(out, int(t * sr), int(bar * sr), hz(root + c), 0.10, sr, timbre[:4], 0.05, 2.0)
        for b in range(4):
            _tone(
                out, int((t + b * beat) * sr), int(beat * sr), hz(root - 12 + chord[0]), 0.25,
                sr, np.array([1.0, 0.5, 0.25]), 0.005, 0.3,
            )
        t += bar
    # Drums: kick on 1 and 3, snare on 2 and 4, hats on eighths.
    hat = rng.standard_normal(int(0.04 * sr)) * np.exp(-np.arange(int(0.04 * sr)) / (0.01 * sr))
    hat = np.diff(hat, prepend=0.0)  # crude high-pass
    snare = rng.standard_normal(int(0.15 * sr)) * np.exp(-np.arange(int(0.15 * sr)) / (0.04 * sr))
    kt = np.arange(int(0.2 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * kt + 60 * (1 - np.exp(-kt / 0.03)) * 0.03)) * np.exp(-kt / 0.08)
    drums = rng.random() > 0.2
    k = 0
    while drums and k * beat / 2 < duration:
        pos = int(k * beat / 2 * sr)
        for sample, amp, when in ((kick, 0.5, k % 4 == 0), (snare, 0.15, k % 4 == 2),
                                  (hat, 0.08, True)):
            if when and pos < n:
                seg = sample[: n - pos]
                out[pos : pos + seg.size] += amp * seg
        k += 1
    out += 0.003 * rng.standard_normal(n)
    return (0.9 * out / np.max(np.abs(out))).astype(np.float32)


def speech(seed: int, *, duration: float, sr: int = 22050, talk: float = 0.8) -> np.ndarray:
    """Dialogue-like noise: voiced syllables with formants, fricatives and pauses.

    ``talk`` is the fraction of time someone speaks. RMS over the whole signal is 0.1.

    Examples
    --------
    >>> y = speech(0, duration=3.0, sr=8000)
    >>> round(float(np.sqrt(np.mean(y ** 2))), 3)
    0.1
    """
    n = _check(duration, sr)
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    t = 0.0
    while t < duration:
        if rng.random() > talk:
            t += rng.uniform(0.3, 2.0)  # pause
            continue
        f0_base = rng.uniform(90, 240)
        for _ in range(int(rng.integers(3, 12))):  # a phrase of syllables
            length = rng.uniform(0.12, 0.3)
            start, m = int(t * sr), int(length * sr)
            if start >= n:
                break
            m = min(m, n - start)
            tt = np.arange(m) / sr
            f0 = f0_base * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(2, 6) * tt + rng.random()))
            phase = 2 * np.pi * np.cumsum(f0) / sr
            formants = (rng.uniform(300, 850), rng.uniform(900, 2500), rng.uniform(2400, 3400))
            sig = np.zeros(m)
            for h in range(1, int(0.45 * sr / f0_base)):
                fh = h * f0_base
                a = sum(1.0 / (1 + ((fh - fc) / 90.0) ** 2) for fc in formants) / h**0.3
                sig += a * np.sin(h * phase)
            if rng.random() < 0.35:  # fricative onset
                fr = np.diff(rng.standard_normal(m), prepend=0.0) * 0.3
                sig += fr * np.exp(-tt / 0.05)
            env = np.sin(np.pi * np.arange(m) / m) ** 0.7
            out[start : start + m] += env * sig * rng.uniform(0.5, 1.0)
            t += length + rng.uniform(0.0, 0.08)
        t += rng.uniform(0.1, 0.6)
    rms = np.sqrt(np.mean(out**2))
    return (0.1 * out / rms if rms > 0 else out).astype(np.float32)


def effects(seed: int, *, duration: float, sr: int = 22050, rate: float = 0.2) -> np.ndarray:
    """Sound-effect-like noise: broadband bursts, rumbles and chirps, ``rate`` per second.

    RMS over the whole signal is 0.1 (0 when no event falls in ``duration``).
    """
    n = _check(duration, sr)
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    for _ in range(rng.poisson(rate * duration)):
        start = int(rng.uniform(0, duration) * sr)
        m = min(n - start, int(rng.uniform(0.1, 2.0) * sr))
        if m <= 0:
            continue
        tt = np.arange(m) / sr
        kind = rng.integers(3)
        if kind == 0:
            sig = rng.standard_normal(m) * np.exp(-tt / rng.uniform(0.05, 0.5))
        elif kind == 1:
            sig = np.cumsum(rng.standard_normal(m))
            sig = (sig - np.convolve(sig, np.ones(64) / 64, "same")) * np.exp(-tt / 0.8)
        else:
            f = rng.uniform(200, 2000) * np.exp(tt * rng.uniform(-2, 2))
            sig = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.hanning(m)
        out[start : start + m] += sig / (np.std(sig) + 1e-9)
    rms = np.sqrt(np.mean(out**2))
    return (0.1 * out / rms if rms > 0 else out).astype(np.float32)
