"""Synthetic sound effects: rain, wind, footsteps, a door slam, a passing car, thunder and
a phone ring. All are shaped noise or simple physical models, stereo, seeded.

Every generator has the signature ``f(seconds, *, sr, rng) -> np.ndarray``:

Parameters
----------
seconds : float
    Length of the effect.
sr : int
    Sample rate.
rng : np.random.Generator
    Source of all noise and random timing.

Returns
-------
np.ndarray
    ``(2, int(seconds * sr))`` float32, faded in and out, so the effect's span in the
    ground truth is exactly where it is placed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

__all__ = ["EFFECTS", "car_pass", "door_slam", "footsteps", "phone", "rain", "thunder", "wind"]


def _fade(y: np.ndarray, sr: int, fin: float, fout: float) -> np.ndarray:
    n = y.shape[-1]
    a, b = min(n // 2, int(fin * sr)), min(n // 2, int(fout * sr))
    if a:
        y[..., :a] *= np.linspace(0, 1, a)
    if b:
        y[..., n - b :] *= np.linspace(1, 0, b)
    return y


def _band(x: np.ndarray, lo: float | None, hi: float | None, sr: int, order: int = 2) -> np.ndarray:
    if lo and hi:
        sos = butter(order, [lo, hi], btype="bandpass", fs=sr, output="sos")
    elif lo:
        sos = butter(order, lo, btype="highpass", fs=sr, output="sos")
    else:
        sos = butter(order, hi, btype="lowpass", fs=sr, output="sos")
    return sosfilt(sos, x, axis=-1)


def _norm(y: np.ndarray, rms_db: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(y**2))) or 1.0
    return (y * (10 ** (rms_db / 20) / rms)).astype(np.float32)


def _peak(y: np.ndarray, peak_db: float) -> np.ndarray:
    # Impulsive sounds are levelled by their peak, not their (tiny) average power.
    peak = float(np.abs(y).max()) or 1.0
    return (y * (10 ** (peak_db / 20) / peak)).astype(np.float32)


def rain(seconds: float, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Steady rain: pinkish broadband hiss plus random droplet ticks, decorrelated L/R."""
    n = int(seconds * sr)
    white = rng.standard_normal((2, n))
    # Paul Kellet's economy pink filter, as a single IIR section.
    pink = lfilter(
        [0.049922035, -0.095993537, 0.050612699, -0.004408786],
        [1, -2.494956002, 2.017265875, -0.522189400],
        white,
        axis=-1,
    )
    hiss = _band(pink, 300.0, None, sr)
    drops = np.zeros((2, n))
    count = int(seconds * 60)
    pos = rng.integers(0, n, size=(2, count))
    for ch in range(2):
        drops[ch, pos[ch]] = rng.uniform(0.2, 1.0, count)
    drops = _band(drops, 2000.0, 6000.0, sr)
    y = _norm(hiss, -28.0) + _norm(drops, -36.0)
    return _fade(y, sr, 1.5, 1.5).astype(np.float32)


