"""Render a :class:`~heartsong.demo.score.Score` to stereo float32 with a GM SoundFont.

TinySoundFont has no reverb, so a synthetic stereo room (decaying noise impulse response,
fixed seed) is convolved afterwards; then every piece is mastered to the same loudness so
that "gain relative to the album master" means the same thing for every track.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.fft as sfft
from scipy.signal import lfilter

from heartsong.demo.score import Score
from heartsong.errors import HeartsongError

__all__ = ["SR", "find_soundfont", "master", "render_score", "reverb"]

SR = 44100
_FALLBACKS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
)
# Loudness target for every album track (RMS of the louder half of 400 ms blocks).
_TARGET_DB = -17.0
_PEAK = 10 ** (-1.0 / 20)  # -1 dBFS ceiling


def find_soundfont() -> Path:
    """Locate a General MIDI SoundFont.

    Looks at ``$HEARTSONG_SOUNDFONT``, then ``/usr/share/sounds/sf2/FluidR3_GM.sf2``, then
    ``/usr/share/sounds/sf2/default-GM.sf2``.

    Returns
    -------
    Path

    Raises
    ------
    HeartsongError
        No SoundFont found (install the Debian package ``fluid-soundfont-gm``).
    """
    env = os.environ.get("HEARTSONG_SOUNDFONT")
    candidates = ([Path(env)] if env else []) + list(_FALLBACKS)
    for c in candidates:
        if c.is_file():
            return c
    raise HeartsongError(
        "no General MIDI SoundFont found: set HEARTSONG_SOUNDFONT or install the Debian "
        "package fluid-soundfont-gm (apt-get install fluid-soundfont-gm)"
    )


def _events(
    score: Score, sr: int, channels: list[int]
) -> list[tuple[int, int, int, str, int, int, int]]:
    # (sample, priority, seq, kind, channel, a, b); note-offs sort before controls before
    # note-ons at the same sample, so repeated notes re-trigger cleanly.
    ev: list[tuple[int, int, int, str, int, int, int]] = []
    seq = 0
    for part, ch in zip(score.parts, channels, strict=True):
        for n in part.notes:
            on = score.sample_of(n.start, sr)
            off = max(on + 1, score.sample_of(n.start + n.dur, sr))
            ev.append((on, 2, seq, "on", ch, n.pitch, n.vel))
            ev.append((off, 0, seq, "off", ch, n.pitch, 0))
            seq += 1
        for beat, cc, val in part.controls:
            ev.append((score.sample_of(beat, sr), 1, seq, "cc", ch, cc, val))
            seq += 1
        for beat, val in part.bends:
            ev.append((score.sample_of(beat, sr), 1, seq, "bend", ch, val, 0))
            seq += 1
    ev.sort()
    return ev


def render_score(score: Score, *, soundfont: Path, sr: int = SR, dry: bool = False) -> np.ndarray:
    """Synthesize a score.

    Parameters
    ----------
    score : Score
        The piece.
    soundfont : Path
        A General MIDI ``.sf2`` file.
    sr : int
        Output sample rate.
    dry : bool
        Skip reverb and mastering (raw synthesizer output).

    Returns
    -------
    np.ndarray
        float32, shape ``(2, score.duration_samples(sr))``.
    """
    import tinysoundfont  # optional dependency: imported only when rendering

    synth = tinysoundfont.Synth(samplerate=sr)
    sfid = synth.sfload(str(soundfont), max_voices=192)
    channels: list[int] = []
    free = [c for c in range(16) if c != 9]
    for part in score.parts:
        # Drum kits go on GM channel 10 (index 9) first, melodic parts on the others.
        ch = 9 if part.drums and 9 not in channels else free.pop(0)
        channels.append(ch)
        synth.program_select(ch, sfid, part.bank, part.program, is_drums=part.drums)
        synth.control_change(ch, 7, part.volume)
        synth.control_change(ch, 10, part.pan)
        synth.control_change(ch, 11, 127)
    n = score.duration_samples(sr)
    buf = np.zeros(2 * n, dtype=np.float32)
    mv = memoryview(buf).cast("B")
    pos = 0
    for sample, _prio, _seq, kind, ch, a, b in _events(score, sr, channels):
        sample = min(sample, n)
        if sample > pos:
            synth.generate_simple(sample - pos, mv[pos * 8 : sample * 8])
            pos = sample
        if kind == "on":
            synth.noteon(ch, a, b)
        elif kind == "off":
            synth.noteoff(ch, a)
        elif kind == "cc":
            synth.control_change(ch, a, b)
        else:
            synth.pitchbend(ch, a)
    if pos < n:
        synth.generate_simple(n - pos, mv[pos * 8 : n * 8])
    y = buf.reshape(n, 2).T.copy()
    if dry:
        return y
    y = reverb(y, sr, seconds=score.reverb_seconds, wet=score.reverb_wet)
    # A short fade at the very end: the tail is cut, never clicked off.
    fade = min(n, int(0.5 * sr))
    y[:, n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return master(y, sr)


def _fft_convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = x.shape[-1] + h.shape[-1] - 1
    nfft = sfft.next_fast_len(n, real=True)
    spec = sfft.rfft(x, nfft, axis=-1) * sfft.rfft(h, nfft, axis=-1)
    return sfft.irfft(spec, nfft, axis=-1)[..., : x.shape[-1]].astype(np.float32)


def reverb(y: np.ndarray, sr: int, *, seconds: float, wet: float, seed: int = 7) -> np.ndarray:
    """Add a synthetic stereo room: exponentially decaying, low-passed noise.

    Parameters
    ----------
    y : np.ndarray
        ``(2, n)`` float32.
    sr : int
        Sample rate.
    seconds : float
        RT60 (time for the tail to decay by 60 dB).
    wet : float
        Level of the reverberant signal relative to the dry one (0 = dry).
    seed : int
        Seed of the impulse-response noise (fixed: the room is part of the sound).

    Returns
    -------
    np.ndarray
        ``(2, n)`` float32, same length (the tail beyond ``n`` is dropped).
    """
    if wet <= 0 or seconds <= 0:
        return y.astype(np.float32)
    rng = np.random.default_rng(seed)
    length = int(seconds * sr)
    t = np.arange(length) / sr
    env = np.exp(-6.91 * t / seconds)  # -60 dB at t = seconds
    noise = rng.standard_normal((2, length)) * env
    # Darker tail: air and walls absorb the highs first.
    noise = lfilter([0.35], [1.0, -0.65], noise, axis=-1)
    predelay = int(0.018 * sr)
    ir = np.zeros((2, length + predelay), dtype=np.float32)
    ir[:, predelay:] = noise
    ir /= np.sqrt((ir**2).sum(axis=-1, keepdims=True))
    return (y + wet * _fft_convolve(y.astype(np.float32), ir)).astype(np.float32)


def master(y: np.ndarray, sr: int) -> np.ndarray:
    """Scale to the album loudness target under a -1 dBFS peak ceiling.

    Loudness is the RMS of the louder half of 400 ms blocks, a cheap stand-in for gated
    LUFS that ignores quiet intros and tails.
    """
    mono = y.mean(axis=0)
    hop = int(0.4 * sr)
    nb = max(1, mono.size // hop)
    blocks = mono[: nb * hop].reshape(nb, hop) if mono.size >= hop else mono[None, :]
    rms = np.sqrt((blocks.astype(np.float64) ** 2).mean(axis=1))
    loud = np.sort(rms)[len(rms) // 2 :]
    level = float(np.sqrt((loud**2).mean())) if loud.size else 0.0
    if level <= 0:
        return y.astype(np.float32)
    gain = 10 ** (_TARGET_DB / 20) / level
    peak = float(np.abs(y).max())
    gain = min(gain, _PEAK / peak)
    return (y * gain).astype(np.float32)