def wind(seconds: float, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Gusty wind: band-passed noise whose centre and level drift slowly."""
    n = int(seconds * sr)
    hop = int(0.02 * sr)
    frames = n // hop + 1
    knots = max(4, int(seconds / 2))
    ctl = np.interp(np.arange(frames), np.linspace(0, frames, knots), rng.uniform(0, 1, knots))
    x = rng.standard_normal((2, n))
    y = np.zeros((2, n))
    zi = np.zeros((2, 2))
    for f in range(frames):
        seg = x[:, f * hop : (f + 1) * hop]
        if seg.shape[1] == 0:
            break
        fc = 250.0 + 700.0 * ctl[f]
        r = np.exp(-np.pi * (0.35 * fc) / sr)
        a = [1.0, -2 * r * np.cos(2 * np.pi * fc / sr), r * r]
        out, zi = lfilter([1 - r], a, seg, axis=-1, zi=zi)
        y[:, f * hop : f * hop + seg.shape[1]] = out * (0.3 + ctl[f])
    return _fade(_norm(y, -27.0), sr, 2.0, 2.0)


def footsteps(seconds: float, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Walking on a hard floor: heel and toe transients every ~0.55 s, panning across."""
    n = int(seconds * sr)
    y = np.zeros((2, n))
    t = 0.05
    step = 0
    while t < seconds - 0.25:
        i = int(t * sr)
        for j, (delay, level) in enumerate(((0.0, 1.0), (0.035, 0.55))):
            k = i + int(delay * sr)
            m = int(0.09 * sr)
            tt = np.arange(m) / sr
            click = rng.standard_normal(m) * np.exp(-tt / 0.012)
            click = _band(click, 150.0, 3500.0 if j == 0 else 5000.0, sr)
            thump = np.sin(2 * np.pi * 95 * tt) * np.exp(-tt / 0.03) * 0.6
            s = (click + thump) * level * float(rng.uniform(0.8, 1.1))
            pan = min(1.0, t / seconds)
            end = min(n, k + m)
            y[0, k:end] += s[: end - k] * (1.0 - 0.5 * pan)
            y[1, k:end] += s[: end - k] * (0.5 + 0.5 * pan)
        t += 0.55 + float(rng.uniform(-0.04, 0.04))
        step += 1
    return _fade(_peak(y, -10.0), sr, 0.0, 0.05)


def door_slam(seconds: float = 1.2, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A heavy door: a low thump, a broadband crack, a latch rattle and the room."""
    n = int(seconds * sr)
    tt = np.arange(n) / sr
    thump = np.sin(2 * np.pi * 62 * tt) * np.exp(-tt / 0.11)
    crack = _band(rng.standard_normal(n), None, 3000.0, sr) * np.exp(-tt / 0.025)
    rattle = np.zeros(n)
    for d in (0.09, 0.13, 0.2, 0.26):
        k = int(d * sr)
        m = int(0.02 * sr)
        rattle[k : k + m] += rng.standard_normal(m) * np.exp(-np.arange(m) / (0.004 * sr)) * 0.3
    rattle = _band(rattle, 1500.0, 6000.0, sr)
    dry = thump + 0.8 * crack + rattle
    room = lfilter([1.0], [1.0, -0.6], rng.standard_normal(n)) * np.exp(-tt / 0.18) * 0.02
    y = np.vstack([dry + room, dry + np.roll(room, 37)])
    return _fade(_peak(y, -6.0), sr, 0.0, 0.3)


def car_pass(seconds: float = 6.0, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A car driving past left to right: engine harmonics with Doppler shift, tyre noise,
    level following the distance."""
    n = int(seconds * sr)
    tt = np.arange(n) / sr
    v, d, c = 16.0, 6.0, 343.0  # speed m/s, closest distance m, speed of sound
    x = v * (tt - seconds / 2)
    dist = np.sqrt(x**2 + d**2)
    radial = v * x / dist  # positive when moving away
    doppler = c / (c + radial)
    f_engine = 38.0 * (1 + 0.03 * np.sin(2 * np.pi * 0.7 * tt))
    phase = 2 * np.pi * np.cumsum(f_engine * doppler) / sr
    engine = sum(np.sin(k * phase) / k for k in range(1, 8))
    tyres = _band(rng.standard_normal(n), 200.0, 2500.0, sr)
    amp = (d / dist) ** 1.2
    mono = (0.6 * engine + 0.8 * tyres) * amp
    pan = 0.5 + 0.5 * np.tanh(x / 8.0)
    y = np.vstack([mono * np.sqrt(1 - pan), mono * np.sqrt(pan)])
    return _fade(_norm(y, -24.0), sr, 0.5, 0.5)


def thunder(seconds: float = 5.0, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Distant thunder: a low-passed crack followed by a long rumbling decay."""
    n = int(seconds * sr)
    tt = np.arange(n) / sr
    rumble = _band(rng.standard_normal((2, n)), None, 180.0, sr, order=4)
    rumble *= (1 - np.exp(-tt / 0.15)) * np.exp(-tt / 1.6)
    wobble = 1 + 0.5 * np.sin(2 * np.pi * 1.3 * tt + rng.uniform(0, 6))
    crack = _band(rng.standard_normal((2, n)), None, 900.0, sr) * np.exp(-tt / 0.3) * 0.3
    return _fade(_peak(rumble * wobble + crack, -8.0), sr, 0.05, 1.0)


def phone(seconds: float = 4.0, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A telephone ringing (440 + 480 Hz bursts, 1.5 s on / 0.5 s off): tonal, not music."""
    n = int(seconds * sr)
    tt = np.arange(n) / sr
    tone = np.sin(2 * np.pi * 440 * tt) + np.sin(2 * np.pi * 480 * tt)
    gate = ((tt % 2.0) < 1.5).astype(float)
    gate = lfilter([0.01], [1, -0.99], gate)  # soften the on/off edges
    mono = tone * gate
    return _fade(_norm(np.vstack([mono * 0.8, mono]), -24.0), sr, 0.0, 0.05)


EFFECTS: dict[str, Callable[..., np.ndarray]] = {
    "rain": rain,
    "wind": wind,
    "footsteps": footsteps,
    "door slam": door_slam,
    "car pass-by": car_pass,
    "thunder": thunder,
    "phone ring": phone,
}
